"""PostGIS workspace URLs and the write lock: a PostgreSQL session advisory lock.

See :mod:`gridmap.store._postgis` for how the lock is held and reported.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from datetime import UTC
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from gridmap._errors import StoreError
from gridmap.i18n import Message
from gridmap.store._base import WorkspaceBusyError, _now, busy_timeout

#: The default schema (workspace) of a URL without ``?schema=``.
DEFAULT_SCHEMA = "gridmap"
#: First key of every gridmap advisory lock (the second is ``hashtext(schema)``).
LOCK_CLASS = 0x6772  # "gr"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def is_database_url(text: str) -> bool:
    """Whether `text` names a PostGIS workspace (``postgresql://`` or ``postgres://``)."""
    return str(text).startswith(("postgresql://", "postgres://"))


def parse_url(url: str) -> tuple[str, str]:
    """Split a workspace URL into psycopg's connection URL and the schema name.

    Raises
    ------
    StoreError
        when the schema is not a plain lower-case SQL name (letters, digits, ``_``).
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), DEFAULT_SCHEMA)
    if not _SCHEMA_NAME.fullmatch(schema):  # match() let a trailing newline through
        msg = f"`schema` must be a lower-case SQL name (a-z, 0-9, _; at most 63); got {schema!r}"
        raise StoreError(msg)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


#: Connection parameters that carry a secret: never shown in a label or message.
_SECRET_PARAMS = frozenset({"password", "sslpassword"})


def redact_url(url: str) -> str:
    """`url` with its passwords replaced by ``***``, for messages and labels.

    Both places libpq takes one are redacted: ``user:password@`` and the ``password`` (or
    ``sslpassword``) query parameter.
    """
    parts = urlsplit(str(url))
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k.lower() in _SECRET_PARAMS for k, _ in query) and netloc == parts.netloc:
        return str(url)
    hidden = [(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in query]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(hidden, safe="/*")))


def _write_failed(label: str, exc: BaseException) -> StoreError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(Message("workspace_write_failed", name=label, detail=detail[:300]))


class _AdvisoryLock:
    """The write lock of one PostGIS workspace in this process (see the module docstring)."""

    def __init__(self, conninfo: str, schema: str) -> None:
        self.conninfo, self.schema = conninfo, schema
        self._threads = threading.RLock()
        self._depth = 0
        self._con: psycopg.Connection | None = None
        self._note = ("?", "?")

    @contextlib.contextmanager
    def hold(self, timeout: float | None, who: str) -> Iterator[None]:
        wait = busy_timeout() if timeout is None else timeout
        got = self._threads.acquire(timeout=wait) if wait > 0 else self._threads.acquire(False)
        if not got:  # another thread of this process writes
            raise WorkspaceBusyError(self._busy(wait, *self._note))
        try:
            if self._depth == 0:
                self._take(wait, who)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._con is not None:
                    self._con.close()  # ends the session: the server drops the lock
                    self._con = None
        finally:
            self._threads.release()

    def _take(self, wait: float, who: str) -> None:
        since = _now().isoformat(sep=" ")
        con = psycopg.connect(self.conninfo, autocommit=True, application_name=_app_name(who))
        try:
            key = (LOCK_CLASS, self.schema)
            if wait <= 0:
                got = con.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", key)
                if not got.fetchone()[0]:  # type: ignore[index]
                    raise WorkspaceBusyError(self._busy(wait, *self._holder(con)))
            else:
                con.execute(sql.SQL("SET lock_timeout = {}").format(int(wait * 1000)))
                try:
                    con.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
                except psycopg.errors.LockNotAvailable:
                    raise WorkspaceBusyError(self._busy(wait, *self._holder(con))) from None
        except BaseException:
            con.close()
            raise
        self._con, self._note = con, (who, since)

    def _holder(self, con: psycopg.Connection) -> tuple[str, str]:
        row = con.execute(
            "SELECT a.application_name, a.query_start FROM pg_locks AS l"
            " JOIN pg_stat_activity AS a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND l.classid::bigint = %s"
            " AND l.objid::bigint = (hashtext(%s)::bigint & 4294967295)",
            (LOCK_CLASS, self.schema),
        ).fetchone()
        if row is None:
            return "?", "?"
        name, started = row
        who = unquote(name.removeprefix("gridmap "), errors="replace") if name else "?"
        when = started.astimezone(UTC).replace(microsecond=0).isoformat(sep=" ") if started else "?"
        return who, when

    @staticmethod
    def _busy(waited: float, who: str, since: str) -> Message:
        return Message("workspace_busy", who=who, since=since, seconds=round(waited))


def _app_name(who: str) -> str:
    """``gridmap <who>`` for ``application_name``: PostgreSQL keeps only ASCII there (and
    63 bytes), so the name is percent-encoded (a Chinese name survives) and cut whole."""
    encoded = quote(who, safe=" @._-")
    while len(encoded) > 55:
        who = who[:-1]
        encoded = quote(who, safe=" @._-")
    return f"gridmap {encoded}"


_LOCKS: dict[tuple[str, str], _AdvisoryLock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(conninfo: str, schema: str) -> _AdvisoryLock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((conninfo, schema), _AdvisoryLock(conninfo, schema))
