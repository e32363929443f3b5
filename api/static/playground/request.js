// From the form's state to the body of POST v1/evaluate (every request field, queries and JS objects included).
//
// A field is sent only when it says something: an empty editor, `{}`, `[]`, an empty number box
// or a flag at its default is left out, so the request shows what the user chose and a server
// whose model lacks a newer field (queries, js_objects, js_state) is only sent it when it is used.
// Problems found here (bad JSON, a non-integer) are reported per field before anything is sent.

const INTEGER = /^-?\d+$/;

/** Line and column (1-based) of a JSON.parse error in `text`, when the message gives them. */
function jsonErrorPosition(text, message) {
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol) return { line: Number(lineCol[1]), column: Number(lineCol[2]) };
  const position = /position (\d+)/.exec(message);
  if (!position) return { line: null, column: null };
  const before = text.slice(0, Number(position[1])).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function parseJsonField(state, field, expect, problems) {
  const text = state[field].trim();
  if (!text) return undefined;
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = String(err.message).replace(/^JSON\.parse: /, "");
    problems.push({ field, message: `not valid JSON: ${message}`, ...jsonErrorPosition(text, message) });
    return undefined;
  }
  const isArray = Array.isArray(value);
  const isObject = value !== null && typeof value === "object" && !isArray;
  if (expect === "array" ? !isArray : !isObject) {
    problems.push({ field, message: `must be a JSON ${expect === "array" ? "array" : "object"}` });
    return undefined;
  }
  return (isArray ? value.length : Object.keys(value).length) ? value : undefined;
}

function parseInteger(state, field, problems) {
  const text = state[field].trim();
  if (!text) return undefined;
  if (!INTEGER.test(text)) {
    problems.push({ field, message: "must be a whole number" });
    return undefined;
  }
  return text;
}

/**
 * Build the request from `state` (see state.js).
 * Returns `{ body, preview, problems }`: `body` the JSON text to send, `preview` the same
 * indented for people, `problems` a list of `{field, message, line?, column?}` (send nothing
 * when it is not empty).
 */
export function buildRequest(state) {
  const problems = [];
  const request = { code: state.code };
  if (state.mode !== "script") request.mode = state.mode;

  if (state.mode === "function") {
    const args = parseJsonField(state, "args", "array", problems);
    if (args !== undefined) request.args = args;
  }
  for (const field of ["globals", "store", "appsmith"]) {
    const value = parseJsonField(state, field, "object", problems);
    if (value !== undefined) request[field] = value;
  }

  for (const field of ["timeout_ms", "memory_mb"]) {
    const digits = parseInteger(state, field, problems);
    if (digits !== undefined) request[field] = Number(digits);
  }
  if (state.wait_for_timers) request.wait_for_timers = true;
  if (state.clock !== "real") {
    request.clock = state.clock;
    const now = parseInteger(state, "now_ms", problems);
    if (now !== undefined) request.now_ms = Number(now);
  }
  // random_seed reaches 2**64 - 1, past what a JavaScript number holds exactly: it is written
  // into the JSON text as the digits typed, never through a Number.
  const seed = parseInteger(state, "random_seed", problems);
  if (!state.fetch) request.fetch = false;

  const queries = parseJsonField(state, "queries", "object", problems);
  if (queries !== undefined) request.queries = queries;
  const jsObjects = collectJsObjects(state.js_objects, problems);
  if (jsObjects !== undefined) request.js_objects = jsObjects;
  const jsState = parseJsonField(state, "js_state", "object", problems);
  if (jsState !== undefined) request.js_state = jsState;

  return {
    body: serialize(request, seed),
    preview: serialize(request, seed, 2),
    problems,
  };
}

function collectJsObjects(list, problems) {
  if (!list.length) return undefined;
  const objects = {};
  list.forEach((object, index) => {
    const name = object.name.trim();
    const field = `js_objects[${index}]`;
    if (!name) problems.push({ field, message: "needs a name" });
    else if (Object.hasOwn(objects, name)) problems.push({ field, message: `${name} is defined twice` });
    else objects[name] = object.source;
  });
  return objects;
}

/** JSON text of `request`, with `seed` (digits) appended as a raw number when given. */
function serialize(request, seed, indent) {
  const text = JSON.stringify(request, null, indent);
  if (seed === undefined) return text;
  const member = indent ? `,\n${" ".repeat(indent)}"random_seed": ${seed}\n}` : `,"random_seed":${seed}}`;
  return text.replace(indent ? /\n}$/ : /}$/, member);
}
