// jseval playground: posts the form to v1/evaluate and shows the result.
// Everything an evaluation returns is untrusted: it is shown with textContent only, never as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  function parseJson(id, fallback, what) {
    const text = $(id).value.trim();
    if (!text) return fallback;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error(what + " is not valid JSON: " + err.message);
    }
  }

  function buildRequest() {
    const request = {
      code: $("code").value,
      mode: $("mode").value,
      clock: $("clock").value,
      wait_for_timers: $("wait").checked,
      fetch: $("fetch").checked,
      globals: parseJson("globals", {}, "Globals"),
      store: parseJson("store", {}, "Store"),
    };
    const timeout = parseInt($("timeout").value, 10);
    if (timeout > 0) request.timeout_ms = timeout;
    const memory = parseInt($("memory").value, 10);
    if (memory > 0) request.memory_mb = memory;
    if (request.mode === "function") request.args = parseJson("args", [], "Args");
    return request;
  }

  function pretty(value) {
    return JSON.stringify(value, null, 2);
  }

  function fillList(id, items, render) {
    const list = $(id);
    list.replaceChildren();
    if (!items || items.length === 0) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = "none";
      list.append(li);
      return;
    }
    for (const item of items) list.append(render(item));
  }

  function logItem(entry) {
    const li = document.createElement("li");
    if (entry.level === "error" || entry.level === "warn") li.className = entry.level;
    const level = document.createElement("span");
    level.className = "lvl";
    level.textContent = entry.level;
    li.append(level, document.createTextNode(entry.text));
    return li;
  }

  function actionItem(action) {
    const li = document.createElement("li");
    li.textContent = action.type + " " + JSON.stringify(action.payload);
    return li;
  }

  function show(result) {
    const out = $("result");
    if (result.ok) {
      out.className = "ok";
      out.textContent = pretty(result.result);
      $("result-type").textContent = result.result_type || "";
    } else {
      const e = result.error || {};
      out.className = "error";
      const where = e.line ? " (line " + e.line + (e.column ? ", column " + e.column : "") + ")" : "";
      out.textContent = "[" + e.kind + "] " + e.name + ": " + e.message + where +
        (e.stack ? "\n\n" + e.stack : "");
      $("result-type").textContent = "error";
    }
    fillList("logs", result.logs, logItem);
    if (result.logs_truncated) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = "... logs truncated";
      $("logs").append(li);
    }
    fillList("actions", result.actions, actionItem);
    $("store-out").textContent = pretty(result.store);
    $("extra").textContent = pretty({
      timers: result.timers, fetches: result.fetches, store_ops: result.store_ops, stats: result.stats,
    });
  }

  function showFailure(message) {
    $("result").className = "error";
    $("result").textContent = message;
    $("result-type").textContent = "";
    for (const id of ["logs", "actions"]) $(id).replaceChildren();
    $("store-out").textContent = "";
    $("extra").textContent = "";
  }

  async function run() {
    const button = $("run");
    const status = $("status");
    let request;
    try {
      request = buildRequest();
    } catch (err) {
      showFailure(err.message);
      return;
    }
    const headers = { "Content-Type": "application/json" };
    const key = $("apikey").value.trim();
    if (key) headers.Authorization = "Bearer " + key;
    button.disabled = true;
    status.textContent = "running...";
    const started = performance.now();
    try {
      const response = await fetch("v1/evaluate", {
        method: "POST", headers, body: JSON.stringify(request), credentials: "omit",
      });
      const body = await response.json().catch(() => ({}));
      const ms = (performance.now() - started).toFixed(1);
      if (response.ok) {
        show(body);
        status.textContent = "HTTP 200 in " + ms + " ms";
      } else {
        const detail = typeof body.detail === "string" ? body.detail : pretty(body.detail);
        showFailure("HTTP " + response.status + "\n" + detail);
        status.textContent = "HTTP " + response.status;
      }
    } catch (err) {
      showFailure("Request failed: " + err.message);
      status.textContent = "";
    } finally {
      button.disabled = false;
    }
  }

  $("run").addEventListener("click", run);
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      run();
    }
  });
  $("code").addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault();
      const area = event.target;
      const start = area.selectionStart;
      area.setRangeText("  ", start, area.selectionEnd, "end");
    }
  });
})();
