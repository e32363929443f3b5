"""The warm pool: sandboxes prepared ahead of time, and closed after use, off the request path.

Each evaluation takes a fresh sandbox (`acquire`) and gives it back to be closed (`discard`); a
sandbox is never reused. One maintenance thread keeps `size` sandboxes ready and closes used
ones, so neither the ~2-3 ms of building an isolate and loading the runtime nor the ~0.5 ms of
freeing one is paid while a caller waits, unless the pool has run dry.
"""

from __future__ import annotations

import collections
import threading
import time

from evaluator._sandbox import Sandbox, SandboxConfig

__all__ = ["SandboxPool"]


class SandboxPool:
    """Keeps `size` prepared sandboxes; thread-safe."""

    def __init__(self, size: int, config: SandboxConfig | None = None) -> None:
        self._size = max(0, size)
        self._config = config or SandboxConfig()
        self._ready: collections.deque[Sandbox] = collections.deque()
        self._used: collections.deque[Sandbox] = collections.deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._closing_since: float | None = None

    def start(self) -> None:
        """Start the maintenance thread (idempotent)."""
        with self._cond:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._maintain, name="jseval-pool", daemon=True)
            self._thread.start()

    @property
    def warm(self) -> int:
        """How many sandboxes are ready now."""
        return len(self._ready)

    @property
    def size(self) -> int:
        return self._size

    def stuck_closing_s(self) -> float:
        """How long the close in progress has taken (0 if none).

        Closing waits for V8 to stop, and V8 stops only between builtins: an isolate caught
        inside one long builtin (a huge string flattened at the heap limit, GC-thrashing) keeps
        a core busy after its evaluation was answered. A worker watches this to have itself
        replaced (see evaluator/_worker.py), which frees that core."""
        since = self._closing_since
        return 0.0 if since is None else time.monotonic() - since

    def wait_warm(self, timeout_s: float) -> bool:
        """Block until the pool is full (or `timeout_s` passes); return whether it is."""
        with self._cond:
            return self._cond.wait_for(
                lambda: len(self._ready) >= self._size or self._stopping, timeout_s
            )

    def acquire(self) -> Sandbox:
        """A fresh sandbox: a warm one if any, else one built now."""
        with self._cond:
            sandbox = self._ready.popleft() if self._ready else None
            self._cond.notify_all()
        if sandbox is None:
            sandbox = Sandbox(self._config)
        return sandbox

    def discard(self, sandbox: Sandbox) -> None:
        """Hand back a used sandbox; it is closed on the maintenance thread."""
        if self._thread is None:
            sandbox.close()
            return
        with self._cond:
            self._used.append(sandbox)
            self._cond.notify_all()

    def _maintain(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._stopping or self._used or len(self._ready) < self._size
                )
                if self._stopping:
                    return
                used = self._used.popleft() if self._used else None
                need = used is None and len(self._ready) < self._size
            if used is not None:
                self._closing_since = time.monotonic()
                used.close()
                self._closing_since = None
                continue
            if need:
                try:
                    sandbox = Sandbox(self._config)
                except Exception:
                    with self._cond:
                        self._cond.wait(0.1)
                    continue
                with self._cond:
                    self._ready.append(sandbox)
                    self._cond.notify_all()

    def close(self) -> None:
        """Stop the thread and close every sandbox the pool holds."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        with self._cond:
            leftovers = list(self._ready) + list(self._used)
            self._ready.clear()
            self._used.clear()
        for sandbox in leftovers:
            sandbox.close()
