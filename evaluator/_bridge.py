"""The whole bridge to V8: the only module that imports `py_mini_racer`.

We drive mini-racer's C entry points (`mr_init_context`, `mr_eval`, `mr_call_function`,
`mr_cancel_task`, `mr_free_context`) directly instead of through `MiniRacer`, for three reasons:

- `MiniRacer()` runs a timer prelude whose `var __timer_manager`/`setTimeout` cannot be deleted
  (no internal name may be reachable from the sandbox);
- its synchronous helpers hop through an asyncio loop per context, and awaiting a promise of a busy
  isolate blocks that loop for good; here every call is a task whose completion is a callback, and
  the caller waits on a lock with a deadline, so a deadline can always be kept;
- `wrap_py_function` hands JavaScript a Python traceback; this bridge has no Python callbacks that
  return values at all (see `Isolate.make_signal`).

These entry points are private API, so `pyproject.toml` pins mini-racer and
`tests/evaluator/test_bridge.py` checks every behaviour relied on here.

Threading: V8 runs each isolate on its own thread (mini-racer's message pump). Task results
arrive through one ctypes callback on that thread; it only decodes a primitive and releases the
waiter's lock. Microtasks run between tasks (mini-racer's `kExplicit` checkpoint), so a task posted
after another runs only once the first one's microtasks have drained.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import py_mini_racer
from py_mini_racer import _dll as _mr_dll  # mr_callback_func: the C callback type
from py_mini_racer._objects import _MiniRacerTypes as _T

__all__ = [
    "MINI_RACER_VERSION",
    "MODULES_UNAVAILABLE",
    "Isolate",
    "Reply",
    "Task",
    "cpu_has_memory_protection_keys",
    "init_v8",
    "v8_version",
]

MINI_RACER_VERSION: Final = "0.14.1"

# V8 flags, set once per process before the first isolate. None changes JavaScript semantics.
# - `--single-threaded`: mini-racer's own default (no V8 worker threads, so an isolate's work
#   stays on its pump thread).
# - `--no-memory-protection-keys`: on CPUs with memory protection keys (`pku` in /proc/cpuinfo:
#   most Intel server CPUs since Skylake-SP, AMD since Zen 3) V8 guards its code space with a
#   per-thread PKU key. mini-racer runs each isolate on its own thread, and creating an isolate
#   while another thread runs one then segfaults the whole process (in `mr_init_context`; plain
#   `MiniRacer()` on three threads crashes too). Without the keys V8 falls back to mprotect-based
#   write protection of its code space, which is what it does on CPUs without the feature.
V8_FLAGS: Final = ("--single-threaded", "--no-memory-protection-keys")

_ERROR_KINDS: Final = {
    _T.parse_exception: "parse_error",
    _T.execute_exception: "exec_error",
    _T.oom_exception: "oom",
    _T.timeout_exception: "terminated",
    _T.terminated_exception: "terminated",
    _T.value_exception: "exec_error",
    _T.key_exception: "exec_error",
}
_HANDLE_TYPES: Final = frozenset(
    {
        _T.function,
        _T.array,
        _T.object,
        _T.promise,
        _T.symbol,
        _T.shared_array_buffer,
        _T.array_buffer,
    }
)

logger = logging.getLogger("jseval.bridge")

_init_lock = threading.Lock()
_dll: Any = None


def init_v8() -> Any:
    """Load and initialise V8 once per process (idempotent); return the DLL handle."""
    global _dll
    with _init_lock:
        if _dll is None:
            try:
                _dll = py_mini_racer.init_mini_racer(flags=V8_FLAGS)
            except py_mini_racer.LibAlreadyInitializedError:
                # Someone in this process initialised mini-racer first, with flags we cannot
                # know or change. On a CPU with memory protection keys that may be without
                # `--no-memory-protection-keys`, and threaded use would then crash: say so once.
                _dll = py_mini_racer.init_mini_racer(ignore_duplicate_init=True)
                if cpu_has_memory_protection_keys():
                    logger.warning(
                        "mini-racer was initialised before jseval; if that was without "
                        "--no-memory-protection-keys, isolates on several threads may crash "
                        "this process (call evaluator.init_v8() first)"
                    )
            # V8 finishes initialising the process (its memory pools) when the first isolate is
            # created, and that step is not thread-safe: several threads creating their first
            # isolates at once aborted the process ("Check failed:
            # !IsConfigurablePoolInitialized()"). One isolate made and freed here, under the
            # lock, does it once before anyone else can.
            context = _dll.mr_init_context(_on_callback)
            _dll.mr_free_context(context)
        return _dll


def cpu_has_memory_protection_keys() -> bool:
    """Whether this CPU and kernel offer memory protection keys (`pku`/`ospke`, Linux only)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return "pku" in line.split()
    except OSError:
        pass
    return False


