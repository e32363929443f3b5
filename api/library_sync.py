"""Keeps the evaluation service's installed libraries equal to the data store's (SPEC section 9).

The API process is the only one that opens the data store; the service (its worker processes)
gets the libraries pushed, sources included (`EvaluationService.set_libraries`). Three moments
push them:

- `prime()`, when the app is built: before any worker starts, so the first evaluation already
  has them;
- `refresh()` after every install or removal made through this process's admin API, before
  the answer is sent: the next evaluation on this replica sees the change;
- `watch()`, every `JSEVAL_LIBRARY_REFRESH_MS` (2 s): an install made by another replica or by
  `jseval library` on the same database. It asks the store for its version (a digest of names,
  versions and hashes: one small query) and reads the sources only when it changed.
  `/v1/info` refreshes as well, so what it lists is what evaluations are offered.

If the store cannot answer, the libraries offered last stay offered (and it is logged by kind):
evaluations never wait on the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from evaluator import (
    EvaluationService,
    InstalledLibrary,
    JsevalError,
    Library,
    builtin_libraries,
)
from evaluator.libraries import SqlLibraryStore

__all__ = ["LibrarySync"]

logger = logging.getLogger("jseval.libraries")


class LibrarySync:
    """The store's installed libraries, pushed to the service when they change."""

    def __init__(
        self, store: SqlLibraryStore, service: EvaluationService, refresh_s: float
    ) -> None:
        self.store = store
        self._service = service
        self._refresh_s = refresh_s
        self._version: int | None = None
        self._offered: list[Library] = []
        self._lock = asyncio.Lock()

    def prime(self) -> None:
        """Read the store and hand its libraries to the service (blocking; before it starts).

        Raises DataStoreError if the store cannot answer: the app is not built then.
        """
        version = self.store.version()  # before the sources: a change between the two reads
        self._offer(version, self.store.installed())  # is then read again next time

    def libraries(self) -> list[Library]:
        """Every library the service offers now, built-ins first (what `/v1/info` lists)."""
        return [*builtin_libraries(), *self._offered]

    async def refresh(self) -> bool:
        """Push the store's libraries to the service if they changed; whether they did.

        Raises DataStoreError if the store cannot answer (the admin routes answer 503)."""
        async with self._lock:
            version = await run_in_threadpool(self.store.version)
            if version == self._version:
                return False
            self._offer(version, await run_in_threadpool(self.store.installed))
            return True

    async def watch(self) -> None:
        """Refresh every `refresh_s` until cancelled; a failure is logged and retried."""
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                if await self.refresh():
                    logger.info("installed libraries changed: %d offered", len(self._offered))
            except JsevalError as exc:
                logger.warning("installed libraries not refreshed: %s", type(exc).__name__)

    def _offer(self, version: int, installed: Sequence[InstalledLibrary]) -> None:
        self._service.set_libraries(installed)
        self._offered = [library.library for library in installed]
        self._version = version
