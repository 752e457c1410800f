"""Accounts: creating, changing and signing in, with argon2 password hashes.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended setting); a hash is re-computed at sign-in when those defaults change.
Repeated failed sign-ins are slowed down per account name and per client address
(:class:`SignInThrottle`): a guesser that spreads tries over many names is still slowed
by its address, and one that spreads over many addresses by the name.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import argon2

from gridmap._errors import GridmapError
from gridmap.access._audit import record
from gridmap.access._roles import AccessDeniedError, Rights, check_role, rights
from gridmap.access._scope import Scope
from gridmap.access._storage import ACCOUNTS_TABLE, AccessStorage
from gridmap.i18n import Message, Words, t

#: Environment variable naming the header an intranet's reverse proxy sets to the
#: signed-in user (single sign-on), e.g. ``X-Remote-User``. Unset: no header is trusted.
TRUSTED_HEADER_ENV = "GRIDMAP_TRUSTED_USER_HEADER"
#: Shortest password accepted (NIST SP 800-63B's minimum for user-chosen secrets).
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
_USER_NAME = re.compile(r"[\w.@-]{1,64}")
DISPLAY_NAME_LIMIT = 60

_HASHER = argon2.PasswordHasher()
# Verified against when the account does not exist, so a wrong name costs as long as a
# wrong password (no timing oracle for which names exist).
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class SignInError(GridmapError):
    """Sign-in refused: wrong name or password, disabled account, or too many failures."""


@dataclass(frozen=True)
class Account:
    """One row of the accounts table, without its password hash."""

    user: str
    display_name: str
    role: str
    scope: Scope
    disabled: bool
    created_at: str
    changed_at: str


@dataclass(frozen=True)
class Session:
    """Who is signed in: the account's name, role and scope, as pages and the CLI use them.

    `client` is the browser's address (or ``cli``), recorded in the audit log.
    """

    user: str
    role: str
    scope: Scope
    display_name: str = ""
    client: str = ""

    @property
    def rights(self) -> Rights:
        """The role's :class:`~gridmap.access.Rights`."""
        return rights(self.role)

    def can(self, right: str) -> bool:
        """Whether the role has `right` (``edit``, ``personal_data``, ``export`` …)."""
        return bool(getattr(self.rights, right))

    def require(self, right: str) -> None:
        """Raise :class:`AccessDeniedError` unless the role has `right`."""
        if not self.can(right):
            raise AccessDeniedError(
                Message("access_denied", user=self.user, right=_right_words(right))
            )


#: The texts naming each right (a refusal names it in the page's language).
_RIGHT_TEXTS = {
    "edit": "access_right_edit",
    "personal_data": "access_right_personal",
    "export": "access_right_export",
    "manage_accounts": "access_right_manage",
}


def _right_words(right: str) -> str:
    key = _RIGHT_TEXTS.get(right)
    return Words(t(key, "en"), t(key, "zh")) if key else right


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _folded(user: str) -> str:
    """`user` as people read it: compatibility forms unified (NFKC), case folded."""
    return unicodedata.normalize("NFKC", user).casefold().strip()


def check_user_name(user: str) -> str:
    """`user` if usable as an account name: 1-64 letters, digits, ``_ . @ -`` (any script)."""
    text = str(user).strip()
    if not _USER_NAME.fullmatch(text):
        shown = "".join(ch if ch.isprintable() else "?" for ch in text[:64])
        raise GridmapError(Message("access_user_invalid", user=shown))
    return text


def _check_password(password: str) -> str:
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise GridmapError(Message("access_password_short", n=PASSWORD_MIN))
    return password


def _check_display_name(name: str, user: str) -> str:
    text = str(name or user).strip()
    if len(text) > DISPLAY_NAME_LIMIT or not text.isprintable():
        raise GridmapError(Message("access_display_invalid", limit=DISPLAY_NAME_LIMIT))
    return text


def _account(row: Mapping[str, object]) -> Account:
    return Account(
        user=str(row["user"]),
        display_name=str(row["display_name"]),
        role=str(row["role"]),
        scope=Scope(str(row["scope"] or "")),
        disabled=bool(row["disabled"]),
        created_at=str(row["created_at"]),
        changed_at=str(row["changed_at"]),
    )


