// jseval playground: wires the form, the editors and the output panel together.
//
// On load the state comes from a shared link's fragment, else localStorage, else the defaults;
// every change is saved again. Run (button or Ctrl/Cmd+Enter) posts the request to v1/evaluate,
// shows the answer, marks the error's line in the editor it points into, and, when "carry" is
// checked, feeds the returned store and js_state into the next run as Appsmith keeps them.
import {
  clearErrorMark,
  codeEditor,
  goTo,
  jsonEditor,
  setText,
  showError,
} from "./editors.js";
import { buildRequest } from "./request.js";
import { httpProblems, showProblems, showResult } from "./render.js";
import {
  DEFAULT_JS_OBJECT,
  decodeFragment,
  defaultState,
  encodeFragment,
  loadSaved,
  save,
} from "./state.js";

const $ = (id) => document.getElementById(id);

const INPUTS = ["now_ms", "random_seed", "timeout_ms", "memory_mb"];
const SELECTS = ["mode", "clock"];
const FLAGS = ["wait_for_timers", "fetch", "carry"];
const JSON_FIELDS = {
  args: '[1, "two"]',
  globals: '{"Table1": {"selectedRow": {"id": 7}}}',
  store: '{"visits": 1}',
  appsmith: '{"user": {"email": "ada@example.com"}, "mode": "EDIT"}',
  queries: '{"Query1": {"method": "GET", "path": "/users", "mock": {"data": [], "status": 200}}}',
  js_state: '{"JSObject1": {"items": [1, 2]}}',
};

const editors = {}; // field -> EditorView
let jsObjects = []; // [{ id, element, nameInput, view }]
let jsObjectCounter = 0;
let running = false;
let runs = 0; // finished runs, also shown as <body data-runs>: a hook for tests and tools

// --- State <-> form ----------------------------------------------------------------------------

function currentState() {
  const state = { code: editors.code.state.doc.toString() };
  for (const id of SELECTS) state[id] = $(id).value;
  for (const id of INPUTS) state[id] = $(id).value;
  for (const id of FLAGS) state[id] = $(id).checked;
  for (const field of Object.keys(JSON_FIELDS)) state[field] = editors[field].state.doc.toString();
  state.js_objects = jsObjects.map((o) => ({
    name: o.nameInput.value,
    source: o.view.state.doc.toString(),
  }));
  return state;
}

let saveTimer = null;
function scheduleSave() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(flushSave, 200);
  refreshForm();
}
function flushSave() {
  clearTimeout(saveTimer);
  saveTimer = null;
  const state = currentState();
  save(state);
  $("request-preview").textContent = buildRequest(state).preview;
}

/** Keep what depends on other controls in step: args only in function mode, now_ms only virtual. */
function refreshForm() {
  const functionMode = $("mode").value === "function";
  $("args-field").hidden = !functionMode;
  const virtual = $("clock").value === "virtual";
  $("now_ms").disabled = !virtual;
  $("now-button").disabled = !virtual;
  const now = $("now_ms").value.trim();
  $("now-iso").textContent =
    virtual && /^-?\d+$/.test(now) && Math.abs(Number(now)) <= 8.64e15
      ? new Date(Number(now)).toISOString()
      : "";
}

function editorOptions(labelledBy) {
  return { labelledBy, onChange: scheduleSave, onRun: run };
}

function addJsObject(name, source) {
  const id = ++jsObjectCounter;
  const element = document.createElement("div");
  element.className = "js-object";
  const label = document.createElement("label");
  label.className = "js-name";
  label.textContent = "Name ";
  const nameInput = document.createElement("input");
  nameInput.type = "text";
  nameInput.value = name;
  nameInput.spellcheck = false;
  nameInput.autocomplete = "off";
  nameInput.addEventListener("input", scheduleSave);
  label.append(nameInput);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary";
  remove.textContent = "Remove";
  const sourceLabel = document.createElement("span");
  sourceLabel.className = "label";
  sourceLabel.id = `js-object-source-${id}`;
  sourceLabel.textContent = "Source (export default { ... })";
  const host = document.createElement("div");
  host.className = "editor";
  element.append(label, remove, sourceLabel, host);
  $("js-objects").append(element);
  const view = codeEditor(host, { ...editorOptions(sourceLabel.id), doc: source, minLines: 6 });
  const entry = { id, element, nameInput, view };
  remove.setAttribute("aria-label", "Remove this JS object");
  remove.addEventListener("click", () => {
    view.destroy();
    element.remove();
    jsObjects = jsObjects.filter((o) => o !== entry);
    scheduleSave();
  });
  jsObjects.push(entry);
  return entry;
}

