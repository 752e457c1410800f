"""The ``gridmap`` command: import, export, layers, history, restore and the sample build.

Everything the Data page does can be done here too, with the same library functions.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from gridmap import _cli_access, _cli_grids, _cli_patrol, _cli_patrol_algo, _cli_store
from gridmap._errors import GridmapError, ValidationError
from gridmap.schema import LAYERS


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The workspace `args` name; it must exist (a typo must not create an empty one)."""
    from gridmap.access import for_command_line
    from gridmap.store import open_workspace

    # Once the workspace has accounts, the command's writes and exports are audited.
    return for_command_line(open_workspace(args.workspace, create=False))


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

#: Keyword options of :func:`gridmap.io.import_file` as ``gridmap import`` spells them.
#: The library's messages name its Python arguments (`encoding`, ``columns={...}``);
#: :func:`cli_text` rewrites them, so a command-line user is told what to type.
CLI_OPTIONS = {
    "crs": "--crs",
    "encoding": "--encoding",
    "timezone": "--timezone",
    "sheet": "--sheet",
    "source_layer": "--source-layer",
    "columns": "--column",
    "default_time": "--default-time",
    "default_category": "--default-category",
    "max_distance_km": "--max-distance-km",
    "max_bytes": "--max-mb",
    "layer": "--layer",
    "mode": "--mode",
}
_COLUMNS_ARG = re.compile(r"`?columns=\{'([^']*)': '([^']*)'\}`?")
_BACKTICKED = re.compile(r"`(\w+)`")


def cli_text(text: object) -> str:
    """A library message (English) in the command line's words.

    ``columns={'occurred_at': '<column name>'}`` becomes ``--column
    occurred_at=<column name>``, a backticked argument its option (`encoding` →
    ``--encoding``), and `path` the file it names.

    >>> cli_text("map it with `columns={'lon': '<column name>'}`")
    'map it with --column lon=<column name>'
    >>> cli_text("`path` a.csv is not valid gbk text; pass the file's `encoding` (gbk?)")
    "a.csv is not valid gbk text; pass the file's --encoding (gbk?)"
    >>> cli_text("with --column t=<c> (columns={'t': '<c>'}), or --default-time (`default_time`)")
    'with --column t=<c>, or --default-time'
    """
    out = _COLUMNS_ARG.sub(r"--column \1=\2", str(text))
    out = out.replace("`path` ", "")
    out = _BACKTICKED.sub(lambda m: CLI_OPTIONS.get(m.group(1), m.group(0)), out)
    # "--column x=<c> (--column x=<c>)", "--default-time (--default-time)": said twice.
    return re.sub(r"(--[\w-]+(?: \S+)?) \(\1\)", r"\1", out)


def _describe_crs(crs: object) -> str:
    import pyproj

    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return str(crs)  # gcj02, bd09: the web-map systems have no EPSG code
    code = parsed.to_epsg()
    return f"EPSG:{code} ({parsed.name})" if code else parsed.name


def _working_crs(store, result) -> str | None:  # type: ignore[no-untyped-def]
    """The working CRS the workspace has, or a new one would get from the file's rows."""
    from gridmap.crs import working_crs

    try:
        if store is not None and store.settings().get("bounds"):
            return _describe_crs(store.working_crs())
        if len(result.data):
            return _describe_crs(working_crs(tuple(result.data.total_bounds)))
    except GridmapError:
        return None
    return None


def _far_outside_hint(args: argparse.Namespace, result) -> str:  # type: ignore[no-untyped-def]
    share = result.n_far_outside / max(1, len(result.data) + len(result.rejected))
    command = ["gridmap", "-w", "NEW", "import", shlex.quote(args.file), "--layer", args.layer]
    if args.crs:
        command += ["--crs", shlex.quote(args.crs)]
    return (
        f"{result.n_far_outside} rows ({share:.0%}) lie far outside workspace "
        f"{_workspace_label(args)}: the file seems to be about another place. "
        f"Start a workspace of its own with:\n  {' '.join(command)}\n"
        "(NEW: a name of your choice; the import creates it)"
    )


def _workspace_label(args: argparse.Namespace) -> str:
    from gridmap.store import workspace_label

    return workspace_label(args.workspace)


def _import_options(args: argparse.Namespace) -> dict[str, object]:
    options: dict[str, object] = {
        "crs": args.crs,
        "encoding": args.encoding,
        "timezone": args.timezone,
        "default_time": args.default_time,
        "default_category": args.default_category,
        "sheet": args.sheet,
        "source_layer": args.source_layer,
    }
    if args.max_distance_km is not None:
        options["max_distance_km"] = args.max_distance_km
    if args.max_mb is not None:
        options["max_bytes"] = args.max_mb * 2**20
    columns = _columns(args.column)
    if columns:
        options["columns"] = columns
    return options