def v8_version() -> str:
    """The V8 version string, e.g. `14.4.258.23`."""
    return str(init_v8().mr_v8_version().decode("ascii"))


@dataclass(frozen=True, slots=True)
class Reply:
    """What a finished task gave back.

    `kind` is `value` for a completed call; otherwise the failure as mini-racer classified it:
    `parse_error`, `exec_error` (uncaught exception; `text` is V8's message with position),
    `oom` (hard heap limit), `terminated` (cancelled or stopped).
    """

    kind: str
    value: Any = None
    handle: Any = None  # raw value handle of a function/array/object; owned by the isolate

    @property
    def ok(self) -> bool:
        return self.kind == "value"

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else ""

    def buffer(self) -> memoryview | None:
        """The memory of a returned ArrayBuffer, shared with JavaScript (None for other values).

        It stays valid while the isolate lives (mini-racer holds the backing store for the
        handle until the context is freed). Touch it only while JavaScript cannot: before a
        task, or from a signal handler (which runs while JavaScript waits for it).
        """
        if self.handle is None or self.handle.contents.type != _T.array_buffer:
            return None
        contents = self.handle.contents
        if contents.len == 0:
            return memoryview(b"")
        array = (ctypes.c_ubyte * contents.len).from_address(contents.value.value_ptr)
        return memoryview(array).cast("B")


class _Waiter:
    """One outstanding task or signal: a lock the callback releases, and the reply."""

    __slots__ = ("ctx", "lock", "on_signal", "reply")

    def __init__(self, ctx: int, on_signal: Callable[[], None] | None = None) -> None:
        self.ctx = ctx
        self.lock = threading.Lock()
        self.reply: Reply | None = None
        self.on_signal = on_signal
        if on_signal is None:
            self.lock.acquire()


_waiters: dict[int, _Waiter] = {}
_ids = itertools.count(1)


def _decode(raw: Any) -> Reply:
    contents = raw.contents
    typ = contents.type
    value = contents.value
    if typ == _T.str_utf8:
        return Reply("value", value.bytes_val[0 : contents.len].decode("utf-8", "replace"))
    error_kind = _ERROR_KINDS.get(typ)
    if error_kind is not None:
        return Reply(error_kind, value.bytes_val[0 : contents.len].decode("utf-8", "replace"))
    if typ == _T.integer:
        return Reply("value", int(value.int_val))
    if typ == _T.double:
        return Reply("value", float(value.double_val))
    if typ == _T.bool:
        return Reply("value", value.int_val == 1)
    if typ in (_T.null, _T.undefined):
        return Reply("value", None)
    if typ in _HANDLE_TYPES:
        return Reply("value", None, handle=raw)
    return Reply("value", None)


