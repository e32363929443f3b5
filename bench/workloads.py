"""The benchmark's workloads: one jseval request and one naive-baseline request each.

The naive server has no runtime, so where a workload uses one (`console`, the framework
functions, a virtual clock) its request carries the smallest inline stand-in that gives the same
answer. That flatters the baseline (no limits, no encoding rules, no isolation) and is deliberate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["WORKLOADS", "Workload"]


@dataclass(frozen=True)
class Workload:
    name: str
    jseval: dict[str, Any]
    naive: dict[str, Any]
    expect: Any = None  # the `result` both must give (None: not checked)


_COMPUTE = "let s = 0; for (let i = 0; i < 1e6; i++) s += i; s"
_JSON = (
    "JSON.stringify(Array.from({ length: 1000 }, (_, i) => "
    "({ id: i, name: 'item ' + i, even: i % 2 === 0, tags: ['a', 'b'] })))"
)
_LOGS = "for (let i = 0; i < 100; i++) console.log('line', i, { i })"
_NAIVE_LOGS = (
    "const lines = []; const show = (v) => typeof v === 'object' ? JSON.stringify(v) : String(v);\n"
    "const console = { log: (...a) => { lines.push(a.map(show).join(' ')); } };\n"
    + _LOGS
    + ";\nJSON.stringify(lines)"
)
_PROMISE = "async function f() { await null; return 42; }\nreturn await f();"
_FRAMEWORK = """await storeValue('k', 1);
await showAlert('hi', 'info');
let n = 0;
setInterval(() => { n++; }, 100, 'poll');
await new Promise((resolve) => setTimeout(resolve, 1000));
clearInterval('poll');
return n;"""
# The same with a hand-written store, action list and virtual clock, driven from the outside.
_NAIVE_FRAMEWORK = (
    """const store = {}; const actions = []; let now = 0; let seq = 0; const timers = new Map();
const storeValue = async (key, value) => { store[key] = value;
  actions.push({ type: 'STORE_VALUE', payload: { key, value } }); return {}; };
const showAlert = async (message, style) => {
  actions.push({ type: 'SHOW_ALERT', payload: { message, style } }); return {}; };
const setInterval = (f, d, id) => {
  id = id ?? ++seq; timers.set(id, { f, d, due: now + d, every: true }); return id; };
const setTimeout = (f, d) => {
  const id = ++seq; timers.set(id, { f, d, due: now + d, every: false }); return id; };
const clearInterval = (id) => { timers.delete(id); };
let done = false; let value;
(async () => {
"""
    + _FRAMEWORK
    + """
})().then((v) => { done = true; value = v; });
for (let round = 0; round < 1000 && !done; round++) {
  for (let k = 0; k < 8; k++) await null;
  if (done) break;
  let next = null;
  for (const [id, t] of timers) if (next === null || t.due < next[1].due) next = [id, t];
  if (next === null) continue;
  now = next[1].due;
  if (next[1].every) next[1].due += next[1].d; else timers.delete(next[0]);
  next[1].f();
}
return JSON.stringify({ value, store, actions });"""
)

WORKLOADS: tuple[Workload, ...] = (
    Workload("trivial", {"code": "1+1"}, {"code": "1+1"}, 2),
    Workload("compute", {"code": _COMPUTE}, {"code": _COMPUTE}, 499999500000),
    Workload("json", {"code": _JSON}, {"code": _JSON}),
    Workload("logs", {"code": _LOGS}, {"code": _NAIVE_LOGS}),
    Workload(
        "promise",
        {"code": _PROMISE, "mode": "function"},
        {"code": _PROMISE, "mode": "function"},
        42,
    ),
    Workload(
        "framework",
        {"code": _FRAMEWORK, "mode": "function", "clock": "virtual"},
        {"code": _NAIVE_FRAMEWORK, "mode": "function"},
    ),
)
