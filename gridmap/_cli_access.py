"""``gridmap accounts …`` and ``gridmap audit export``: accounts and the audit log.

The command line is the machine owner's tool (whoever can run it can read the workspace
file), so it acts as the administrator without signing in; its changes are audited as
made by ``cli``. Passwords are never taken as arguments (they would stay in the shell's
history and in ``ps``): they are asked for, or read from standard input.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime

from gridmap._errors import ValidationError


def _storage(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from gridmap.access import access_storage
    from gridmap.cli import _store

    return access_storage(_store(args))


def _password(args: argparse.Namespace) -> str | None:
    if getattr(args, "no_password", False):
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    no_terminal = (
        "no terminal to ask for the password: pass it on standard input with "
        "--password-stdin, e.g. `printf '%s\\n' \"$PASSWORD\" | gridmap … --password-stdin`"
    )
    if not sys.stdin.isatty():  # a script or a pipe: getpass would end in EOFError
        raise ValidationError(no_terminal)
    try:
        first = getpass.getpass("password: ")
        again = getpass.getpass("again: ")
    except EOFError:
        raise ValidationError(no_terminal) from None
    if again != first:
        msg = "the two passwords differ"
        raise ValidationError(msg)
    return first


def _cmd_add(args: argparse.Namespace) -> int:
    from gridmap.access import add_account

    storage = _storage(args)
    account = add_account(
        storage,
        args.user,
        password=_password(args),
        role=args.role,
        scope=args.scope,
        display_name=args.name or "",
    )
    print(f"added {account.user} ({account.role}, scope {account.scope.prefix or 'all'})")
    return 0


def _cmd_disable(args: argparse.Namespace, *, disabled: bool = True) -> int:
    from gridmap.access import update_account

    account = update_account(_storage(args), args.user, disabled=disabled)
    print(f"{account.user} {'disabled' if account.disabled else 'enabled'}")
    return 0


def _cmd_change(args: argparse.Namespace) -> int:
    from gridmap.access import update_account

    account = update_account(
        _storage(args),
        args.user,
        role=args.role,
        scope=args.scope,
        display_name=args.name,
        disabled=args.disabled,
    )
    state = "disabled" if account.disabled else "enabled"
    print(f"{account.user}: {account.role}, scope {account.scope.prefix or 'all'}, {state}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from gridmap.access import list_accounts
    from gridmap.cli import _plain

    for account in list_accounts(_storage(args)):
        state = "disabled" if account.disabled else "enabled"
        print(
            f"{account.user:<20} {account.role:<14} {account.scope.prefix or 'all':<16}"
            f" {state:<9} {_plain(account.display_name)}"
        )
    return 0


def _cmd_passwd(args: argparse.Namespace) -> int:
    from gridmap.access import set_password

    password = _password(args)
    set_password(_storage(args), args.user, password or "")
    print(f"password of {args.user} changed")
    return 0


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        msg = f"`--since`/`--until` must be a date such as 2026-10-03; got {text!r}"
        raise ValidationError(msg) from None


def _cmd_audit_export(args: argparse.Namespace) -> int:
    from gridmap.access import export_audit, read_audit
    from gridmap.cli import _check_destination

    _check_destination(args.output, "output")
    frame = read_audit(
        _storage(args),
        user=args.user,
        action=args.action,
        layer=args.layer,
        since=_when(args.since),
        until=_when(args.until),
    )
    export_audit(frame, args.output)
    print(f"wrote {len(frame)} audit rows to {args.output}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``accounts`` and ``audit`` to the ``gridmap`` command's subcommands."""
    from gridmap.access import ACTIONS, ROLES

    accounts = sub.add_parser("accounts", help="accounts of the workspace (sign-in, roles)")
    commands = accounts.add_subparsers(dest="accounts_command", required=True)

    p = commands.add_parser("add", help="create an account (asks for its password)")
    p.add_argument("user")
    p.add_argument("--role", required=True, choices=list(ROLES))
    p.add_argument("--scope", default="", help="grid-code prefix (default: everything)")
    p.add_argument("--name", default=None, help="display name (default: the user name)")
    way = p.add_mutually_exclusive_group()
    way.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    way.add_argument(
        "--no-password",
        action="store_true",
        help="sign in only through the trusted proxy header ($GRIDMAP_TRUSTED_USER_HEADER)",
    )
    p.set_defaults(func=_cmd_add)

    p = commands.add_parser("disable", help="stop an account from signing in")
    p.add_argument("user")
    p.set_defaults(func=_cmd_disable)
    p = commands.add_parser("enable", help="let a disabled account sign in again")
    p.add_argument("user")
    p.set_defaults(func=lambda args: _cmd_disable(args, disabled=False))

    p = commands.add_parser(
        "change", help="change an account's role, scope, display name or enabled state"
    )
    p.add_argument("user")
    p.add_argument("--role", default=None, choices=list(ROLES))
    p.add_argument("--scope", default=None, help='grid-code prefix ("" for everything)')
    p.add_argument("--name", default=None, help="display name")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="disabled", action="store_false", default=None)
    state.add_argument("--disable", dest="disabled", action="store_true", default=None)
    p.set_defaults(func=_cmd_change)

    p = commands.add_parser("list", help="list the accounts")
    p.set_defaults(func=_cmd_list)

    p = commands.add_parser("passwd", help="set an account's password")
    p.add_argument("user")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=_cmd_passwd)

    audit = sub.add_parser("audit", help="the workspace's audit log")
    commands = audit.add_subparsers(dest="audit_command", required=True)
    p = commands.add_parser("export", help="write the audit log (or a part) as CSV")
    p.add_argument("output")
    p.add_argument("--user", default=None)
    p.add_argument("--action", default=None, choices=list(ACTIONS))
    p.add_argument("--layer", default=None)
    p.add_argument("--since", default=None, help="from this date-time (UTC), e.g. 2026-10-01")
    p.add_argument("--until", default=None, help="up to this date-time (UTC)")
    p.set_defaults(func=_cmd_audit_export)
