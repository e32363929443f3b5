"""A real headless Chromium (Debian's `chromium`), driven by Playwright, for the playground tests.

Playwright's own browser download is not used: the tests launch the system Chromium at
JSEVAL_CHROMIUM (default /usr/bin/chromium), which `.ci/run` installs. A missing browser is a
FAILED test, never a skip, because an untested playground is a failed requirement; a developer
without Chromium may skip these tests explicitly with JSEVAL_SKIP_BROWSER_TESTS=1 (ignored when
CI is set). Each test gets a fresh context (its own localStorage).

One browser for the playground module (the only user, so one per session): the fixture is
module-scoped on purpose. While Playwright's sync API is started, the thread counts as running
an asyncio loop, so a session-scoped browser would break every later test that calls
`asyncio.run()`; the browser must be gone before the next module runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("JSEVAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("JSEVAL_SKIP_BROWSER_TESTS") == "1" and not os.environ.get("CI"):
        pytest.skip(f"{reason} (JSEVAL_SKIP_BROWSER_TESTS=1)")
    pytest.fail(
        f"{reason}: the playground must be tested in a real browser. Install it "
        "(`apt-get install -y chromium`, as ./.ci/run does) or, locally only, set "
        "JSEVAL_SKIP_BROWSER_TESTS=1",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("the Python package playwright is not installed")
    if not CHROMIUM.exists():
        _browser_unavailable(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class Playground:
    """One browser context on the live API's playground, and what the page did there."""

    page: Any
    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, suffix: str = "") -> None:
        self.page.goto(f"{self.url}/{suffix}")
        self.page.locator("body[data-ready=true]").wait_for(timeout=15_000)

    def set_code(self, code: str) -> None:
        """Replace the code as a user would: focus, select all, type it in."""
        editor = self.page.locator("#code .cm-content")
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(code)

    def code(self) -> str:
        return self.page.locator("#code .cm-content").inner_text()

    def runs(self) -> int:
        return int(self.page.locator("body").get_attribute("data-runs") or 0)

    def run(self, key: str = "Control+Enter", focus: str = "#code .cm-content") -> None:
        """Press Ctrl+Enter in the code editor (or `key` in `focus`), wait for the answer."""
        from playwright.sync_api import expect

        before = self.runs()
        self.page.locator(focus).first.focus()
        self.page.keyboard.press(key)
        expect(self.page.locator("body")).to_have_attribute(
            "data-runs", str(before + 1), timeout=15_000
        )


@pytest.fixture
def playground(browser: Any, live_api: Any) -> Iterator[Playground]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    state = Playground(page, live_api.url)
    page.on(
        "console",
        lambda message: state.console_errors.append(message.text)
        if message.type == "error"
        else None,
    )
    page.on("pageerror", lambda error: state.console_errors.append(str(error)))
    page.on("request", lambda request: state.requests.append(request.url))
    try:
        yield state
    finally:
        context.close()
