"""Roles and what each may do: pages, edits, personal data, exports, accounts.

A role is a fixed bundle of rights, not a list of switches per account: five bundles are
what a street office can explain and audit. Policy lives here, in one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridmap._errors import GridmapError
from gridmap.i18n import Message

#: Every page of the app, by the name its file has in ``app_pages/``.
PAGES = (
    "overview",
    "heatmaps",
    "warnings_report",
    "coverage",
    "patrol_routes",
    "grids",
    "data",
    "accounts",
)


class AccessDeniedError(GridmapError, PermissionError):
    """The signed-in account's role or scope does not allow what was asked."""


@dataclass(frozen=True)
class Rights:
    """What one role may do.

    Attributes
    ----------
    pages : frozenset of str
        Pages (of :data:`PAGES`) the role sees in the navigation.
    edit : bool
        May write layers (import, edit, commit a plan) and restore versions.
    personal_data : bool
        Sees personal data in incident descriptions unmasked (names, phone and ID-card
        numbers); without it they are masked by :func:`gridmap.access.mask_personal_data`.
    export : bool
        May download layers and reports.
    manage_accounts : bool
        May create, disable and change accounts and read the audit log.
    """

    pages: frozenset[str]
    edit: bool
    personal_data: bool
    export: bool
    manage_accounts: bool


_ALL = frozenset(PAGES)
_WORK = frozenset(PAGES) - {"accounts"}

#: The five roles of issue #10. Street-office analysts handle citizen requests and see
#: who filed them; police see callers' data for their cases; planners and grid workers
#: (viewers) need the map, not the people.
ROLES: dict[str, Rights] = {
    "administrator": Rights(_ALL, edit=True, personal_data=True, export=True, manage_accounts=True),
    "analyst": Rights(
        frozenset({"overview", "heatmaps", "warnings_report", "data"}),
        edit=True,
        personal_data=True,
        export=True,
        manage_accounts=False,
    ),
    "police": Rights(
        frozenset({"overview", "heatmaps", "warnings_report", "coverage", "patrol_routes", "data"}),
        edit=True,
        personal_data=True,
        export=True,
        manage_accounts=False,
    ),
    "planner": Rights(
        frozenset({"overview", "grids", "coverage", "data"}),
        edit=True,
        personal_data=False,
        export=True,
        manage_accounts=False,
    ),
    "viewer": Rights(
        frozenset({"overview", "heatmaps", "warnings_report"}),
        edit=False,
        personal_data=False,
        export=False,
        manage_accounts=False,
    ),
}

#: The rights of the single-user laptop mode (no accounts in the workspace): everything.
LAPTOP_RIGHTS = ROLES["administrator"]


def check_role(role: str) -> str:
    """`role` if it is one of :data:`ROLES`; else :class:`GridmapError` naming the choices.

    >>> check_role("police")
    'police'
    """
    if role not in ROLES:
        raise GridmapError(Message("access_role_invalid", role=role, roles=", ".join(ROLES)))
    return role


def rights(role: str) -> Rights:
    """The :class:`Rights` of `role`."""
    return ROLES[check_role(role)]
