// shims/framework/30_store.js: storeValue, removeValue, clearStore, appsmith.store, localStorage.
// Exposes: the three store functions; `store` (the read-only view user code sees as
//          appsmith.store); `localStorage` (Appsmith's shim over the store).
// Hides:   the store's backing object. appsmith.store is a Proxy that refuses writes, so the only
//          way to change the store is the framework functions, and every change is recorded.
//          Keys are literal (storeValue("a.b", 1) sets key "a.b"); values are JSON copies by the
//          result rules, deep-frozen. localStorage.getItem reads a lodash-style path ("a.b[0]")
//          and gives null for a missing key; setItem is storeValue(key, value, true).
// Needs:   00_primordials, 05_host (config: store), 18_framework; 40_actions at call time.
// Load:    lazy (first use of the store, appsmith.store or localStorage).
(function (boot) {
  "use strict";
  const {
    Boolean, Proxy, ReflectDefineProperty, ReflectDeleteProperty, ReflectOwnKeys,
    ObjectHasOwn, ObjectKeys, String, StringPrototypeCharCodeAt, StringPrototypeSlice, listPush,
    newList,
  } = boot.primordials;
  const { emit } = boot.host;
  const { guard, expectType, copyValue } = boot.framework;

  const backing = {};
  const refuse = () => false;
  const store = new Proxy(backing, {
    __proto__: null,
    set: refuse,
    defineProperty: refuse,
    deleteProperty: refuse,
    setPrototypeOf: refuse,
    preventExtensions: refuse,
  });

  function define(key, value) {
    ReflectDefineProperty(backing, key, {
      __proto__: null, value, writable: true, enumerable: true, configurable: true,
    });
  }

  // The request's initial store, copied in at load.
  const initial = boot.host.config.store;
  const initialKeys = ObjectKeys(initial);
  for (let i = 0; i < initialKeys.length; i++) {
    define(initialKeys[i], boot.host.freeze(initial[initialKeys[i]]));
  }

  async function resolved(value) {
    return value;
  }

  // The work of each store function; the public ones add the Promise. localStorage calls these
  // directly: a promise it made would resolve with a `{}` nobody can see, whose `then` user code
  // could still observe (an Object.prototype getter), with that internal object as `this`.
  function setValue(key, value, persist) {
    guard("storeValue");
    expectType("storeValue", "key", "string", key);
    const flag = Boolean(persist);
    const copy = copyValue(value, "the stored value", boot.actions.valueLimit());
    const entry = "{\"key\":" + boot.actions.text(key, "the key") + ",\"value\":" + copy.text + ",\"persist\":" +
      (flag ? "true" : "false") + "}";
    boot.actions.record("STORE_VALUE", entry); // counted and charged (ends the run past a cap)
    boot.actions.charge(entry.length); // the store op repeats the value
    define(key, copy.value);
    emit("store_ops", "{\"op\":\"set\"," + StringPrototypeSlice(entry, 1));
  }

  function deleteValue(key) {
    guard("removeValue");
    expectType("removeValue", "key", "string", key);
    const keyJson = boot.actions.text(key, "the key");
    boot.actions.record("REMOVE_VALUE", "{\"key\":" + keyJson + "}");
    ReflectDeleteProperty(backing, key);
    emit("store_ops", "{\"op\":\"remove\",\"key\":" + keyJson + "}");
  }

  function clearValues() {
    guard("clearStore");
    boot.actions.record("CLEAR_STORE", "{}");
    const keys = ReflectOwnKeys(backing);
    for (let i = 0; i < keys.length; i++) ReflectDeleteProperty(backing, keys[i]);
    emit("store_ops", "{\"op\":\"clear\"}");
  }

  function storeValue(key, value, persist = true) {
    setValue(key, value, persist);
    return resolved({});
  }

  function removeValue(key) {
    deleteValue(key);
    return resolved({});
  }

  function clearStore() {
    clearValues();
    return resolved({});
  }

  // lodash's stringToPath: a.b[0]["c.d"] -> ["a", "b", "0", "c.d"].
  function pathSegments(path) {
    const segments = newList();
    let current = "";
    let i = 0;
    let pending = false;
    if (StringPrototypeCharCodeAt(path, 0) === 46) listPush(segments, ""); // leading "."
    while (i < path.length) {
      const c = path[i];
      if (c === ".") {
        if (pending || current !== "") listPush(segments, current);
        current = "";
        pending = false;
        i++;
      } else if (c === "[") {
        if (pending || current !== "") listPush(segments, current);
        current = "";
        pending = false;
        const quote = path[i + 1];
        if (quote === "\"" || quote === "'") {
          let j = i + 2;
          let text = "";
          while (j < path.length && path[j] !== quote) {
            if (path[j] === "\\" && j + 1 < path.length) j++;
            text += path[j];
            j++;
          }
          listPush(segments, text);
          i = j + 1;
          if (path[i] === "]") i++;
        } else {
          let j = i + 1;
          while (j < path.length && path[j] !== "]") j++;
          listPush(segments, StringPrototypeSlice(path, i + 1, j));
          i = j + 1;
        }
      } else {
        current += c;
        pending = true;
        i++;
      }
    }
    if (pending || current !== "") listPush(segments, current);
    return segments;
  }

  function isPlainKey(key) {
    for (let i = 0; i < key.length; i++) {
      const c = key[i];
      if (c === "." || c === "[") return false;
    }
    return true;
  }

  function getItem(key) {
    const name = String(key);
    let value;
    if (ObjectHasOwn(backing, name)) {
      value = backing[name];
    } else if (!isPlainKey(name)) {
      const segments = pathSegments(name);
      // The first step reads only the store's own keys: an inherited getter (user code may put
      // one on Object.prototype) must never be called with the backing object as `this`.
      value = ObjectHasOwn(backing, segments[0]) ? backing[segments[0]] : undefined;
      for (let i = 1; i < segments.length; i++) {
        if (value === null || value === undefined) break;
        value = value[segments[i]];
      }
    }
    return value === undefined ? null : value;
  }

  const localStorage = {
    __proto__: null,
    getItem,
    setItem(key, value) {
      setValue(key, value, true);
    },
    removeItem(key) {
      deleteValue(key);
    },
    clear() {
      clearValues();
    },
  };

  return { __proto__: null, storeValue, removeValue, clearStore, store, localStorage };
});