def list_accounts(storage: AccessStorage, *, within: Scope | None = None) -> list[Account]:
    """Every account, in the order they were created; with `within`, only the accounts
    whose scope lies inside it (what an administrator of that area manages)."""
    accounts = [_account(row) for row in storage.select(ACCOUNTS_TABLE)]
    if within is None or within.everything:
        return accounts
    return [a for a in accounts if a.scope.prefix.startswith(within.prefix)]


def get_account(storage: AccessStorage, user: str) -> Account | None:
    """The account `user`, None if there is none."""
    rows = storage.select(ACCOUNTS_TABLE, where={"user": user})
    return _account(rows[0]) if rows else None


def accounts_configured(storage: AccessStorage) -> bool:
    """Whether the workspace has an enabled account: if not, the app runs without sign-in."""
    return any(not a.disabled for a in list_accounts(storage))


def _by(actor: Session | None) -> tuple[str, str, str]:
    return (actor.user, actor.role, actor.client) if actor else ("cli", "administrator", "cli")


def _check_actor(actor: Session | None, scope: Scope | None = None) -> None:
    if actor is None:  # the machine's owner, on the command line
        return
    actor.require("manage_accounts")
    if scope is not None and not scope.within(actor.scope):
        raise AccessDeniedError(
            Message("access_scope_outside", prefix=scope.prefix, own=actor.scope.prefix)
        )


def _grid_codes(storage: AccessStorage) -> list[str]:
    """The grid codes of the workspace `storage` belongs to (none without a grids layer)."""
    store = getattr(storage, "store", None)
    if store is None or not store.current_version("grids"):
        return []
    grids = store.read("grids")
    if "grid_code" not in grids.columns:
        return []
    return [str(code) for code in grids["grid_code"].dropna()]


def check_scope_in_grids(storage: AccessStorage, scope: str) -> Scope:
    """`scope` as a :class:`Scope`, refused when it matches none of the workspace's grids.

    A scope outside every grid gave an account an empty workspace and confusing pages.
    A workspace with no grids yet accepts any valid scope (the grids may come later).

    Parameters
    ----------
    storage : AccessStorage
        The workspace's accounts storage (its store holds the grids).
    scope : str
        Grid-code prefix ("" for the whole workspace).

    Returns
    -------
    Scope
        The checked scope.

    Raises
    ------
    GridmapError
        for an invalid prefix, or one no grid code of the workspace starts with; the
        message names a few of the workspace's street and community prefixes.
    """
    area = Scope(scope)
    if area.everything:
        return area
    codes = _grid_codes(storage)
    if not codes or any(code.startswith(area.prefix) for code in codes):
        return area
    streets = sorted({code[:9] for code in codes})
    communities = sorted({code[:12] for code in codes})
    shown = [*streets[:3], *communities[:3]]
    more = "…" if len(streets) > 3 or len(communities) > 3 else ""
    raise GridmapError(
        Message("access_scope_no_grids", prefix=area.prefix, known=", ".join(shown) + more)
    )


def _is_manager(role: str, scope: str, disabled: bool) -> bool:
    return role == "administrator" and scope == "" and not disabled


def _check_keeps_a_manager(storage: AccessStorage, account: Account, values: dict) -> None:
    """Refuse a change that leaves the workspace without an enabled whole administrator."""
    before = _is_manager(account.role, account.scope.prefix, account.disabled)
    after = _is_manager(
        str(values.get("role", account.role)),
        str(values.get("scope", account.scope.prefix)),
        bool(values.get("disabled", account.disabled)),
    )
    if not before or after:
        return
    others = [
        a
        for a in list_accounts(storage)
        if a.user != account.user and _is_manager(a.role, a.scope.prefix, a.disabled)
    ]
    if not others:
        raise GridmapError(Message("access_last_administrator", user=account.user))