@_mr_dll.mr_callback_func  # type: ignore[arg-type]  # mini-racer types the handle as a NewType
def _on_callback(callback_id: int, raw: Any) -> None:
    # Runs on the isolate's thread, which is blocked until we return: decode, release, leave.
    waiter = _waiters.get(callback_id)
    if waiter is None:
        return
    if waiter.ctx in _without_import_hook:
        # The isolate's first task (the runtime, before any user code) just ended: the first
        # moment its thread is ours and V8 knows it as the current isolate.
        _without_import_hook.discard(waiter.ctx)
        _import_hook.install_on_current_isolate()
    if waiter.on_signal is not None:
        _dll.mr_free_value(waiter.ctx, raw)
        waiter.on_signal()
        return
    del _waiters[callback_id]
    reply = _decode(raw)
    if reply.handle is None:
        _dll.mr_free_value(waiter.ctx, raw)
    waiter.reply = reply
    waiter.lock.release()


# -- dynamic import() ------------------------------------------------------------------------
# mini-racer has no modules and sets no host import callback, so V8 answers every `import()`
# with its default: a promise rejected with `Error: Not supported`. SPEC section 3 wants
# `TypeError: modules are not available`, from every path (eval, Function, timer callbacks), so
# it is said where V8 asks: a host callback (v8::Isolate::SetHostImportModuleDynamicallyCallback)
# that answers each import() with a fresh promise rejected with that TypeError, made by V8's
# own API (String::NewFromUtf8, Exception::TypeError, Promise::Resolver). mini-racer's C API
# lacks these calls; libmini_racer.so exports them (it is V8 linked whole), so they are called
# through ctypes by their Itanium-mangled names. Every argument and result is a pointer-sized
# handle the callback passes on without reading, which the C calling convention carries the
# same way on x86-64 and arm64 (tests/evaluator/test_bridge.py checks the behaviour). A V8 call
# returns an empty handle only while an exception (a termination) is pending, and the callback
# then returns empty too, which is what V8 expects. Cost: ~40 us per import() (a Python call).

MODULES_UNAVAILABLE: Final = "modules are not available"

_V8_SYMBOLS: Final = {
    "current_isolate": "_ZN2v87Isolate10GetCurrentEv",
    "set_import_callback": (
        "_ZN2v87Isolate38SetHostImportModuleDynamicallyCallbackEPFNS_10MaybeLocalINS_7Promise"
        "EEENS_5LocalINS_7ContextEEENS4_INS_4DataEEENS4_INS_5ValueEEENS4_INS_6StringEEENS4_INS_"
        "10FixedArrayEEEE"
    ),
    "new_string": "_ZN2v86String11NewFromUtf8EPNS_7IsolateEPKcNS_13NewStringTypeEi",
    "type_error": "_ZN2v89Exception9TypeErrorENS_5LocalINS_6StringEEENS1_INS_5ValueEEE",
    "new_resolver": "_ZN2v87Promise8Resolver3NewENS_5LocalINS_7ContextEEE",
    "reject": "_ZN2v87Promise8Resolver6RejectENS_5LocalINS_7ContextEEENS2_INS_5ValueEEE",
    "promise_of": "_ZN2v87Promise8Resolver10GetPromiseEv",
}
_P = ctypes.c_void_p
_SIGNATURES: Final = {  # name -> (result type, argument types)
    "current_isolate": (_P, []),
    "set_import_callback": (None, [_P, _P]),
    "new_string": (_P, [_P, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]),
    "type_error": (_P, [_P, _P]),
    "new_resolver": (_P, [_P]),
    "reject": (ctypes.c_uint16, [_P, _P, _P]),  # v8::Maybe<bool>: two bytes, ignored
    "promise_of": (_P, [_P]),
}
_IMPORT_CALLBACK = ctypes.CFUNCTYPE(_P, _P, _P, _P, _P, _P)
_NEW_STRING_NORMAL = 0


