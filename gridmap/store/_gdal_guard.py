"""GDAL's reads of a GeoPackage, kept apart from this process's SQLite connections to it.

GDAL opens a GeoPackage without a busy handler: when another connection commits at that
moment (an audit row at sign-in, a version, a setting), SQLite answers SQLITE_BUSY and
GDAL reports a broken file ("not recognized as being in a supported file format",
"gpkg_contents … is missing", "attempt to write a readonly database") or reads a layer
without its geometry column's registration. 20 sessions signing in at once on one server
showed it (``bench/bench_load.py --clients server --accounts``,
``tests/test_gpkg_reads_while_written.py``).

So, per file, GDAL reads share a lock that this process's own ``sqlite3`` connections to
the file hold alone (:func:`gdal_reading`, :func:`sqlite_connected`): a reader-writer lock
(readers many at once, a connection alone), re-entrant for the thread holding a
connection, which may also read through GDAL. Python's standard library has no
reader-writer lock, hence these few lines. Another process writing the file is not seen
here; :func:`gridmap.store._gpkg._while_written` tries such a read again.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

_registry_lock = threading.Lock()
_locks: dict[str, _SharedExclusive] = {}


class _SharedExclusive:
    """Many holders of the shared side at once, or one thread (re-entrant) of the other."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._owner: int | None = None
        self._depth = 0
        self._waiting_owners = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._owner == me:  # the connection's own thread reads through GDAL
            yield
            return
        with self._cond:
            # writers waiting go first, so a stream of readers never starves them
            while self._owner is not None or self._waiting_owners:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
            else:
                self._waiting_owners += 1
                try:
                    while self._owner is not None or self._readers:
                        self._cond.wait()
                finally:
                    self._waiting_owners -= 1
                self._owner, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if not self._depth:
                    self._owner = None
                    self._cond.notify_all()


def _lock_of(path: str | os.PathLike[str]) -> _SharedExclusive:
    key = os.path.realpath(path)
    with _registry_lock:
        return _locks.setdefault(key, _SharedExclusive())


def gdal_reading(path: str | os.PathLike[str]) -> contextlib.AbstractContextManager[None]:
    """Hold while GDAL (pyogrio) reads the GeoPackage at `path`."""
    return _lock_of(path).shared()


def sqlite_connected(path: str | os.PathLike[str]) -> contextlib.AbstractContextManager[None]:
    """Hold while a ``sqlite3`` connection of this process to `path` is open."""
    return _lock_of(path).exclusive()