def add_account(
    storage: AccessStorage,
    user: str,
    *,
    password: str | None,
    role: str,
    scope: str = "",
    display_name: str = "",
    actor: Session | None = None,
) -> Account:
    """Create an account; recorded in the audit log.

    Parameters
    ----------
    storage : AccessStorage
        The workspace's storage.
    user : str
        The sign-in name (see :func:`check_user_name`).
    password : str or None
        At least :data:`PASSWORD_MIN` characters; None for an account that signs in only
        through the trusted proxy header.
    role : str
        One of :data:`gridmap.access.ROLES`.
    scope : str
        Grid-code prefix (6, 9, 12 or 15 digits; "" for the whole workspace).
    display_name : str
        The name shown in the app and recorded as author (default: `user`).
    actor : Session, optional
        The administrator doing it (None: the command line). An administrator may only
        hand out scopes inside their own.

    Raises
    ------
    GridmapError
        for an invalid name, password, role, scope, or a name already taken.
    AccessDeniedError
        when `actor` may not manage accounts or gives a wider scope than their own.
    """
    user = check_user_name(user)
    check_role(role)
    area = Scope(scope)
    _check_actor(actor, area)
    check_scope_in_grids(storage, area.prefix)
    hashed = None if password is None else _HASHER.hash(_check_password(password))
    # Look-alikes count as taken: "Admin" or full-width "ＡＤＭＩＮ" beside "admin" would
    # pass for the same person in the audit log (and share the sign-in back-off).
    folded = _folded(user)
    taken = [row["user"] for row in storage.select(ACCOUNTS_TABLE)]
    if any(_folded(str(name)) == folded for name in taken):
        raise GridmapError(Message("access_user_taken", user=user))
    now = _now()
    storage.insert(
        ACCOUNTS_TABLE,
        {
            "user": user,
            "display_name": _check_display_name(display_name, user),
            "role": role,
            "scope": area.prefix,
            "password_hash": hashed,
            "disabled": 0,
            "created_at": now,
            "changed_at": now,
        },
    )
    who, who_role, client = _by(actor)
    record(
        storage,
        user=who,
        role=who_role,
        action="account_add",
        scope=area.prefix,
        client=client,
        detail=f"{user} {role}",
    )
    return get_account(storage, user)  # type: ignore[return-value]


def update_account(
    storage: AccessStorage,
    user: str,
    *,
    role: str | None = None,
    scope: str | None = None,
    display_name: str | None = None,
    disabled: bool | None = None,
    actor: Session | None = None,
) -> Account:
    """Change an account's role, scope, display name or disabled flag; audited.

    Options left None are unchanged. Errors as :func:`add_account`, and
    :class:`GridmapError` when there is no such account, when a new scope matches none
    of the workspace's grids (:func:`check_scope_in_grids`), or when the change would
    leave the workspace without an enabled administrator of the whole workspace (scope
    "": the only one who can still manage every account).
    """
    account = _existing(storage, user)
    values: dict[str, object] = {}
    if role is not None:
        values["role"] = check_role(role)
    if scope is not None:
        values["scope"] = Scope(scope).prefix
    _check_actor(actor, Scope(str(values.get("scope", account.scope.prefix))))
    _check_actor(actor, account.scope)  # and the account must be theirs to manage
    if display_name is not None:
        values["display_name"] = _check_display_name(display_name, user)
    if disabled is not None:
        values["disabled"] = int(disabled)
    if "scope" in values and values["scope"] != account.scope.prefix:
        check_scope_in_grids(storage, str(values["scope"]))
    _check_keeps_a_manager(storage, account, values)
    if not values:
        return account
    values["changed_at"] = _now()
    storage.update_account(account.user, values)
    who, who_role, client = _by(actor)
    shown = {k: v for k, v in values.items() if k != "changed_at"}
    record(
        storage,
        user=who,
        role=who_role,
        action="account_change",
        scope=str(values.get("scope", account.scope.prefix)),
        client=client,
        detail=f"{account.user} {shown}",
    )
    return _existing(storage, user)


def set_password(
    storage: AccessStorage, user: str, password: str, *, actor: Session | None = None
) -> None:
    """Set (reset) the password of `user`; audited without the password."""
    account = _existing(storage, user)
    _check_actor(actor, account.scope)
    hashed = _HASHER.hash(_check_password(password))
    storage.update_account(account.user, {"password_hash": hashed, "changed_at": _now()})
    who, who_role, client = _by(actor)
    record(
        storage,
        user=who,
        role=who_role,
        action="account_password",
        scope=account.scope.prefix,
        client=client,
        detail=account.user,
    )