def _cmd_import(args: argparse.Namespace) -> int:
    from gridmap.access import for_command_line
    from gridmap.ingest import (
        commit_import,
        commit_to_new_workspace,
        read_for_new_workspace,
        read_into_workspace,
    )
    from gridmap.io import write_csv
    from gridmap.store import WorkspaceNotFoundError, open_workspace, workspace_path

    options = _import_options(args)
    if args.rejects:
        _check_destination(args.rejects, "--rejects")
    try:
        # Audited once the workspace has accounts, as every write of the command line.
        store = for_command_line(open_workspace(args.workspace, create=False))
        new_at = None
    except WorkspaceNotFoundError:
        store, new_at = None, workspace_path(args.workspace)
        # Nothing is created until the commit: a file that turns out to be unreadable, or
        # a dry run, must not leave a new empty workspace behind.
        result = read_for_new_workspace(args.file, args.layer, mode=args.mode, **options)
    else:
        result = read_into_workspace(store, args.file, args.layer, mode=args.mode, **options)
    print(f"{len(result.data)} good rows, {len(result.rejected)} rejected")
    if result.encoding:
        print(f"encoding: {result.encoding}")
    print(f"source CRS: {_describe_crs(result.source_crs)}")
    working = _working_crs(store, result)
    if working:
        print(f"working CRS: {working}")
    if result.columns:
        mapped = ", ".join(f"{role}={column}" for role, column in result.columns.items())
        print(f"columns: {mapped}")
    for warning in result.warnings:
        print(f"warning: {_plain(cli_text(warning))}")
    if result.crs_ambiguous:  # 300-700 m off with nothing looking wrong: say it loudly
        hint = _AMBIGUOUS_HINT + _street_fit(store, result)
        print(f"WARNING: coordinate system not chosen: {hint}", file=sys.stderr)
    if len(result.rejected):
        summary = result.rejected.groupby("reason").size().sort_values(ascending=False)
        for reason, count in summary.items():
            print(f"  rejected {count:>7} × {_plain(reason)}")
        if args.rejects:
            write_csv(result.rejected, args.rejects)  # formulas in the file neutralised
            print(f"rejected rows written to {args.rejects}")
    if result.mostly_far_outside:
        print(f"hint: {_far_outside_hint(args, result)}", file=sys.stderr)
    if args.dry_run:
        if new_at is not None:
            print(f"workspace {new_at} does not exist yet; an import would create it")
        return 0
    commit = {"mode": args.mode, "author": args.author, "message": args.message}
    if new_at is None:
        version = commit_import(store, result, **commit)  # type: ignore[arg-type]
    else:
        version = commit_to_new_workspace(new_at, result, **commit)  # type: ignore[arg-type]
        print(f"created workspace {new_at}")
    print(f"{version.layer} version {version.version}: {version.n_features} features")
    return 0


def _street_fit(store: object, result: object) -> str:
    """The CLI's hint of which system lines the points up with the workspace's streets."""
    from gridmap.crs import best_fitting_system

    if store is None or "streets" not in store.layers():  # type: ignore[attr-defined]
        return ""
    try:
        fit = best_fitting_system(result.data, store.read("streets"))  # type: ignore[attr-defined]
    except GridmapError:
        return ""
    best = f"--crs {fit.best}: " if fit.best else ""
    return f"; the workspace's streets say {best}{_plain(cli_text(fit.message))}"


def _cmd_export(args: argparse.Namespace) -> int:
    from gridmap.access import record_export
    from gridmap.io import export_layer
    from gridmap.schema import with_labels

    _check_destination(args.output, "output")
    store = _store(args)
    frame = store.read(args.layer, version=args.version)
    # People read exports: categories as labels (盗窃), the stable key beside them
    # (category_key), as the Data page's export; importing the file again maps them back.
    labelled = with_labels(frame, args.layer, args.lang)
    path = export_layer(labelled, args.output, fmt=args.format, crs=args.crs)
    version = args.version or store.current_version(args.layer)
    record_export(store, layer=args.layer, version=version, detail=f"{args.format} {path.name}")
    print(f"wrote {len(frame)} features to {path}")
    return 0


def _cmd_layers(args: argparse.Namespace) -> int:
    store = _store(args)
    print(f"workspace {getattr(store, 'inner', store).location_label()}")
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


