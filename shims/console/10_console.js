// shims/console/10_console.js: console, captured as log entries (the result's `logs`).
// Exposes: `console` (log info warn error debug trace table, plus assert count countReset dir
//          dirxml group groupCollapsed groupEnd time timeLog timeEnd clear),
//          `logLine(level, text)` for the runtime's own lines ("Uncaught ..."); caps from config.
// Hides:   the counters, the caps, the outbox; entries leave through 05_host's outbox.
// Needs:   00_primordials, 05_host, 06_utf8, 08_encode, 09_inspect; 12_errors and 15_clock at
//          call time.
// Load:    lazy (first use of `console`).
//
// Levels are the method names for log/info/warn/error/debug/trace/table; the other methods log at
// "log", except assert, which logs at "error" as browsers do. Past `max_log_entries` entries or
// `max_log_bytes` of text (SPEC: counted over `text`, so `console.log('%c', css)` costs only what
// it prints), entries are dropped and `logs_truncated` is set; the code goes on. Arguments are
// bounded too, by the answer's own cap (`max_output_bytes`, SPEC section 2): args past it could
// never be returned, so they are never encoded.
(function (boot) {
  "use strict";
  const {
    ArrayPrototypeJoin, Map, MapPrototypeDelete, MapPrototypeForEach, MapPrototypeGet,
    MapPrototypeHas, MapPrototypeSet, ObjectHasOwn, ObjectKeys, String, StringPrototypeCharCodeAt,
    StringPrototypeRepeat, listPush, newList, stringSplit,
  } = boot.primordials;
  const { emit, jsonString, jsonNumber } = boot.host;
  const { utf8Length } = boot.utf8;
  const { encode, EncodeFailure } = boot.encode;
  const { format, inspect, quoteString } = boot.inspect;

  const config = boot.host.config;
  const limits = {
    __proto__: null, maxEntries: config.maxLogEntries, maxBytes: config.maxLogBytes,
    maxArgBytes: config.maxOutputBytes,
  };
  const state = {
    __proto__: null, entries: 0, textBytes: 0, argBytes: 0, truncated: false, indent: 0,
  };
  const counts = new Map();
  const timers = new Map();

  function indented(text) {
    if (state.indent === 0) return text;
    const pad = StringPrototypeRepeat(" ", state.indent);
    return pad + ArrayPrototypeJoin(stringSplit(text, "\n"), "\n" + pad);
  }

  function encodeArgs(args) {
    let out = "";
    for (let i = 0; i < args.length; i++) {
      const budget = limits.maxArgBytes - state.argBytes;
      let text;
      try {
        text = encode(args[i], {
          maxBytes: budget < 0 ? 0 : budget, onCycle: "mark", onThrow: "mark",
          root: "a log argument",
        });
      } catch (error) {
        if (error instanceof EncodeFailure) return undefined;
        throw error;
      }
      state.argBytes += text.length;
      out += (i > 0 ? "," : "") + text;
    }
    return out;
  }

  // Whether an entry for `args` may still fit, checked before anything is formatted: once logs
  // are truncated nothing more is recorded, and string arguments longer than the argument bytes
  // left (every string argument is encoded in `args`; a UTF-16 unit is at least one UTF-8 byte)
  // cannot fit, so they are never flattened or copied. The text is checked once formatted.
  function mayFit(args) {
    if (state.truncated) return false;
    let length = 0;
    for (let i = 0; i < args.length; i++) {
      if (typeof args[i] === "string") length += args[i].length;
    }
    if (state.argBytes + length > limits.maxArgBytes) {
      state.truncated = true;
      return false;
    }
    return true;
  }

  // Record one entry; `args` is the list as called, `text` the printed line.
  function record(level, args, rawText) {
    if (state.truncated) return;
    const text = indented(rawText);
    const bytes = utf8Length(text);
    if (state.entries >= limits.maxEntries || state.textBytes + bytes > limits.maxBytes) {
      state.truncated = true;
      return;
    }
    let argsText = encodeArgs(args);
    if (argsText === undefined) {
      argsText = "";
      state.truncated = true;
    }
    state.entries += 1;
    state.textBytes += bytes;
    emit("logs", "{\"level\":" + jsonString(level) + ",\"args\":[" + argsText + "],\"text\":" +
      jsonString(text) + ",\"at_ms\":" + jsonNumber(boot.clock.elapsedMs()) + "}");
  }

  function logLine(level, text) {
    const args = newList();
    listPush(args, text);
    record(level, args, text);
  }

  function userFrames() {
    const stack = boot.errors.captureUserStack();
    return stack === "" ? "" : "\n" + stack;
  }

  function cellText(value) {
    return typeof value === "string" ? quoteString(value) : inspect(value, 0);
  }

  function tableText(data, columns) {
    if (data === null || typeof data !== "object") return undefined;
    const rowKeys = ObjectKeys(data);
    const header = newList();
    listPush(header, "(index)");
    const columnIndex = new Map();
    let hasValues = false;
    const rows = newList();
    for (let r = 0; r < rowKeys.length; r++) {
      const row = data[rowKeys[r]];
      const cells = { __proto__: null };
      if (row !== null && typeof row === "object") {
        const keys = ObjectKeys(row);
        for (let k = 0; k < keys.length; k++) {
          const key = keys[k];
          if (!MapPrototypeHas(columnIndex, key)) MapPrototypeSet(columnIndex, key, true);
          cells[key] = cellText(row[key]);
        }
      } else {
        hasValues = true;
        cells["\u0000values"] = cellText(row);
      }
      listPush(rows, cells);
    }
    const names = newList();
    if (columns !== undefined && columns !== null) {
      for (let i = 0; i < columns.length; i++) listPush(names, String(columns[i]));
    } else {
      const keys = newList();
      MapPrototypeForEach(columnIndex, (_, key) => listPush(keys, key));
      for (let i = 0; i < keys.length; i++) listPush(names, keys[i]);
    }
    for (let i = 0; i < names.length; i++) listPush(header, names[i]);
    if (hasValues) listPush(header, "Values");
    const table = newList();
    listPush(table, header);
    for (let r = 0; r < rows.length; r++) {
      const line = newList();
      listPush(line, rowKeys[r]);
      for (let i = 0; i < names.length; i++) {
        listPush(line, ObjectHasOwn(rows[r], names[i]) ? rows[r][names[i]] : "");
      }
      if (hasValues) {
        listPush(line, ObjectHasOwn(rows[r], "\u0000values") ? rows[r]["\u0000values"] : "");
      }
      listPush(table, line);
    }
    const widths = newList();
    for (let c = 0; c < header.length; c++) {
      let width = 0;
      for (let r = 0; r < table.length; r++) {
        if (table[r][c].length > width) width = table[r][c].length;
      }
      listPush(widths, width + 2);
    }
    const rule = (left, mid, right) => {
      const parts = newList();
      for (let c = 0; c < widths.length; c++) listPush(parts, StringPrototypeRepeat("─", widths[c]));
      return left + ArrayPrototypeJoin(parts, mid) + right;
    };
    const lineText = (cells) => {
      const parts = newList();
      for (let c = 0; c < cells.length; c++) {
        listPush(parts, " " + cells[c] + StringPrototypeRepeat(" ", widths[c] - cells[c].length - 1));
      }
      return "│" + ArrayPrototypeJoin(parts, "│") + "│";
    };
    const out = newList();
    listPush(out, rule("┌", "┬", "┐"));
    listPush(out, lineText(table[0]));
    listPush(out, rule("├", "┼", "┤"));
    for (let r = 1; r < table.length; r++) listPush(out, lineText(table[r]));
    listPush(out, rule("└", "┴", "┘"));
    return ArrayPrototypeJoin(out, "\n");
  }

  function labelOf(label) {
    return label === undefined ? "default" : String(label);
  }

  function makeLevel(level, name) {
    const method = {
      [name](...args) {
        if (mayFit(args)) record(level, args, format(args));
      },
    }[name];
    return method;
  }

  // A plain object, writable like a browser's: replacing console.log only changes what user code
  // calls; the runtime's own lines go through logLine.
  const console = {
    log: makeLevel("log", "log"),
    info: makeLevel("info", "info"),
    warn: makeLevel("warn", "warn"),
    error: makeLevel("error", "error"),
    debug: makeLevel("debug", "debug"),
    trace(...args) {
      if (!mayFit(args)) return;
      const message = args.length > 0 ? "Trace: " + format(args) : "Trace";
      record("trace", args, message + userFrames());
    },
    table(data, columns) {
      const args = newList();
      listPush(args, data);
      if (!mayFit(args)) return;
      let text;
      try {
        text = tableText(data, columns);
      } catch {
        text = undefined;
      }
      record("table", args, text === undefined ? format(args) : text);
    },
    dir(value) {
      const args = newList();
      listPush(args, value);
      if (!mayFit(args)) return;
      record("log", args, inspect(value));
    },
    dirxml: makeLevel("log", "dirxml"),
    assert(condition, ...args) {
      if (condition || !mayFit(args)) return;
      const text = args.length > 0 ? "Assertion failed: " + format(args) : "Assertion failed";
      record("error", args, text);
    },
    count(label) {
      const key = labelOf(label);
      const n = (MapPrototypeHas(counts, key) ? MapPrototypeGet(counts, key) : 0) + 1;
      MapPrototypeSet(counts, key, n);
      logLine("log", key + ": " + n);
    },
    countReset(label) {
      MapPrototypeDelete(counts, labelOf(label));
    },
    group(...args) {
      if (args.length > 0 && mayFit(args)) record("log", args, format(args));
      state.indent += 2;
    },
    groupCollapsed(...args) {
      if (args.length > 0 && mayFit(args)) record("log", args, format(args));
      state.indent += 2;
    },
    groupEnd() {
      if (state.indent >= 2) state.indent -= 2;
    },
    time(label) {
      MapPrototypeSet(timers, labelOf(label), boot.clock.elapsedMs());
    },
    timeLog(label, ...args) {
      const key = labelOf(label);
      if (!MapPrototypeHas(timers, key)) return;
      const elapsed = boot.clock.elapsedMs() - MapPrototypeGet(timers, key);
      if (!mayFit(args)) return;
      const extra = args.length > 0 ? " " + format(args) : "";
      logLine("log", key + ": " + elapsed + "ms" + extra);
    },
    timeEnd(label) {
      const key = labelOf(label);
      if (!MapPrototypeHas(timers, key)) return;
      const elapsed = boot.clock.elapsedMs() - MapPrototypeGet(timers, key);
      MapPrototypeDelete(timers, key);
      logLine("log", key + ": " + elapsed + "ms");
    },
    clear() {},
  };

  function truncated() {
    return state.truncated;
  }

  return { __proto__: null, console, logLine, truncated };
});
