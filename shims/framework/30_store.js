// shims/framework/30_store.js: storeValue, removeValue, clearStore, appsmith.store, localStorage.
// Exposes: the three store functions; `store` (the read-only view user code sees as
//          appsmith.store); `localStorage` (Appsmith's shim over the store).
// Hides:   the store's backing object. appsmith.store is a Proxy that refuses writes, so the only
//          way to change the store is the framework functions, and every change is recorded.
// Needs:   00_primordials, 05_host (config: store), 18_framework; 40_actions and 16_promises at
//          call time.
// Load:    lazy (first use of the store, appsmith.store or localStorage).
//
// As Appsmith's workers/Evaluation/fns/storeFns.ts: no check of the key, which is literal
// (`set(this, ["appsmith", "store", key], value)`: storeValue("a.b", 1) sets key "a.b") and
// converted as lodash converts a path element (String(key), but -0 is "-0"); `persist` is a
// truthy test; each function resolves to `{}`; clearStore's payload is null. Values are JSON
// copies by the result rules, deep-frozen; a value that cannot be copied rejects the call's
// Promise with a TypeError and records nothing. localStorage (overrides/localStorage.ts):
// getItem reads a lodash-style path ("a.b[0]") and gives undefined for a missing key (lodash
// `get`); setItem is storeValue(key, value) whose Promise nobody holds (so a failure is logged
// as an unhandled rejection); removeItem and clear are removeValue and clearStore.
(function (boot) {
  "use strict";
  const {
    Proxy, ReflectDefineProperty, ReflectDeleteProperty, ReflectOwnKeys, ObjectHasOwn,
    ObjectKeys, String, StringPrototypeCharCodeAt, StringPrototypeSlice, SymbolPrototypeToString,
    listPush, newList,
  } = boot.primordials;
  const { emit } = boot.host;
  const { guard, copyValue, promised } = boot.framework;

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

  // lodash's toKey, as `set` applies it to each path element; a Symbol (which lodash would keep,
  // and which cannot cross to the main thread) is its String form.
  function storeKey(key) {
    if (typeof key === "string") return key;
    if (typeof key === "symbol") return SymbolPrototypeToString(key);
    if (key === 0 && 1 / key < 0) return "-0";
    return `${key}`;
  }

  // The work of each store function; the public ones wrap it in their Promise. localStorage calls
  // these directly: a promise it made would resolve with a `{}` nobody can see, whose `then` user
  // code could still observe (an Object.prototype getter), with that internal object as `this`.
  function setValue(key, value, persist) {
    const name = storeKey(key);
    const keyJson = boot.actions.text(name, "the key");
    const copy = copyValue(value, "the stored value", boot.actions.valueLimit());
    const entry = "{\"key\":" + keyJson + ",\"value\":" + copy.text + ",\"persist\":" +
      (persist ? "true" : "false") + "}";
    boot.actions.record("STORE_VALUE", entry); // counted and charged (ends the run past a cap)
    boot.actions.charge(entry.length); // the store op repeats the value
    define(name, copy.value);
    emit("store_ops", "{\"op\":\"set\"," + StringPrototypeSlice(entry, 1));
  }

  function deleteValue(key) {
    const name = storeKey(key);
    const keyJson = boot.actions.text(name, "the key");
    boot.actions.record("REMOVE_VALUE", "{\"key\":" + keyJson + "}");
    ReflectDeleteProperty(backing, name);
    emit("store_ops", "{\"op\":\"remove\",\"key\":" + keyJson + "}");
  }

  function clearValues() {
    boot.actions.record("CLEAR_STORE", "null");
    const keys = ReflectOwnKeys(backing);
    for (let i = 0; i < keys.length; i++) ReflectDeleteProperty(backing, keys[i]);
    emit("store_ops", "{\"op\":\"clear\"}");
  }

  function storeValue(key, value, persist = true) {
    guard("storeValue");
    return promised(() => {
      setValue(key, value, persist);
      return {};
    });
  }

  function removeValue(key) {
    guard("removeValue");
    return promised(() => {
      deleteValue(key);
      return {};
    });
  }

  function clearStore() {
    guard("clearStore");
    return promised(() => {
      clearValues();
      return {};
    });
  }

  // localStorage calls the store functions and drops their Promise: a failure is an unhandled
  // rejection (logged), never a throw.
  function dropped(work, key, value) {
    try {
      work(key, value, true);
    } catch (error) {
      boot.promises.rejected(error);
    }
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
    return value;
  }

  const localStorage = {
    __proto__: null,
    getItem,
    setItem(key, value) {
      guard("storeValue");
      dropped(setValue, key, value);
    },
    removeItem(key) {
      guard("removeValue");
      dropped(deleteValue, key, undefined);
    },
    clear() {
      guard("clearStore");
      dropped(clearValues, undefined, undefined);
    },
  };

  return { __proto__: null, storeValue, removeValue, clearStore, store, localStorage };
});
