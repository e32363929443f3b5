"""The playground in a real headless Chromium against a live uvicorn.

Each test drives the page as a person would (click, type, Ctrl+Enter, reload, open a link) and
checks what the page shows. The page runs under its real Content-Security-Policy, so a script or
style the policy blocks fails these tests (every console error is collected and must be none).
"""

from __future__ import annotations

import json
import re
from typing import Any

from evaluator import EvaluationRequest, Settings

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails (or, locally, skips) with the reason
    expect = None

def editor_text(page: Any, selector: str) -> str:
    return page.locator(f"{selector} .cm-content").inner_text()


def set_editor(page: Any, selector: str, text: str) -> None:
    page.locator(f"{selector} .cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def test_loads_a_real_editor_from_the_service_only(playground) -> None:
    playground.open()
    page = playground.page
    expect(page.locator("#code .cm-lineNumbers")).to_be_visible()
    playground.set_code("const answer = 42;\nlet text = 'six times seven';")
    gutter = page.locator("#code .cm-lineNumbers .cm-gutterElement")
    expect(gutter.filter(has_text=re.compile(r"^2$"))).to_have_count(1)
    keyword = page.locator("#code .cm-line span", has_text=re.compile(r"^const$")).first
    string = page.locator("#code .cm-line span", has_text="'six times seven'").first
    plain = page.locator("#code .cm-content")
    colours = [x.evaluate("e => getComputedStyle(e).color") for x in (keyword, string, plain)]
    assert len(set(colours)) == 3, colours  # keywords and strings highlighted, each its own way
    assert playground.requests, "the page made no request"
    outside = [u for u in playground.requests if not u.startswith(playground.url + "/")]
    assert outside == []  # no CDN, no font service: everything from the service
    assert any(u.endswith("/static/vendor/codemirror.js") for u in playground.requests)
    assert playground.console_errors == []  # nothing blocked by the CSP, no script error


def test_type_and_run_with_ctrl_enter_shows_result_logs_actions(playground) -> None:
    playground.open()
    page = playground.page
    playground.set_code(
        'console.log("hi", 1 + 1);\n'
        'console.warn("careful");\n'
        'console.table([{ a: 1, b: "x" }, { a: 22, b: "longer text" }]);\n'
        'showAlert("saved", "success");\n'
        'storeValue("k", 5);\n'
    )
    page.keyboard.type("({ sum: 40 + 2 })")  # typed key by key, brackets closed by the editor
    assert editor_text(page, "#code").endswith("({ sum: 40 + 2 })")
    playground.run()
    expect(page.locator("#result-type")).to_have_text("object")
    assert json.loads(page.locator("#result").inner_text()) == {"sum": 42}
    logs = page.locator("#logs li")
    expect(logs).to_have_count(3)
    expect(logs.nth(0).locator(".text")).to_have_text("hi 2")
    expect(logs.nth(1)).to_have_class(re.compile(r"\blevel-warn\b"))
    expect(logs.nth(2).locator(".lvl")).to_have_text("table")
    actions = page.locator("#actions li")
    expect(actions).to_have_count(2)
    expect(actions.nth(0)).to_contain_text("SHOW_ALERT")
    expect(actions.nth(0)).to_contain_text('"message":"saved"')
    expect(actions.nth(1)).to_contain_text("STORE_VALUE")
    assert json.loads(page.locator("#store-out").inner_text()) == {"k": 5}
    expect(page.locator("#store-ops li")).to_have_text(["set k = 5"])
    expect(page.locator("#stats dt").first).to_have_text("wall_ms")
    expect(page.locator("#fetches tbody")).to_have_text("none")
    # console.table: every line starts at the same x and is as wide as the others.
    rows = page.locator("#logs li.level-table .row")
    expect(rows).to_have_count(6)
    boxes = [rows.nth(i).bounding_box() for i in range(6)]
    assert len({round(box["x"], 1) for box in boxes}) == 1, boxes
    widths = [box["width"] for box in boxes]
    assert max(widths) - min(widths) < 0.5, widths
    assert playground.console_errors == []


def test_the_error_line_is_marked(playground) -> None:
    playground.open()
    page = playground.page
    playground.set_code("const a = 1;\nconst b = 2;\nnull.boom;\nconst c = 3;\n")
    playground.run()
    expect(page.locator("#result-type")).to_have_text("error: runtime")
    expect(page.locator("#error-kind")).to_have_text("runtime")
    expect(page.locator("#error-name")).to_have_text("TypeError")
    expect(page.locator("#error-message")).to_contain_text("boom")
    expect(page.locator("#error-where")).to_have_text(re.compile(r"^line 3, column \d+$"))
    marked = page.locator("#code .cm-jseval-error-line")
    expect(marked).to_have_count(1)
    expect(marked).to_have_text("null.boom;")
    expect(page.locator("#code .cm-lintRange-error")).to_have_count(1)
    page.locator("#code .cm-lintRange-error").hover()  # the message is shown on the mark
    expect(page.locator(".cm-tooltip-lint")).to_contain_text("TypeError")
    page.locator("#error-goto").click()  # "Go to" puts the cursor on the failing line
    expect(page.locator("#code .cm-activeLine")).to_have_text("null.boom;")

    playground.set_code("let ok = 1;\nlet broken = ;\n")
    playground.run()
    expect(page.locator("#error-kind")).to_have_text("syntax")
    expect(page.locator("#code .cm-jseval-error-line")).to_have_text("let broken = ;")


def test_the_store_is_carried_between_runs_when_asked(playground) -> None:
    playground.open()  # the built-in demo counts visits in the store
    page = playground.page
    expect(page.locator("#carry")).to_be_checked()
    for visit in (1, 2, 3):
        playground.run()
        assert json.loads(page.locator("#store-out").inner_text()) == {"visits": visit}
        assert json.loads(editor_text(page, "#store")) == {"visits": visit}
    expect(page.locator("#actions li").nth(1)).to_contain_text("Visit number 3")
    page.locator("#carry").uncheck()
    for _ in range(2):  # not carried: every run starts from the same store
        playground.run()
        assert json.loads(page.locator("#store-out").inner_text()) == {"visits": 4}
        assert json.loads(editor_text(page, "#store")) == {"visits": 3}


def test_state_survives_reload_and_travels_in_a_link(playground, browser) -> None:
    playground.open()
    page = playground.page
    playground.set_code("return [args[0] * 2, Math.random()];")
    page.select_option("#mode", "function")
    set_editor(page, "#args", "[21]")
    page.select_option("#clock", "virtual")
    page.fill("#now_ms", "0")
    page.fill("#random_seed", "18446744073709551615")  # 2**64 - 1: past a double's precision
    playground.run()
    first = json.loads(page.locator("#result").inner_text())
    assert first[0] == 42
    sent = page.locator("#request-preview").text_content()
    assert '"random_seed": 18446744073709551615' in sent  # the digits as typed, not rounded

    def assert_restored(target: Any) -> None:
        expect(target.locator("#mode")).to_have_value("function")
        expect(target.locator("#clock")).to_have_value("virtual")
        expect(target.locator("#now_ms")).to_have_value("0")
        expect(target.locator("#random_seed")).to_have_value("18446744073709551615")
        assert editor_text(target, "#code") == "return [args[0] * 2, Math.random()];"
        assert editor_text(target, "#args") == "[21]"

    page.reload()
    page.locator("body[data-ready=true]").wait_for()
    assert_restored(page)

    page.locator("#share").click()
    share_link = page.locator("#share-link")
    expect(share_link).to_have_value(re.compile(re.escape(playground.url) + r"/#s=z\.[\w-]+$"))
    link = share_link.input_value()
    other = browser.new_context()  # another person: empty localStorage
    try:
        visitor = other.new_page()
        seen: list[str] = []
        visitor.on("request", lambda request: seen.append(request.url))
        visitor.goto(link)
        visitor.locator("body[data-ready=true]").wait_for()
        assert_restored(visitor)
        assert visitor.url == playground.url + "/"  # the fragment is dropped once read
        assert not [url for url in seen if "s=z." in url]  # the state never went to the server
        before = int(visitor.locator("body").get_attribute("data-runs"))
        visitor.locator("#run").click()
        expect(visitor.locator("body")).to_have_attribute("data-runs", str(before + 1))
        assert json.loads(visitor.locator("#result").inner_text()) == first  # same seed
        # A link pasted into an open playground (only the fragment changes) loads too; a
        # damaged one is said so, and what was there stays.
        playground.set_code("'changed'")
        page.goto(link)
        expect(page.locator("#status")).to_have_text("Restored from a shared link.")
        assert_restored(page)
        page.goto(playground.url + "/#s=z.not-deflate")
        expect(page.locator("#status")).to_have_text("That link is damaged: it could not be read.")
        assert_restored(page)
        assert page.url == playground.url + "/"
    finally:
        other.close()


def test_a_refused_request_is_readable(playground) -> None:
    playground.open()
    page = playground.page
    problems = page.locator("#problems")
    page.fill("#timeout_ms", "999999")  # past the server's maximum (a settings check)
    playground.run()
    expect(problems).to_be_visible()
    expect(problems.locator(".problem-heading")).to_have_text(
        "The server refused the request (HTTP 422)"
    )
    expect(problems.locator("li")).to_have_text(
        ["timeout_ms: Input should be less than or equal to 30000"]
    )
    expect(page.locator("#timeout_ms")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#result-type")).to_have_text("not run")

    page.fill("#timeout_ms", "")
    page.fill("#random_seed", "18446744073709551616")  # 2**64: one past the model's bound
    set_editor(page, "#globals", '{"console": 1}')
    playground.run()
    texts = sorted(problems.locator("li").all_inner_texts())
    assert len(texts) == 2, texts
    assert re.fullmatch(r"globals: .*'console' is reserved by the sandbox", texts[0]), texts
    assert texts[1] == "random_seed: Input should be less than 18446744073709551616", texts
    assert '"loc"' not in problems.inner_text() and "[{" not in problems.inner_text()
    expect(page.locator("#random_seed")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#globals .cm-content")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#timeout_ms")).not_to_have_attribute("aria-invalid", "true")

    # Bad JSON is caught before sending, and its line is marked in its own editor.
    page.fill("#random_seed", "")
    set_editor(page, "#globals", "")
    set_editor(page, "#store", '{\n  "a": 1,\n  oops\n}')
    playground.run()
    expect(problems).to_contain_text("Not sent")
    expect(problems.locator("li")).to_have_count(1)
    expect(problems.locator("li")).to_contain_text(re.compile(r"^store: not valid JSON"))
    expect(page.locator("#store .cm-jseval-error-line")).to_have_text("  oops")


def test_queries_and_js_objects_are_sent(playground) -> None:
    """Entity editors build the queries and JS objects fields; a server without them answers a readable 422."""
    playground.open()
    page = playground.page
    page.locator("#entities summary").click()
    page.locator("#add-js-object").click()
    page.locator("#add-query").click()
    expect(page.locator("#js-objects .js-object input")).to_have_value("JSObject1")
    playground.set_code("JSObject1.add('a')")
    playground.run()
    sent = json.loads(page.locator("#request-preview").text_content())
    assert set(sent["js_objects"]) == {"JSObject1"}
    assert "export default" in sent["js_objects"]["JSObject1"]
    assert sent["queries"]["Query1"]["mock"] == {"data": {"id": 1, "name": "Ada"}, "status": 200}
    if "js_objects" not in EvaluationRequest.model_fields:
        problems = page.locator("#problems li")
        expect(problems.filter(has_text="js_objects")).to_contain_text("does not know this field")
        expect(problems.filter(has_text="queries")).to_contain_text("does not know this field")
        return
    expect(page.locator("#result")).to_have_text("1")  # a server with queries and JS objects
    assert json.loads(editor_text(page, "#js_state")) == {"JSObject1": {"items": ["a"]}}


def test_narrow_window_keyboard_and_labels(browser, live_api) -> None:
    width = 360  # a small phone
    context = browser.new_context(viewport={"width": width, "height": 740})
    try:
        page = context.new_page()
        page.goto(live_api.url + "/")
        page.locator("body[data-ready=true]").wait_for()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{overflow}px of horizontal scroll at {width}px"
        run_box = page.locator("#run").bounding_box()
        assert run_box["x"] >= 0 and run_box["x"] + run_box["width"] <= width
        unnamed = page.evaluate(
            """() => [...document.querySelectorAll(
                    'input, select, button, textarea, [contenteditable=true]')]
                .filter((el) => !el.closest('[hidden]'))
                .filter((el) => {
                    const by = el.getAttribute('aria-labelledby');
                    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
                        || (by && document.getElementById(by)?.textContent.trim())
                        || (el.tagName === 'BUTTON' && el.textContent.trim());
                    return !named;
                })
                .map((el) => el.outerHTML.slice(0, 80))"""
        )
        assert unnamed == []
        # Keyboard only: Esc then Tab leaves the code editor; Tab reaches Run; Enter runs it.
        page.locator("#code .cm-content").focus()
        page.keyboard.press("Escape")
        page.keyboard.press("Tab")
        assert page.evaluate("() => !document.getElementById('code').contains(document.activeElement)")
        page.locator("#mode").focus()
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == "run"
        page.keyboard.press("Enter")
        expect(page.locator("body")).to_have_attribute("data-runs", "1")
        expect(page.locator("#result-type")).to_have_text("array")
        # Ctrl+Enter runs from any control, not only the editor.
        page.locator("#timeout_ms").focus()
        page.keyboard.press("Control+Enter")
        expect(page.locator("body")).to_have_attribute("data-runs", "2")
    finally:
        context.close()


def test_works_on_a_server_with_api_keys(browser, serve_api) -> None:
    """The page and its assets stay open; runs need the key typed under "API key"."""
    live = serve_api(Settings(pool_size=1, api_keys=("pg-key",)))
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(live.url + "/")
        page.locator("body[data-ready=true]").wait_for()
        page.locator("#run").click()
        expect(page.locator("body")).to_have_attribute("data-runs", "1")
        expect(page.locator("#problems .problem-heading")).to_contain_text("HTTP 401")
        expect(page.locator("#problems li").first).to_have_text("Not authenticated")
        page.locator("summary", has_text="API key").click()
        page.fill("#apikey", "pg-key")
        page.locator("#run").click()
        expect(page.locator("body")).to_have_attribute("data-runs", "2")
        expect(page.locator("#result-type")).to_have_text("array")
        page.reload()  # the key is not kept
        page.locator("body[data-ready=true]").wait_for()
        expect(page.locator("#apikey")).to_have_value("")
    finally:
        context.close()
