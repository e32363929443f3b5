// Shows an evaluation result and refused requests in the output panel.
//
// Everything here comes from user code or the server and is shown with textContent only, never
// as HTML; the page's Content-Security-Policy forbids inline script besides.

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

function compact(value) {
  return JSON.stringify(value);
}

function fillList(id, items, render) {
  const list = $(id);
  list.replaceChildren();
  if (!items || items.length === 0) {
    list.append(el("li", "empty", "none"));
    return;
  }
  for (const item of items) list.append(render(item));
}

/** A field path from a 422's `loc`: ["body", "globals", "1a"] -> globals["1a"]. */
export function fieldPath(loc) {
  const parts = Array.isArray(loc) ? loc.slice(loc[0] === "body" ? 1 : 0) : [];
  let path = "";
  for (const part of parts) {
    if (typeof part === "number") path += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) path += path ? `.${part}` : part;
    else path += `[${JSON.stringify(String(part))}]`;
  }
  return path || "request body";
}

/** The top-level request field a 422 entry is about ("store" for store.a.b), or null. */
export function topField(loc) {
  const parts = Array.isArray(loc) ? loc.slice(loc[0] === "body" ? 1 : 0) : [];
  return typeof parts[0] === "string" ? parts[0] : null;
}

// --- Problems: client-side checks and HTTP errors ----------------------------------------------

/** Show `items` ({path, message}) under a heading, in place of a result. */
export function showProblems(heading, items) {
  clearOutput();
  const box = $("problems");
  box.replaceChildren(el("p", "problem-heading", heading));
  const list = el("ul");
  for (const item of items) {
    const li = el("li");
    if (item.path) li.append(el("code", "path", item.path), document.createTextNode(": "));
    li.append(document.createTextNode(item.message));
    list.append(li);
  }
  box.append(list);
  box.hidden = false;
  $("result").hidden = true;
  $("result-type").textContent = "not run";
}

/** Readable lines for an HTTP error answer: `{detail: [...]}` (422) or `{detail: "..."}`. */
export function httpProblems(status, body) {
  const detail = body && body.detail;
  if (Array.isArray(detail)) {
    return detail.map((entry) => {
      let message = entry && entry.msg ? String(entry.msg) : "invalid";
      if (entry && entry.type === "extra_forbidden") {
        message += ": this server does not know this field (its API is older than the playground)";
      }
      return { path: fieldPath(entry && entry.loc), message, field: topField(entry && entry.loc) };
    });
  }
  if (typeof detail === "string") return [{ path: "", message: detail }];
  return [{ path: "", message: `HTTP ${status} with no explanation` }];
}

// --- The result --------------------------------------------------------------------------------

function clearOutput() {
  $("problems").hidden = true;
  $("problems").replaceChildren();
  $("error").hidden = true;
  $("result").hidden = false;
  $("result").textContent = "";
  $("result").className = "";
  $("result-type").textContent = "";
  for (const id of ["logs", "actions", "store-ops", "timers"]) $(id).replaceChildren();
  for (const id of ["store-out", "js-state-out"]) $(id).textContent = "";
  $("fetches").querySelector("tbody").replaceChildren();
  $("stats").replaceChildren();
  $("notes").replaceChildren();
}

function logItem(entry) {
  const li = el("li", `log level-${entry.level}`);
  li.append(el("span", "lvl", entry.level));
  const text = el("span", "text");
  if (entry.level === "table") {
    // One block per line, so each line starts at the same x: the box-drawing columns align.
    text.classList.add("table");
    for (const line of String(entry.text).split("\n")) text.append(el("span", "row", line));
  } else {
    text.textContent = entry.text;
  }
  li.append(text, el("span", "at", `${entry.at_ms} ms`));
  return li;
}

function actionItem(action) {
  const li = el("li");
  li.append(el("code", "type", action.type), document.createTextNode(" " + compact(action.payload)));
  return li;
}

function storeOpItem(op) {
  if (op.op === "set") {
    const note = op.persist ? "" : " (not persisted)";
    return el("li", "", `set ${op.key} = ${compact(op.value)}${note}`);
  }
  if (op.op === "remove") return el("li", "", `remove ${op.key}`);
  return el("li", "", op.op);
}

function timerItem(timer) {
  const when = timer.kind === "interval" ? "every" : "after";
  return el("li", "", `${compact(timer.id)}: ${timer.kind} ${when} ${timer.delay_ms} ms`);
}

function fetchRow(record) {
  const row = el("tr");
  const cells = [
    record.method,
    record.url,
    record.status === null || record.status === undefined ? "-" : String(record.status),
    `${record.duration_ms} ms`,
    record.error || "",
  ];
  for (const cell of cells) row.append(el("td", "", cell));
  return row;
}

function describeError(error) {
  const where = [];
  if (error.source && error.source !== "code") where.push(`in ${error.source}`);
  if (error.line) where.push(`line ${error.line}` + (error.column ? `, column ${error.column}` : ""));
  return where.join(", ");
}

/**
 * Show an evaluation result. `onGoTo(error)` is called when the user asks to jump to the
 * error's position (a button shown only when the error has a line).
 */
export function showResult(result, { onGoTo }) {
  clearOutput();
  const out = $("result");
  if (result.ok) {
    out.className = "ok";
    const type = result.result_type || "";
    out.textContent = type === "undefined" ? "undefined" : type === "function" ? "function" : pretty(result.result);
    $("result-type").textContent = type;
  } else {
    const error = result.error || {};
    out.className = "error";
    out.textContent = `${error.name || "Error"}: ${error.message || ""}`;
    $("result-type").textContent = `error: ${error.kind}`;
    $("error-kind").textContent = error.kind || "";
    $("error-name").textContent = error.name || "";
    $("error-message").textContent = error.message || "";
    const where = describeError(error);
    $("error-where").textContent = where || "no position";
    const goTo = $("error-goto");
    goTo.hidden = !error.line;
    goTo.onclick = error.line ? () => onGoTo(error) : null;
    $("error-stack").textContent = error.stack || "";
    $("error-stack-wrap").hidden = !error.stack;
    $("error").hidden = false;
  }
  fillList("logs", result.logs, logItem);
  fillList("actions", result.actions, actionItem);
  $("store-out").textContent = pretty(result.store || {});
  fillList("store-ops", result.store_ops, storeOpItem);
  $("js-state-out").textContent = result.js_state === undefined ? "(not returned by this server)" : pretty(result.js_state);
  fillList("timers", result.timers && result.timers.pending, timerItem);
  const fetches = $("fetches").querySelector("tbody");
  if (result.fetches && result.fetches.length) {
    for (const record of result.fetches) fetches.append(fetchRow(record));
  } else {
    const row = el("tr", "empty");
    const cell = el("td", "", "none");
    cell.colSpan = 5;
    row.append(cell);
    fetches.append(row);
  }
  const stats = $("stats");
  for (const [key, value] of Object.entries(result.stats || {})) {
    stats.append(el("dt", "", key), el("dd", "", String(value)));
  }
  const notes = $("notes");
  if (result.logs_truncated) notes.append(el("li", "", "logs_truncated: later log lines were dropped"));
  if (result.output_truncated) notes.append(el("li", "", "output_truncated: lists were trimmed to fit the output cap"));
}