def _existing(storage: AccessStorage, user: str) -> Account:
    account = get_account(storage, str(user).strip())
    if account is None:
        raise GridmapError(Message("access_user_unknown", user=str(user)[:64]))
    return account


class SignInThrottle:
    """Slows down repeated failed sign-ins, per account name and per client address.

    After `free_attempts` failures of a name (or from a client) in a row, each further
    attempt must wait ``base_delay * 2 ** (failures - free_attempts)`` seconds (at most
    `max_delay`) after the last failure; attempts while waiting are refused without
    looking at the password. A success clears the name's count; a client's count is
    forgotten `forget_after` seconds after its last failure.

    An attempt in flight counts against its name at once (parallel guesses at one account
    are throttled like a series), but against its client only once it has failed: a street
    office behind one intranet proxy, every browser the same address, signs in all at once
    at the start of a shift, and those sign-ins are not failures. A client already in
    back-off gets one attempt per wait (each attempt starts its wait again), and its wait
    is capped at `max_client_delay` (60 s), the name's at `max_delay` (15 min): the
    shared address of an office must not lock every colleague out for long. OWASP's authentication
    cheat sheet recommends such exponential back-off over hard lock-outs, which let
    anyone lock a colleague out.

    In-process state: each server process throttles on its own (a street office runs
    one).
    """

    def __init__(
        self,
        *,
        free_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 900.0,
        max_client_delay: float = 60.0,
        forget_after: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if free_attempts < 0 or base_delay <= 0 or max_delay < base_delay:
            msg = "`free_attempts` must be >= 0 and 0 < `base_delay` <= `max_delay`"
            raise ValueError(msg)
        self.free_attempts = free_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_client_delay = min(max_client_delay, max_delay)
        self.forget_after = forget_after
        self.clock = clock
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _keys(self, user: str, client: str) -> list[tuple[str, str]]:
        return (
            [("user", user.strip().lower()), ("client", client)]
            if client
            else [("user", user.strip().lower())]
        )

    def _delay(self, failures: int, kind: str = "user") -> float:
        over = failures - self.free_attempts
        if over < 0:
            return 0.0
        # A client's wait is capped lower: behind an intranet proxy every colleague has
        # its address, and one person's typos must not lock the office out for long.
        cap = self.max_client_delay if kind == "client" else self.max_delay
        return min(self.base_delay * 2.0**over, cap)

    def wait_seconds(self, user: str, client: str = "") -> float:
        """Seconds until `user` from `client` may try again (0: now)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(user, client):
                failures, last = self._failures.get(key, (0, now))
                if now - last > self.forget_after:
                    self._failures.pop(key, None)
                    continue
                wait = max(wait, last + self._delay(failures, key[0]) - now)
        return max(wait, 0.0)

    def failed(self, user: str, client: str = "", *, attempted: bool = False) -> None:
        """Count a failed attempt; `attempted`: one begun with :meth:`attempt`, whose
        name was counted then (only its client is counted now)."""
        now = self.clock()
        with self._lock:
            for key in self._keys(user, client)[1 if attempted else 0 :]:
                failures, _ = self._failures.get(key, (0, now))
                self._failures[key] = (failures + 1, now)

    def attempt(self, user: str, client: str = "") -> float:
        """Begin an attempt: the seconds to wait (refused), or 0 with the attempt counted.

        The check and the name's count are one step under the lock, so attempts at one
        name made at the same time (one per browser session thread) cannot all pass the
        check before any failure is counted: each is counted as failed until
        :meth:`succeeded` says not. The client is counted when the attempt fails
        (:meth:`failed` with ``attempted=True``).
        """
        now = self.clock()
        with self._lock:
            wait = 0.0
            for key in self._keys(user, client):
                failures, last = self._failures.get(key, (0, now))
                if now - last > self.forget_after:
                    self._failures.pop(key, None)
                    continue
                wait = max(wait, last + self._delay(failures, key[0]) - now)
            if wait > 0:
                return wait
            key = ("user", user.strip().lower())
            failures, _ = self._failures.get(key, (0, now))
            self._failures[key] = (failures + 1, now)
            if client:
                # A client in back-off gets one attempt per wait, not one batch of parallel
                # guesses at many names each time its wait ends: the wait starts again now,
                # without counting a failure (a colleague behind the same proxy who signs
                # in rightly does not lengthen it).
                failures, _ = self._failures.get(("client", client), (0, now))
                if failures >= self.free_attempts:
                    self._failures[("client", client)] = (failures, now)
        return 0.0

    def succeeded(self, user: str, client: str = "") -> None:
        """Clear `user`'s failures after a successful sign-in. The client's stay until
        forgotten: a guesser's own account cannot clear them."""
        with self._lock:
            self._failures.pop(("user", user.strip().lower()), None)


#: The server process's throttle, shared by every browser session.
THROTTLE = SignInThrottle()


def sign_in(
    storage: AccessStorage,
    user: str,
    password: str,
    *,
    client: str = "",
    throttle: SignInThrottle | None = None,
) -> Session:
    """Check a name and password; the signed-in :class:`Session`. Audited either way.

    Raises
    ------
    SignInError
        with one message for a wrong name, a wrong password or a disabled account (so
        the answer does not tell which names exist), or telling how long to wait.
    """
    throttle = THROTTLE if throttle is None else throttle
    typed = str(user).strip()[:64]
    wait = throttle.attempt(typed, client)  # counted as failed until it succeeds
    if wait > 0:
        record(
            storage,
            user=typed,
            role="",
            action="sign_in_failed",
            client=client,
            detail="throttled",
        )
        raise SignInError(Message("access_sign_in_wait", seconds=math.ceil(wait)))
    rows = storage.select(ACCOUNTS_TABLE, where={"user": typed}) if typed else []
    row = rows[0] if rows else None
    has_password = bool(row and row["password_hash"])
    stored = row["password_hash"] if has_password else _DUMMY_HASH
    try:
        # verified even without an account, so that costs as long as a wrong password
        ok = _HASHER.verify(stored, str(password)) and has_password
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        ok = False
    reason = "" if ok else ("unknown user" if row is None else "wrong password")
    if row is not None and not has_password:
        reason = "no password (single sign-on only)"
    if ok and row["disabled"]:
        ok, reason = False, "disabled"
    if not ok:
        record(
            storage,
            user=typed,
            role=str(row["role"]) if row else "",
            action="sign_in_failed",
            client=client,
            detail=reason,
        )
        throttle.failed(typed, client, attempted=True)
        raise SignInError(Message("access_sign_in_failed"))
    throttle.succeeded(typed, client)
    if _HASHER.check_needs_rehash(stored):
        storage.update_account(typed, {"password_hash": _HASHER.hash(str(password))})
    account = _account(row)
    record(
        storage,
        user=account.user,
        role=account.role,
        action="sign_in",
        scope=account.scope.prefix,
        client=client,
        detail="password",
    )
    return Session(account.user, account.role, account.scope, account.display_name, client)


def trusted_header() -> str | None:
    """The header name set in :data:`TRUSTED_HEADER_ENV`, None when no header is trusted."""
    return os.environ.get(TRUSTED_HEADER_ENV, "").strip() or None


def session_from_header(
    storage: AccessStorage, headers: Mapping[str, str], *, client: str = ""
) -> Session | None:
    """The session of the user the reverse proxy names in the trusted header, if any.

    Only when :data:`TRUSTED_HEADER_ENV` is set (the proxy must strip the header from
    what browsers send). The user must have an enabled account here, which gives the
    role and scope; the sign-in is audited.

    Returns
    -------
    Session or None
        None when no header is trusted or the request does not carry it.

    Raises
    ------
    SignInError
        when the named user has no enabled account.
    """
    name = trusted_header()
    if name is None:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    user = str(lowered.get(name.lower(), "")).strip()
    if not user:
        return None
    account = get_account(storage, user[:64])
    if account is None or account.disabled:
        record(
            storage,
            user=user[:64],
            role="",
            action="sign_in_failed",
            client=client,
            detail=f"header {name}: no enabled account",
        )
        raise SignInError(Message("access_header_unknown", user=user[:64]))
    record(
        storage,
        user=account.user,
        role=account.role,
        action="sign_in",
        scope=account.scope.prefix,
        client=client,
        detail=f"header {name}",
    )
    return Session(account.user, account.role, account.scope, account.display_name, client)