class _ImportHook:
    """The host import callback, bound to V8's API once per process."""

    def __init__(self) -> None:
        self._api: dict[str, Any] | None = None
        self._message = MODULES_UNAVAILABLE.encode("ascii")
        self._callback = _IMPORT_CALLBACK(self._on_import)  # kept alive with this object
        self._address = ctypes.cast(self._callback, _P).value

    def _bind(self) -> dict[str, Any] | None:
        if self._api is None:
            api: dict[str, Any] = {}
            try:
                for name, symbol in _V8_SYMBOLS.items():
                    function = getattr(_dll, symbol)
                    function.restype, function.argtypes = _SIGNATURES[name]
                    api[name] = function
            except AttributeError:
                logger.warning("this mini-racer build lacks V8's API: import() keeps V8's error")
                api = {}
            self._api = api
        return self._api or None

    def install_on_current_isolate(self) -> None:
        """On an isolate's thread, while V8 runs it: answer its import() calls from now on."""
        api = self._bind()
        if api is None:
            return
        isolate = api["current_isolate"]()
        if isolate:
            api["set_import_callback"](isolate, self._address)

    def _on_import(
        self, context: int | None, _options: int, _resource: int, _specifier: int, _attributes: int
    ) -> int | None:
        # On the isolate's thread, inside the import() call: a promise rejected with a TypeError.
        api = self._api
        assert api is not None  # installed only once bound
        message = api["new_string"](
            api["current_isolate"](), self._message, _NEW_STRING_NORMAL, len(self._message)
        )
        error = api["type_error"](message, None) if message else None
        resolver = api["new_resolver"](context) if error else None
        if not resolver:
            return None  # V8 is terminating this JavaScript: an empty answer is expected
        api["reject"](resolver, context, error)
        promise: int | None = api["promise_of"](resolver)
        return promise


_import_hook = _ImportHook()
# Isolates whose first task has not ended yet (the import hook is installed then).
_without_import_hook: set[int] = set()


class Task:
    """A call or eval posted to an isolate; `wait()` for its reply with a deadline."""

    __slots__ = ("_isolate", "_waiter", "callback_id", "task_id")

    def __init__(self, isolate: Isolate, callback_id: int, waiter: _Waiter) -> None:
        self._isolate = isolate
        self.callback_id = callback_id
        self._waiter = waiter
        self.task_id = 0

    def wait(self, timeout_s: float | None = None) -> Reply | None:
        """The reply, or None if it did not come within `timeout_s` seconds."""
        if timeout_s is not None and timeout_s <= 0:
            acquired = self._waiter.lock.acquire(blocking=False)
        else:
            acquired = self._waiter.lock.acquire(timeout=-1 if timeout_s is None else timeout_s)
        if not acquired:
            return None
        self._waiter.lock.release()  # let other waiters of the same task through
        return self._waiter.reply

    @property
    def done(self) -> bool:
        return self._waiter.reply is not None

    def cancel(self) -> None:
        """Cancel the task; if it is running, V8 terminates it (uncatchable)."""
        self._isolate._cancel(self.task_id)


