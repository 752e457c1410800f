"""The audit log: who did what, when and where, in an append-only table of the workspace.

Recorded: every write (import, edit, plan commit), restore, export, sign-in (successful
or not) and account change. Rows are never changed or removed (the storage refuses it,
see :mod:`gridmap.access._storage`).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from gridmap._errors import GridmapError
from gridmap.access._scope import Scope
from gridmap.access._storage import AUDIT_TABLE, COLUMNS, AccessStorage
from gridmap.i18n import Message

#: What an audit row can record.
ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "write",
    "restore",
    "export",
    "account_add",
    "account_change",
    "account_password",
)

#: Longest free-text detail kept in one row (a commit message, a file name).
DETAIL_LIMIT = 500


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def record(
    storage: AccessStorage,
    *,
    user: str,
    role: str,
    action: str,
    layer: str | None = None,
    version: int | None = None,
    scope: str = "",
    client: str = "",
    detail: str = "",
) -> None:
    """Append one row to the audit log.

    Parameters
    ----------
    storage : AccessStorage
        The workspace's accounts and audit storage (:func:`gridmap.access.access_storage`).
    user, role : str
        Who acted (the name typed at a failed sign-in, as typed).
    action : str
        One of :data:`ACTIONS`.
    layer, version : optional
        Where: the layer and the version made, restored or exported.
    scope : str
        The account's grid-code prefix ("" for everything).
    client : str
        The browser's address as the server saw it, or ``cli``.
    detail : str
        Free text: the commit message, the export's format, why a sign-in failed.

    Raises
    ------
    GridmapError
        for an unknown `action`.
    """
    if action not in ACTIONS:
        raise GridmapError(Message("access_action_invalid", action=action))
    storage.insert(
        AUDIT_TABLE,
        {
            "at": _now(),
            "user": str(user)[:200],
            "role": role,
            "action": action,
            "layer": layer,
            "version": None if version is None else int(version),
            "scope": scope,
            "client": str(client)[:200],
            "detail": str(detail)[:DETAIL_LIMIT],
        },
    )


def read_audit(
    storage: AccessStorage,
    *,
    user: str | None = None,
    action: str | None = None,
    layer: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    within: Scope | None = None,
) -> pd.DataFrame:
    """The audit log, oldest first, filtered by the given values (all when none).

    `since` and `until` (aware datetimes, or naive ones meaning UTC) bound ``at``,
    inclusive. With `within` (an administrator's area), only rows whose scope lies inside
    it: another area's sign-ins, addresses and exports, and names typed at failed
    sign-ins (no scope), are for administrators of the whole workspace. Columns as
    :data:`gridmap.access._storage.COLUMNS` for the audit table, ``at`` as UTC timestamps.
    """
    where = {k: v for k, v in (("user", user), ("action", action), ("layer", layer)) if v}
    frame = pd.DataFrame(storage.select(AUDIT_TABLE, where=where), columns=COLUMNS[AUDIT_TABLE])
    if within is not None and not within.everything:
        inside = frame["scope"].fillna("").astype(str).str.startswith(within.prefix)
        frame = frame.loc[inside.to_numpy()]
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["version"] = frame["version"].astype("Int64")
    for bound, keep in ((since, lambda a, b: a >= b), (until, lambda a, b: a <= b)):
        if bound is not None:
            stamp = pd.Timestamp(bound)
            stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
            frame = frame.loc[keep(frame["at"], stamp)]
    return frame.reset_index(drop=True)


def export_audit(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write an audit extract as CSV for Excel, cells that could run as formulas neutralised.

    Through :func:`gridmap.io.csv_bytes` (UTF-8 with BOM, :func:`gridmap.io.neutralise_formulas`):
    the user names typed at failed sign-ins are attacker-controlled.
    """
    target = Path(path)
    target.write_bytes(audit_csv(frame))
    return target


def audit_csv(frame: pd.DataFrame) -> bytes:
    """An audit extract as CSV bytes for Excel (a download), like :func:`export_audit`."""
    from gridmap.io import csv_bytes

    shown = frame.copy()
    shown["at"] = shown["at"].dt.strftime("%Y-%m-%d %H:%M:%S%z")
    return csv_bytes(shown)