function applyState(state) {
  setText(editors.code, state.code);
  for (const id of SELECTS) $(id).value = state[id];
  for (const id of INPUTS) $(id).value = state[id];
  for (const id of FLAGS) $(id).checked = state[id];
  for (const field of Object.keys(JSON_FIELDS)) setText(editors[field], state[field]);
  for (const o of jsObjects) {
    o.view.destroy();
    o.element.remove();
  }
  jsObjects = [];
  for (const o of state.js_objects) addJsObject(o.name, o.source);
  if (state.queries.trim() || state.js_objects.length || state.js_state.trim()) {
    $("entities").open = true;
  }
  refreshForm();
}

// --- Marking problems --------------------------------------------------------------------------

function clearMarks() {
  for (const view of Object.values(editors)) clearErrorMark(view);
  for (const o of jsObjects) clearErrorMark(o.view);
  for (const node of document.querySelectorAll("[aria-invalid=true]")) {
    node.removeAttribute("aria-invalid");
  }
}

/** Flag the control of each problem's field; mark JSON errors at their line. */
function markFields(problems) {
  for (const problem of problems) {
    const field = problem.field;
    if (!field) continue;
    const index = /^js_objects\[(\d+)\]$/.exec(field);
    if (index && jsObjects[Number(index[1])]) {
      jsObjects[Number(index[1])].nameInput.setAttribute("aria-invalid", "true");
    } else if (editors[field]) {
      editors[field].contentDOM.setAttribute("aria-invalid", "true");
      if (problem.line) showError(editors[field], problem.line, problem.column, problem.message);
      if (editors[field].dom.closest("details")) editors[field].dom.closest("details").open = true;
    } else if ($(field)) {
      $(field).setAttribute("aria-invalid", "true");
    }
  }
}

/** The editor an evaluation error points into: the code, or a JS object by name. */
function editorOf(error) {
  if (!error.source || error.source === "code") return editors.code;
  const object = jsObjects.find((o) => o.nameInput.value.trim() === error.source);
  if (object) $("entities").open = true;
  return object ? object.view : null;
}

function markEvaluationError(error) {
  if (!error || !error.line) return;
  const view = editorOf(error);
  if (view) showError(view, error.line, error.column, `${error.name}: ${error.message}`);
}

// --- Running -----------------------------------------------------------------------------------

function carry(result) {
  if (result.store && typeof result.store === "object") {
    const empty = Object.keys(result.store).length === 0;
    setText(editors.store, empty ? "" : JSON.stringify(result.store, null, 2));
  }
  if (result.js_state && typeof result.js_state === "object") {
    const empty = Object.keys(result.js_state).length === 0;
    setText(editors.js_state, empty ? "" : JSON.stringify(result.js_state, null, 2));
  }
}

function finishRun() {
  runs += 1;
  document.body.dataset.runs = String(runs);
}

async function run() {
  if (running) return;
  clearMarks();
  const state = currentState();
  const { body, preview, problems } = buildRequest(state);
  $("request-preview").textContent = preview;
  const status = $("status");
  if (problems.length) {
    showProblems(
      "Not sent: fix these fields first",
      problems.map((p) => ({ path: p.field, message: p.message })),
    );
    markFields(problems);
    status.textContent = "not sent";
    finishRun();
    return;
  }
  const headers = { "Content-Type": "application/json" };
  const key = $("apikey").value.trim();
  if (key) headers.Authorization = `Bearer ${key}`;
  running = true;
  $("run").disabled = true;
  status.textContent = "running…";
  const started = performance.now();
  try {
    const response = await fetch("v1/evaluate", {
      method: "POST",
      headers,
      body,
      credentials: "omit",
    });
    const answer = await response.json().catch(() => null);
    const ms = (performance.now() - started).toFixed(0);
    if (response.ok && answer) {
      showResult(answer, { onGoTo: (error) => goToError(error) });
      markEvaluationError(answer.error);
      if ($("carry").checked) carry(answer);
      const outcome = answer.ok ? "ok" : `failed (${answer.error && answer.error.kind})`;
      const wall = answer.stats ? `${answer.stats.wall_ms} ms in the sandbox, ` : "";
      status.textContent = `${outcome}: ${wall}HTTP ${response.status} in ${ms} ms`;
    } else {
      const found = httpProblems(response.status, answer);
      if (response.status === 401) {
        found.push({ path: "", message: "Enter a key under “API key” (below the editors)." });
      }
      showProblems(`The server refused the request (HTTP ${response.status})`, found);
      markFields(found);
      status.textContent = `HTTP ${response.status}`;
    }
  } catch (err) {
    showProblems("The request did not complete", [{ path: "", message: String(err.message) }]);
    status.textContent = "no answer";
  } finally {
    running = false;
    $("run").disabled = false;
    flushSave();
    finishRun();
  }
}

