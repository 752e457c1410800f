"""Accounts for the load bench: one per session, of different roles and area scopes.

:func:`prepare_accounts` makes them in the workspace (a ``.gpkg`` or a ``postgresql://``
workspace) and returns the coroutine each browser session calls to sign in.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

#: Roles the sessions take in turn (the administrator is made once, for the sign-in gate).
ROLES = ("analyst", "police", "planner", "viewer", "administrator")
#: Scopes the sessions take in turn: the whole workspace, the sample's street, and its
#: six communities.
SCOPES = ("", "990101001", *(f"990101001{c:03d}" for c in range(1, 7)))
PASSWORD = "load bench password"


def account_name(i: int) -> str:
    """The account session `i` signs in as."""
    return f"load{i:03d}"


def prepare_accounts(
    workspace: str | os.PathLike[str], n: int
) -> Callable[[object, int], Awaitable[None]]:
    """Make `n` accounts (and one administrator) in `workspace` for the load bench.

    Session ``i`` signs in as ``load{i:03d}`` with role ``ROLES[i % 5]`` and scope
    ``SCOPES[i % 8]``; accounts that exist already (a second run on the same PostGIS
    workspace) are set back to that role, scope and password.

    Parameters
    ----------
    workspace : str or path
        A ``.gpkg`` file or a ``postgresql://…?schema=`` URL (the workspace the server opens).
    n : int
        Number of sessions, at least 1.

    Returns
    -------
    callable
        ``async sign_in(page, i)``: fills the sign-in form of the Playwright `page` as
        session `i` and waits until the form is gone.

    Raises
    ------
    ValueError
        when `n` is below 1.
    """
    from gridmap.access import access_storage, add_account, get_account, set_password
    from gridmap.access import update_account as change
    from gridmap.store import open_workspace

    if n < 1:
        msg = f"`n` must be at least 1; got {n}"
        raise ValueError(msg)
    storage = access_storage(open_workspace(str(workspace), create=False))
    wanted = [("load_admin", "administrator", "")] + [
        (account_name(i), ROLES[i % len(ROLES)], SCOPES[i % len(SCOPES)]) for i in range(n)
    ]
    for user, role, scope in wanted:
        if get_account(storage, user) is None:
            add_account(storage, user, password=PASSWORD, role=role, scope=scope)
        else:
            change(storage, user, role=role, scope=scope, disabled=False)
            set_password(storage, user, PASSWORD)

    async def sign_in(page, i: int) -> None:  # type: ignore[no-untyped-def]
        await page.get_by_label("账号").fill(account_name(i))
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="登录").click()
        await page.get_by_label("密码").wait_for(state="detached")

    return sign_in