class Isolate:
    """One V8 isolate with one context, created without mini-racer's timer prelude.

    Once its first task has ended, `import()` in it rejects with `TypeError: modules are not
    available` (see the import hook above). Not thread-safe for posting; `close()` may be
    called from any thread except the isolate's.
    """

    def __init__(self) -> None:
        dll = init_v8()
        self._dll = dll
        self._ctx: int = dll.mr_init_context(_on_callback)
        _without_import_hook.add(self._ctx)
        self._lock = threading.Lock()
        self._closed = False
        self._own_ids: list[int] = []

    # -- tasks ---------------------------------------------------------------------------

    def _new_waiter(self) -> tuple[int, _Waiter]:
        callback_id = next(_ids)
        waiter = _Waiter(self._ctx)
        _waiters[callback_id] = waiter
        return callback_id, waiter

    def _string(self, text: str) -> Any:
        data = text.encode("utf-8", "surrogatepass")
        return self._dll.mr_alloc_string_val(self._ctx, data, len(data), _T.str_utf8)

    def eval(self, code: str) -> Task:
        """Post `code` as a classic script (origin `<anonymous>`)."""
        callback_id, waiter = self._new_waiter()
        task = Task(self, callback_id, waiter)
        handle = self._string(code)
        with self._lock:
            if self._closed:
                return self._closed_task(task, waiter)
            task.task_id = self._dll.mr_eval(self._ctx, handle, callback_id)
        self._dll.mr_free_value(self._ctx, handle)
        return task

    def call(self, function: Any, this: str, argv: Any) -> Task:
        """Post `function.call(this, ...argv)`; `this` is passed as a JS string."""
        callback_id, waiter = self._new_waiter()
        task = Task(self, callback_id, waiter)
        this_handle = self._string(this)
        with self._lock:
            if self._closed:
                return self._closed_task(task, waiter)
            task.task_id = self._dll.mr_call_function(
                self._ctx, function, this_handle, argv, callback_id
            )
        self._dll.mr_free_value(self._ctx, this_handle)
        return task

    def _closed_task(self, task: Task, waiter: _Waiter) -> Task:
        _waiters.pop(task.callback_id, None)
        waiter.reply = Reply("terminated", "isolate closed")
        waiter.lock.release()
        return task

    def _cancel(self, task_id: int) -> None:
        with self._lock:
            if not self._closed and task_id:
                self._dll.mr_cancel_task(self._ctx, task_id)

    # -- set-up calls (only while the isolate is idle: they block on its thread) ----------

    def push(self, array: Any, value: Any) -> None:
        """`array.push(value)` for handles; used while preparing, never on a busy isolate."""
        raw = self._dll.mr_array_push(self._ctx, array, value)
        self._dll.mr_free_value(self._ctx, raw)

    def make_signal(self, on_signal: Callable[[], None]) -> Any:
        """A JS function that, when called, runs `on_signal()` on the isolate's thread.

        Its arguments are ignored: reading them would need the isolate, which is blocked in
        the call. `on_signal` must only record and cancel; it must not call into this isolate
        except `cancel_running()`.
        """
        callback_id = next(_ids)
        _waiters[callback_id] = _Waiter(self._ctx, on_signal)
        self._own_ids.append(callback_id)
        return self._dll.mr_make_js_callback(self._ctx, callback_id)

    # -- limits --------------------------------------------------------------------------

    def set_memory_limit(self, limit_bytes: int) -> None:
        """Hard heap limit: past it (checked after each GC) V8 terminates the running JS."""
        with self._lock:
            if not self._closed:
                self._dll.mr_set_hard_memory_limit(self._ctx, limit_bytes)
                self._dll.mr_set_soft_memory_limit(self._ctx, limit_bytes * 3 // 4)

    def heap_used_bytes(self) -> int:
        """V8's `used_heap_size` now; for benchmarks, on an idle isolate (it runs a task)."""
        with self._lock:
            if self._closed:
                return 0
            raw = self._dll.mr_heap_stats(self._ctx)
        try:
            reply = _decode(raw)
        finally:
            self._dll.mr_free_value(self._ctx, raw)
        stats = json.loads(reply.value) if isinstance(reply.value, str) else {}
        return int(stats.get("used_heap_size", 0))

    def memory_limit_reached(self) -> bool:
        with self._lock:
            return (not self._closed) and bool(self._dll.mr_hard_memory_limit_reached(self._ctx))

    # -- teardown ------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Free the isolate. Stops any JavaScript still running (microtask loops included).

        Blocks until V8's thread has stopped (about a millisecond; longer only while V8 is
        inside one uninterruptible builtin). Idempotent.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._dll.mr_free_context(self._ctx)
        _without_import_hook.discard(self._ctx)
        for callback_id in self._own_ids:
            _waiters.pop(callback_id, None)
        # Release anyone still waiting on a task of this isolate.
        for callback_id, waiter in list(_waiters.items()):
            mine = waiter.ctx == self._ctx and waiter.on_signal is None
            if mine and _waiters.pop(callback_id, None) is not None:
                waiter.reply = Reply("terminated", "isolate closed")
                waiter.lock.release()

    def __del__(self) -> None:
        # Isolates are closed explicitly by their owner; this only guards against leaks.
        if not getattr(self, "_closed", True):
            with contextlib.suppress(Exception):  # interpreter teardown
                self.close()

