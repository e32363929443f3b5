// The playground's saved state: what the form holds (code, settings, data editors), kept in
// localStorage across reloads and packed into a link's fragment for sharing.
//
// The fragment (`#s=...`) never reaches the server, so shared code stays out of its access logs.
// The API key is never part of the state: not saved, not shared.
const STORAGE_KEY = "jseval.playground.v1";
const FRAGMENT_KEY = "s";

export const DEFAULT_CODE = `// Ctrl+Enter (Cmd+Enter on a Mac) runs. Try the script, function and expression modes.
console.log("hello from the sandbox", 1 + 1);
console.table([{ id: 7, name: "Ada" }, { id: 12, name: "Grace Hopper" }]);
storeValue("visits", (appsmith.store.visits || 0) + 1);
showAlert("Visit number " + appsmith.store.visits, "success");
[1, 2, 3].map((n) => n * Table1.selectedRow.id)
`;

export const DEFAULT_JS_OBJECT = `export default {
  items: [],
  add(item) {
    this.items.push(item);
    return this.items.length;
  },
}
`;

export function defaultState() {
  return {
    code: DEFAULT_CODE,
    mode: "script",
    clock: "real",
    now_ms: "",
    random_seed: "",
    timeout_ms: "",
    memory_mb: "",
    wait_for_timers: false,
    fetch: true,
    carry: true,
    args: "",
    globals: '{\n  "Table1": { "selectedRow": { "id": 7 } }\n}',
    store: "",
    appsmith: "",
    queries: "",
    js_state: "",
    js_objects: [],
  };
}

const CHOICES = {
  mode: ["script", "function", "expression"],
  clock: ["real", "virtual"],
};
const TEXTS = [
  "code", "now_ms", "random_seed", "timeout_ms", "memory_mb",
  "args", "globals", "store", "appsmith", "queries", "js_state",
];
const FLAGS = ["wait_for_timers", "fetch", "carry"];

/** A state from untrusted data (a link, old storage): known keys of the right type only. */
export function sanitize(raw) {
  const state = defaultState();
  if (!raw || typeof raw !== "object") return state;
  for (const [key, allowed] of Object.entries(CHOICES)) {
    if (allowed.includes(raw[key])) state[key] = raw[key];
  }
  for (const key of TEXTS) if (typeof raw[key] === "string") state[key] = raw[key];
  for (const key of FLAGS) if (typeof raw[key] === "boolean") state[key] = raw[key];
  if (Array.isArray(raw.js_objects)) {
    state.js_objects = raw.js_objects
      .filter((o) => o && typeof o.name === "string" && typeof o.source === "string")
      .map((o) => ({ name: o.name, source: o.source }));
  }
  return state;
}

// --- localStorage ------------------------------------------------------------------------------

export function loadSaved() {
  try {
    const text = window.localStorage.getItem(STORAGE_KEY);
    return text ? sanitize(JSON.parse(text)) : null;
  } catch {
    return null; // storage disabled or a corrupt entry: start from the defaults
  }
}

export function save(state) {
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    return true;
  } catch {
    return false; // storage full or disabled: the page still works, it just forgets
  }
}

// --- Links -------------------------------------------------------------------------------------
// `#s=z.<base64url of deflate-raw(JSON)>`, or `#s=j.<base64url of JSON>` where the browser has
// no CompressionStream. Compression keeps links to a page of code short enough to paste.

function toBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function pipe(bytes, stream) {
  const piped = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}

/** The fragment (without `#`) that restores `state`. */
export async function encodeFragment(state) {
  const bytes = new TextEncoder().encode(JSON.stringify(state));
  if (typeof CompressionStream === "function") {
    const packed = await pipe(bytes, new CompressionStream("deflate-raw"));
    return `${FRAGMENT_KEY}=z.${toBase64Url(packed)}`;
  }
  return `${FRAGMENT_KEY}=j.${toBase64Url(bytes)}`;
}

/** The state a fragment holds, null when it holds none; throws on a damaged link. */
export async function decodeFragment(fragment) {
  const params = new URLSearchParams(fragment.replace(/^#/, ""));
  const packed = params.get(FRAGMENT_KEY);
  if (!packed) return null;
  const [format, data] = [packed.slice(0, 2), packed.slice(2)];
  let bytes = fromBase64Url(data);
  if (format === "z.") bytes = await pipe(bytes, new DecompressionStream("deflate-raw"));
  else if (format !== "j.") throw new Error("unknown link format");
  return sanitize(JSON.parse(new TextDecoder().decode(bytes)));
}
