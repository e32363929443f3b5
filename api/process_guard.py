"""Keep the API process's memory and environment from the worker processes it starts.

The workers run untrusted JavaScript as the same user as the API process. A worker that escaped
V8 could otherwise read `/proc/<api pid>/environ` (the initial environment: `JSEVAL_API_KEYS`,
`JSEVAL_ADMIN_KEYS`, `JSEVAL_MASTER_KEY`, `JSEVAL_DATABASE_URL`) or `/proc/<api pid>/mem`,
because Linux lets a process inspect any process of its own user. Marking the API process
not dumpable (`prctl(PR_SET_DUMPABLE, 0)`) makes its `/proc/<pid>` files root-owned and
refuses ptrace to everyone without CAP_SYS_PTRACE: the same-user worker reads nothing.

Side effects, accepted for a service: no core dump of the API process, and a debugger or
py-spy must run as root to attach. Workers are unaffected (`execve` resets the flag), and the
process itself still reads what it needs (`/proc/self/status` stays readable; `environ` and
`fd` do not, which nothing in jseval reads). Only `jseval serve` applies it; a test process or
an embedding application decides for itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["protect_process_memory"]

_PR_SET_DUMPABLE = 4


def protect_process_memory() -> bool:
    """Mark this process not dumpable (Linux); whether it was done."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return int(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False