def _cmd_report(args: argparse.Namespace) -> int:
    # The street office's weekly report (gridmap.hotspots.report): the week ends at the
    # midnight after --week-end.
    import pandas as pd

    from gridmap.access import record_export
    from gridmap.hotspots.report import weekly_report

    _check_destination(args.output, "--output")
    week_end = pd.Timestamp(args.week_end).normalize() + pd.Timedelta(days=1)
    store = _store(args)
    path = weekly_report(store, week_end=week_end, path=args.output, lang=args.lang)
    version = store.current_version("incidents") or None
    record_export(store, layer="incidents", version=version, detail=f"weekly report {path.name}")
    print(f"wrote {path} and its maps in {path.with_name(path.stem + '_maps')}")
    return 0


def _cmd_hotspots_save(args: argparse.Namespace) -> int:
    # The hand-off to patrol planning: Gi* hot cells, emerging hot spots and warning grids
    # of the span, as a new version of the hotspots layer (gridmap.hotspots.handoff).
    import pandas as pd

    from gridmap.hotspots import views
    from gridmap.hotspots.handoff import save_hotspots

    store = _store(args)
    grids = store.read("grids")
    office = views.StreetOffice(
        views.prepare_incidents(store.read("incidents"), grids), grids, store.working_crs()
    )
    end = pd.Timestamp(args.end).normalize() + pd.Timedelta(days=1)
    start = pd.Timestamp(args.start) if args.start else end - pd.Timedelta(weeks=12)
    selection = views.Selection(
        start,
        end,
        categories=tuple(args.category) if args.category else None,
        area_prefix=args.area or "",
    )
    layer = views.handoff_features(office, selection, cell_size=args.cell_size, shape=args.shape)
    version = save_hotspots(store, layer, author=args.author)
    counts = ", ".join(f"{k} {n}" for k, n in layer["kind"].value_counts().items())
    print(f"hotspots version {version.version}: {len(layer)} areas ({counts})")
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
        "--default-category",
        default=None,
        help="category of incidents whose category is empty, or of all incidents when the "
        "file has no category column (a key such as theft, or 盗窃)",
    )
    p.add_argument(
        "--max-distance-km",
        type=float,
        default=None,
        help="reject rows farther than this outside the workspace (default: 50)",
    )
    p.add_argument(
        "--max-mb",
        type=float,
        default=None,
        help="largest file to read, in MB (default: 200 or $GRIDMAP_MAX_UPLOAD_MB)",
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
    p.add_argument(
        "--lang",
        choices=["zh", "en"],
        default="zh",
        help="language of category labels (default zh); keys stay in <column>_key",
    )
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

    p = sub.add_parser("report", help="write the street office's weekly report (Excel + PNG)")
    p.add_argument("--week-end", required=True, help="last day of the week, e.g. 2026-10-31")
    p.add_argument("--output", "-o", required=True, help="the .xlsx file to write")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("hotspots", help="the street office's hot spots for patrol planning")
    hotspots_sub = p.add_subparsers(dest="hotspots_command", required=True)
    h = hotspots_sub.add_parser(
        "save", help="save hot-spot cells and warning grids as the hotspots layer"
    )
    h.add_argument("--end", required=True, help="last day analysed, e.g. 2026-10-31")
    h.add_argument("--start", default=None, help="first day (default: 12 weeks before --end)")
    h.add_argument("--category", action="append", help="category key (repeatable; default all)")
    h.add_argument("--area", default=None, help="grid-code prefix of a street or community")
    h.add_argument("--cell-size", type=float, default=None, help="metres (default: from data)")
    h.add_argument("--shape", choices=["square", "hexagon"], default="square")
    h.add_argument("--author", default=None)
    h.set_defaults(func=_cmd_hotspots_save)

    _cli_patrol.add_commands(sub)

    p = sub.add_parser("sample", help="the bundled sample street office")
    sample_sub = p.add_subparsers(dest="sample_command", required=True)
    b = sample_sub.add_parser(
        "build", help="rebuild gridmap/data/helsinki.gpkg from the OSM extract"
    )
    b.add_argument(
        "--output", default=None, help="where to write (default gridmap/data/helsinki.gpkg)"
    )
    b.add_argument("--incidents", type=int, default=24_000)  # sample.N_INCIDENTS
    b.set_defaults(func=_cmd_sample)
    _cli_patrol_algo.add_commands(sub)
    _cli_access.add_commands(sub)  # accounts, audit
    _cli_store.add_commands(sub)
    _cli_grids.add_commands(sub)
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
        print(f"gridmap: {_plain(cli_text(exc))}", file=sys.stderr)
        return EXIT_BUSY
    except GridmapError as exc:
        print(f"gridmap: {_plain(cli_text(exc))}", file=sys.stderr)
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
