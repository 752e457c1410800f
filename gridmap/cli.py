"""The ``gridmap`` command: import, export, layers, history, restore and the sample build.

Everything the Data page does can be done here too, with the same library functions.
"""

from __future__ import annotations

import argparse
import glob
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gridmap._errors import GridmapError, StoreError, ValidationError
from gridmap.schema import LAYERS


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The workspace `args` name; it must exist (a typo must not create an empty one)."""
    from gridmap.store import open_workspace

    return open_workspace(args.workspace, create=False)


def _plain(value: object) -> str:
    """`value` as one line of plain text for the terminal: control characters become ``?``.

    Commit messages typed on the web page, authors, file and column names are printed
    here; an escape sequence among them would retitle or clear the user's terminal, and
    a line break would forge a line of the history.
    """
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


def _columns(items: list[str] | None) -> dict[str, str]:
    """``--column ROLE=COLUMN`` options as a mapping."""
    columns: dict[str, str] = {}
    for item in items or []:
        role, sep, column = item.partition("=")
        if not (sep and role.strip() and column):
            msg = f"`--column` must be ROLE=COLUMN, e.g. --column lon=经度; got {item!r}"
            raise ValidationError(msg)
        columns[role.strip()] = column
    return columns


def _check_destination(path: str, option: str) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    target = Path(path).expanduser()
    folder = target.parent
    if target.is_dir():
        msg = f"`{option}` must name a file; {target} is a folder"
        raise ValidationError(msg)
    if not folder.is_dir():
        msg = f"`{option}`: folder {folder} does not exist"
        raise ValidationError(msg)
    if not os.access(folder, os.W_OK):
        msg = f"`{option}`: cannot write in folder {folder}"
        raise ValidationError(msg)


_AMBIGUOUS_HINT = (
    "the points lie in China; re-run with --crs gcj02 (Amap, Tencent), --crs bd09 (Baidu) "
    "or --crs wgs84 (GPS)"
)


def _cmd_import(args: argparse.Namespace) -> int:
    from gridmap.ingest import commit_import, read_into_workspace
    from gridmap.io import write_csv
    from gridmap.store import (
        GeoPackageStore,
        WorkspaceNotFoundError,
        open_workspace,
        workspace_path,
    )

    columns = _columns(args.column)
    if args.rejects:
        _check_destination(args.rejects, "--rejects")
    options: dict[str, object] = {
        "crs": args.crs,
        "encoding": args.encoding,
        "timezone": args.timezone,
        "default_time": args.default_time,
        "sheet": args.sheet,
        "source_layer": args.source_layer,
    }
    if columns:
        options["columns"] = columns
    try:
        store = open_workspace(args.workspace, create=False)
        new_at = None
    except WorkspaceNotFoundError:
        new_at = workspace_path(args.workspace)
        # Check the file against an empty throwaway workspace: a file that turns out to be
        # unreadable, or a dry run, must not leave a new empty workspace behind.
        with tempfile.TemporaryDirectory() as tmp:
            store = GeoPackageStore(Path(tmp) / "new.gpkg")
            result = read_into_workspace(store, args.file, args.layer, mode=args.mode, **options)
    else:
        result = read_into_workspace(store, args.file, args.layer, mode=args.mode, **options)
    print(f"{len(result.data)} good rows, {len(result.rejected)} rejected")
    for warning in result.warnings:
        print(f"warning: {_plain(warning)}")
    if result.crs_ambiguous:  # 300-700 m off with nothing looking wrong: say it loudly
        print(f"WARNING: coordinate system not chosen: {_AMBIGUOUS_HINT}", file=sys.stderr)
    if len(result.rejected):
        summary = result.rejected.groupby("reason").size().sort_values(ascending=False)
        for reason, count in summary.items():
            print(f"  rejected {count:>7} × {_plain(reason)}")
        if args.rejects:
            write_csv(result.rejected, args.rejects)  # formulas in the file neutralised
            print(f"rejected rows written to {args.rejects}")
    if args.dry_run:
        if new_at is not None:
            print(f"workspace {new_at} does not exist yet; an import would create it")
        return 0
    commit = {"mode": args.mode, "author": args.author, "message": args.message}
    if new_at is None:
        version = commit_import(store, result, **commit)  # type: ignore[arg-type]
    else:
        version = _commit_to_new_workspace(new_at, result, **commit)
        print(f"created workspace {new_at}")
    print(f"{version.layer} version {version.version}: {version.n_features} features")
    return 0


def _commit_to_new_workspace(path: Path, result, **commit: object):  # type: ignore[no-untyped-def]
    """Create the workspace `path` holding `result`, or nothing at all if the import fails.

    The workspace is built under a hidden name next to `path` and renamed into place, so
    a refused import does not leave an empty workspace that later commands would open.
    """
    from gridmap.ingest import commit_import
    from gridmap.store import GeoPackageStore, workspace_lock

    path.parent.mkdir(parents=True, exist_ok=True)
    # Held from the check to the rename: nobody can create the workspace in between,
    # and a killed import's hidden file is known stale once the lock is free again.
    with workspace_lock(path).hold(None, str(commit.get("author") or "gridmap import")):
        if path.exists():  # someone created it meanwhile: never overwrite a workspace
            msg = f"workspace {path} was created while importing; import again into it"
            raise StoreError(msg)
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.new.gpkg")
        try:
            version = commit_import(GeoPackageStore(tmp), result, **commit)  # type: ignore[arg-type]
            os.replace(tmp, path)
        finally:
            for leftover in tmp.parent.glob(f"{glob.escape(tmp.name)}*"):
                leftover.unlink(missing_ok=True)
            workspace_lock(tmp).lock_path.unlink(missing_ok=True)
    return version


def _cmd_export(args: argparse.Namespace) -> int:
    from gridmap.io import export_layer

    _check_destination(args.output, "output")
    store = _store(args)
    frame = store.read(args.layer, version=args.version)
    path = export_layer(frame, args.output, fmt=args.format, crs=args.crs)
    print(f"wrote {len(frame)} features to {path}")
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    store = _store(args)
    print(f"workspace {store.location}")
    for layer in store.layers():
        last = store.history(layer)[-1]
        print(
            f"{layer:<10} v{last.version:<4} {last.n_features:>9} features  {_plain(last.message)}"
        )
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    for row in _store(args).history(args.layer):
        based = f" (restores v{row.based_on})" if row.based_on else ""
        print(
            f"{row.layer:<10} v{row.version:<4} {row.created_at:%Y-%m-%d %H:%M} "
            f"{_plain(row.author) + ('' if row.author_verified else ' (unverified)'):<12}"
            f" {row.n_features:>9}  {_plain(row.message)}{based}"
        )
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    row = _store(args).restore(args.layer, args.version, author=args.author)
    print(f"{row.layer} version {row.version} restores version {args.version}")
    return 0


def _cmd_vacuum(args: argparse.Namespace) -> int:
    report = _store(args).vacuum()
    print(
        f"dropped {report['tables']} orphan tables, removed {report['files']} leftover files;"
        f" {report['bytes_before'] / 2**20:.1f} MB -> {report['bytes_after'] / 2**20:.1f} MB"
    )
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from gridmap.sample import build

    path = build(args.output, n_incidents=args.incidents, progress=print)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gridmap`` command."""
    parser = argparse.ArgumentParser(prog="gridmap", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workspace",
        "-w",
        default=None,
        help="workspace .gpkg path or name (default: $GRIDMAP_WORKSPACE or the sample)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    layer_names = list(LAYERS)

    p = sub.add_parser("import", help="import a file into a layer of the workspace")
    p.add_argument("file")
    p.add_argument("--layer", "-l", required=True, choices=layer_names)
    p.add_argument("--crs", default=None, help="wgs84 (default), gcj02, bd09, cgcs2000, EPSG code")
    p.add_argument("--encoding", default=None, help="text encoding (default: detected)")
    p.add_argument("--sheet", default=None, help="worksheet of an Excel file (default: first)")
    p.add_argument(
        "--source-layer", default=None, help="layer of a GeoPackage file (default: first)"
    )
    p.add_argument(
        "--timezone",
        default=None,
        help="convert times that carry an offset to this zone, e.g. Asia/Shanghai "
        "(default: the offset most of them use)",
    )
    p.add_argument(
        "--default-time",
        default=None,
        help="time of every incident when the file has no time column, e.g. 2026-03-01",
    )
    p.add_argument(
        "--column",
        action="append",
        metavar="ROLE=COLUMN",
        help="use COLUMN for ROLE, e.g. --column lon=东经 (repeatable)",
    )
    p.add_argument("--mode", choices=["append", "replace"], default=None)
    p.add_argument("--author", default=None)
    p.add_argument("--message", default=None)
    p.add_argument("--rejects", default=None, help="write rejected rows to this CSV")
    p.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("export", help="export a layer to a file")
    p.add_argument("layer", choices=layer_names)
    p.add_argument("output")
    p.add_argument("--format", default=None, choices=["geojson", "gpkg", "shp", "csv"])
    p.add_argument("--crs", default="wgs84", help="wgs84 (default), gcj02, bd09 or EPSG code")
    p.add_argument("--version", type=int, default=None)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("layers", help="list the layers of the workspace")
    p.set_defaults(func=_cmd_layers)

    p = sub.add_parser("history", help="list the versions of a layer (or all layers)")
    p.add_argument("layer", nargs="?", choices=layer_names)
    p.set_defaults(func=_cmd_history)

    p = sub.add_parser("restore", help="make an earlier version of a layer current again")
    p.add_argument("layer", choices=layer_names)
    p.add_argument("version", type=int)
    p.add_argument("--author", default=None)
    p.set_defaults(func=_cmd_restore)

    p = sub.add_parser(
        "vacuum",
        help="remove what killed or failed writes left behind and reclaim disk space",
    )
    p.set_defaults(func=_cmd_vacuum)

    p = sub.add_parser("sample", help="the bundled sample street office")
    sample_sub = p.add_subparsers(dest="sample_command", required=True)
    b = sample_sub.add_parser("build", help="rebuild data/helsinki.gpkg from the OSM extract")
    b.add_argument("--output", default=None)
    b.add_argument("--incidents", type=int, default=24_000)
    b.set_defaults(func=_cmd_sample)
    return parser


#: Exit status when another writer holds the workspace: try again later (sysexits'
#: EX_TEMPFAIL), so batch scripts can tell it from a mistake in the command.
EXIT_BUSY = 75


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gridmap`` command; returns the exit status.

    2 for a user error, :data:`EXIT_BUSY` (75) when the workspace is busy with another
    writer past ``$GRIDMAP_BUSY_TIMEOUT`` seconds.
    """
    from gridmap.store import WorkspaceBusyError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except WorkspaceBusyError as exc:
        print(f"gridmap: {_plain(exc)}", file=sys.stderr)
        return EXIT_BUSY
    except GridmapError as exc:
        print(f"gridmap: {_plain(exc)}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"gridmap: {_plain(exc.filename or exc)}: no such file", file=sys.stderr)
        return 2
    except OSError as exc:
        # Permissions, a full disk: the user's to fix, and a traceback would not help.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"gridmap: {_plain(where)}{_plain(exc.strerror or exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
