"""The `jseval` command: `run`, `serve`, `conformance`, `datasource`, `library` (one module
each, registered in main.py).

Exit status, for every command: 0 success; 1 the JavaScript failed (`run`), a case failed
(`conformance`), no such datasource or library, or one exists (`add` without `--replace`); 2 a
usage or configuration error (a bad flag, an unreadable or non-UTF-8 file, bad JSON, an invalid
`JSEVAL_*` setting, an invalid request, an unreachable service, a refused library bundle), one
line on stderr, never a traceback; 130 interrupted.
"""

from __future__ import annotations

from api.cli.main import main

__all__ = ["main"]
