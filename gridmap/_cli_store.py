"""``gridmap copy``: move a workspace, with its whole history, between GeoPackage and PostGIS."""

from __future__ import annotations

import argparse


def _plain(value: object) -> str:
    """`value` on one line for the terminal: control characters become ``?``."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


def _cmd_copy(args: argparse.Namespace) -> int:
    from gridmap.store import copy_workspace, open_workspace

    source = open_workspace(args.source, create=False)
    target = open_workspace(args.target, create=True)

    def report(version):  # type: ignore[no-untyped-def]
        print(
            f"{version.layer} v{version.version} ({version.action}, {version.n_features} rows,"
            f" {_plain(version.author)}, {version.created_at:%Y-%m-%d %H:%M})"
        )

    from gridmap.access import copy_access, for_command_line, record_export

    made = copy_workspace(source, target, progress=report)
    access = copy_access(source, target)
    # Every layer left the source: an export, in its audit log once it has accounts.
    detail = f"copy to {_plain(target.location_label())}"
    record_export(for_command_line(source), layer=None, detail=detail)
    print(
        f"copied {len(made)} versions of {len({v.layer for v in made})} layers"
        f" from {_plain(source.location_label())} to {_plain(target.location_label())}"
        f", with {access['accounts']} accounts and {access['audit']} audit rows"
    )
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``copy`` to the ``gridmap`` command's subcommands."""
    p = sub.add_parser(
        "copy",
        help="copy a workspace with its whole history (GeoPackage <-> PostGIS)",
        description=(
            "Copy every version of every layer, with authors, times, messages and "
            "restores, and the settings, from SRC into DST (which must be empty). Each is "
            "a .gpkg path, a workspace name, or postgresql://user@host/db?schema=NAME."
        ),
    )
    p.add_argument("source", metavar="SRC", help="the workspace to copy (must exist)")
    p.add_argument("target", metavar="DST", help="where to copy it (created; must be empty)")
    p.set_defaults(func=_cmd_copy)