function goToError(error) {
  const view = editorOf(error);
  if (view) goTo(view, error.line, error.column);
}

// --- Sharing -----------------------------------------------------------------------------------

async function share() {
  const fragment = await encodeFragment(currentState());
  const url = `${location.origin}${location.pathname}#${fragment}`;
  const field = $("share-link");
  field.value = url;
  $("share-box").hidden = false;
  field.focus();
  field.select();
  let copied = false;
  try {
    await navigator.clipboard.writeText(url);
    copied = true;
  } catch {
    // no clipboard permission: the link is selected in the box for the user to copy
  }
  $("share-status").textContent = copied
    ? "Link copied. It holds the code and settings, never the API key."
    : "Copy this link. It holds the code and settings, never the API key.";
}

// --- Limits from the server --------------------------------------------------------------------

async function showLimits() {
  try {
    const response = await fetch("v1/info", { credentials: "omit" });
    if (!response.ok) return; // e.g. 401 on a server with API keys: keep the generic hints
    const { limits } = await response.json();
    $("timeout_ms").placeholder = `${limits.default_timeout_ms} (max ${limits.max_timeout_ms})`;
    $("timeout_ms").max = String(limits.max_timeout_ms);
    $("memory_mb").placeholder = `${limits.default_memory_mb} (max ${limits.max_memory_mb})`;
    $("memory_mb").max = String(limits.max_memory_mb);
  } catch {
    // the playground works without these hints
  }
}

// --- Start -------------------------------------------------------------------------------------

/** The state in the URL's fragment (a shared link), or null; the fragment is then dropped. */
async function fragmentState() {
  if (location.hash.length <= 1) return null;
  let shared = null;
  try {
    shared = await decodeFragment(location.hash);
  } catch {
    $("status").textContent = "That link is damaged: it could not be read.";
  }
  // Forget the fragment: from now on edits are saved locally, and a reload shows them.
  history.replaceState(null, "", `${location.pathname}${location.search}`);
  if (shared) $("status").textContent = "Restored from a shared link.";
  return shared;
}

async function initialState() {
  return (await fragmentState()) || loadSaved() || defaultState();
}

async function start() {
  editors.code = codeEditor($("code"), { ...editorOptions("code-label"), doc: "" });
  for (const [field, hint] of Object.entries(JSON_FIELDS)) {
    editors[field] = jsonEditor($(field), { ...editorOptions(`${field}-label`), doc: "", hint });
  }
  applyState(await initialState());
  flushSave();

  for (const id of [...SELECTS, ...FLAGS]) $(id).addEventListener("change", scheduleSave);
  for (const id of INPUTS) $(id).addEventListener("input", scheduleSave);
  $("run").addEventListener("click", run);
  $("share").addEventListener("click", share);
  $("now-button").addEventListener("click", () => {
    $("now_ms").value = String(Date.now());
    scheduleSave();
  });
  $("add-js-object").addEventListener("click", () => {
    const taken = new Set(jsObjects.map((o) => o.nameInput.value.trim()));
    let n = 1;
    while (taken.has(`JSObject${n}`)) n++;
    addJsObject(`JSObject${n}`, DEFAULT_JS_OBJECT).nameInput.focus();
    scheduleSave();
  });
  $("add-query").addEventListener("click", addMockedQuery);
  $("reset").addEventListener("click", () => {
    applyState(defaultState());
    flushSave();
    $("status").textContent = "Reset to the example.";
  });
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && !event.defaultPrevented) {
      event.preventDefault();
      run();
    }
  });
  window.addEventListener("pagehide", flushSave);
  window.addEventListener("hashchange", async () => {
    // A link pasted into a tab that already shows the playground only changes the fragment.
    const shared = await fragmentState();
    if (shared) {
      applyState(shared);
      flushSave();
    }
  });
  showLimits();
  document.body.dataset.runs = "0";
  document.body.dataset.ready = "true";
}

function addMockedQuery() {
  const view = editors.queries;
  let queries = {};
  const text = view.state.doc.toString().trim();
  if (text) {
    try {
      queries = JSON.parse(text);
    } catch {
      $("status").textContent = "queries is not valid JSON: fix it before adding a query.";
      return;
    }
  }
  let n = 1;
  while (Object.hasOwn(queries, `Query${n}`)) n++;
  queries[`Query${n}`] = {
    datasource: null,
    method: "GET",
    path: "/users/{{this.params.id}}",
    mock: { data: { id: 1, name: "Ada" }, status: 200 },
  };
  setText(view, JSON.stringify(queries, null, 2));
  view.focus();
}

start();
