"""``gridmap grids …``: the planners' grid work from the command line.

The same library functions as the Grids page (网格调整, ``app_pages/grids.py``):

- ``check``: the topology report (gaps, overlaps, slivers, invalid rings, grids in pieces,
  grids crossing their community); exit status 1 when there are problems, so a batch job
  can stop on them;
- ``plan``: automatic plans for a community (k grids or a household range, tolerance),
  compared with today's grids; the best one exported and/or committed;
- ``split`` / ``merge``: the manual edits, previewed as an old → new code table and
  written only with ``--commit``;
- ``export``: a grids version with its code mapping against an earlier version.

Nothing is written to the workspace without ``--commit``; every write names its author.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gridmap._errors import ValidationError

#: Exit status of ``gridmap grids check`` when it found problems.
EXIT_PROBLEMS = 1


def _plain(value: object) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


def _print_table(table: pd.DataFrame, *, index: bool = True) -> None:
    with pd.option_context("display.max_rows", 500, "display.width", 160):
        print(_plain_frame(table).to_string(index=index))


def _plain_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Names and messages from the workspace, printed without control characters."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(_plain, na_action="ignore")
    out.index = [_plain(i) for i in out.index]
    return out


def _workspace(args: argparse.Namespace) -> Any:
    from gridmap.access import for_command_line
    from gridmap.store import open_workspace

    # Once the workspace has accounts, writes and exports are audited (as `gridmap.cli`).
    return for_command_line(open_workspace(args.workspace, create=False))


def _exported(store: Any, args: argparse.Namespace, detail: str) -> None:
    """Record in the audit log (with accounts) that grid files were written."""
    from gridmap.access import record_export

    version = getattr(args, "read_version", None) or store.current_version("grids") or None
    record_export(store, layer="grids", version=version, detail=detail)


def _need(store: Any, name: str, args: argparse.Namespace | None = None) -> gpd.GeoDataFrame:
    """The current version of layer `name`; its number is kept in ``args.read_version``."""
    from gridmap.i18n import Message

    version = store.current_version(name)
    if args is not None:
        args.read_version = version
    frame = store.read(name, version=version) if version else None
    if frame is None or not len(frame):
        raise ValidationError(Message("cli_grids_missing_layer", layer=name))
    return frame


def _blocks(store: Any, grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from gridmap.grids.blocks import grid_blocks

    # Merges and line splits work without streets (each grid is then one block); plans
    # and splits along streets ask for them (`_need`) before coming here.
    streets = store.read("streets") if store.current_version("streets") else None
    buildings = store.read("buildings") if store.current_version("buildings") else None
    return grid_blocks(grids, streets, buildings=buildings)


def _commit(args: argparse.Namespace, store: Any, layer: gpd.GeoDataFrame, message: str) -> None:
    # Based on the version the edit was computed from (or the one the user names): a
    # write by someone else meanwhile is refused, not overwritten.
    saved = store.write(
        "grids",
        layer,
        author=args.author,
        message=args.message or message,
        based_on=args.based_on if args.based_on is not None else args.read_version,
    )
    print(f"grids version {saved.version}: {len(layer)} grids ({_plain(args.message or message)})")


def _cmd_check(args: argparse.Namespace) -> int:
    from gridmap.grids import views
    from gridmap.grids.topology import check_topology
    from gridmap.io import export_layer, write_csv

    store = _workspace(args)
    grids = _need(store, "grids")
    area = views.area_grids(grids, args.area or "")
    problems = check_topology(area)
    table = views.problem_table(problems, args.lang)
    if args.output:
        out = Path(args.output)
        if out.suffix.lower() == ".csv":
            write_csv(table, out)
        else:
            export_layer(problems.assign(grid_codes=problems["grid_codes"].astype(str)), out)
        _exported(store, args, f"grids check {out.name}")
        print(f"wrote {out}")
    if not len(problems):
        print(f"{len(area)} grids: no topology problems")
        return 0
    counts = ", ".join(f"{k} {n}" for k, n in problems["kind"].value_counts().items())
    print(f"{len(area)} grids: {len(problems)} problems ({counts})")
    _print_table(table, index=False)
    return EXIT_PROBLEMS


def _households(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    low, sep, high = text.replace("–", "-").partition("-")
    try:
        pair = (float(low), float(high))
    except ValueError:
        pair = None
    if not sep or pair is None or not 0 < pair[0] <= pair[1]:
        msg = f"`--households` must be LOW-HIGH, e.g. 300-500; got {text!r}"
        raise ValidationError(msg)
    return pair


def _cmd_plan(args: argparse.Namespace) -> int:
    from gridmap.grids import views
    from gridmap.grids.exports import export_plan
    from gridmap.grids.metrics import plan_metrics

    if (args.k is None) == (args.households is None):
        msg = "give exactly one of `--k` (number of grids) and `--households` (LOW-HIGH)"
        raise ValidationError(msg)
    if not 0 < args.tolerance < 1:
        msg = f"`--tolerance` must be a fraction between 0 and 1, e.g. 0.05; got {args.tolerance}"
        raise ValidationError(msg)
    store = _workspace(args)
    grids = _need(store, "grids", args)
    area = views.area_grids(grids, args.community)
    if len(args.community) != 12 or not len(area):
        msg = (
            "`--community` must be the 12-digit code of a community with grids;"
            f" got {args.community!r}"
        )
        raise ValidationError(msg)
    _need(store, "streets")  # plans build grids from street blocks
    plans = views.plans_for(
        _blocks(store, grids),
        args.community,
        k=args.k,
        households=_households(args.households),
        tolerance=args.tolerance,
        method=args.method,
        seeds=range(args.seed, args.seed + args.plans),
        # As the page: blocks too heavy for the tolerance are divided between buildings.
        buildings=store.read("buildings") if "buildings" in store.layers() else None,
    )
    layers = [views.plan_layer(p, area) for p in plans]
    incidents = views.recent_incidents(
        store.read("incidents") if store.current_version("incidents") else None
    )
    sites = store.read("sites") if store.current_version("sites") else None
    _print_table(views.compare_table(area, layers, args.lang, incidents=incidents, sites=sites))
    for note in dict.fromkeys(n for p in plans for n in p.notes):
        print(f"note: {_plain(note.text(args.lang))}")
    scores = [plan_metrics(layer) for layer in layers]
    best = min(
        range(len(layers)),
        key=lambda n: (round(scores[n]["max_deviation"], 3), scores[n]["boundary_length_m"]),
    )
    print(f"best: plan {best + 1} (smallest max deviation, then shortest boundaries)")
    plan = layers[best]
    if args.output:
        for path in export_plan(plan, args.output, before=area):
            print(f"wrote {path}")
        _exported(store, args, f"grids plan for {args.community} in {args.output}")
    if args.commit:
        message = f"automatic plan for community {args.community}: {len(plan)} grids"
        _commit(args, store, views.splice(grids, args.community, plan), message)
    return 0


def _show_edit(preview: Any, lang: str) -> None:
    from gridmap.grids import views

    _print_table(views.codes_table(preview.codes, lang), index=False)
    for note in preview.notes:
        print(f"note: {_plain(note.text(lang))}")


def _cmd_edit(args: argparse.Namespace) -> int:
    from gridmap.grids import views

    store = _workspace(args)
    grids = _need(store, "grids", args)
    blocks = _blocks(store, grids)
    if args.grids_command == "merge":
        preview = views.edit("merge", grids, blocks, codes=args.codes, lang=args.lang)
    elif (args.line is None) == (not args.street):
        msg = "give exactly one of `--line` (lon,lat; lon,lat …) and `--street` (repeatable)"
        raise ValidationError(msg)
    elif args.line is not None:
        line = views.parse_line(args.line, blocks.crs)
        preview = views.edit(
            "split_line", grids, blocks, codes=[args.code], line=line, lang=args.lang
        )
    else:
        row = views.area_grids(grids, args.code)
        segments = views.street_segments(_need(store, "streets"), args.street, row, blocks.crs)
        preview = views.edit(
            "split_streets", grids, blocks, codes=[args.code], segments=segments, lang=args.lang
        )
    _show_edit(preview, args.lang)
    if args.commit:
        _commit(args, store, preview.grids, preview.message)
    else:
        print("preview only: add --commit to write it as a new version")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from gridmap.grids.exports import export_plan

    store = _workspace(args)
    history = [v.version for v in store.history("grids")]
    if not history:
        _need(store, "grids")
    version = args.version or history[-1]
    if version not in history:
        msg = f"`--version`: grids has versions {history[0]}–{history[-1]}; got {version}"
        raise ValidationError(msg)
    before_version = args.against or (
        history[history.index(version) - 1] if history.index(version) else version
    )
    if before_version not in history:
        msg = f"`--against`: grids has versions {history[0]}–{history[-1]}; got {before_version}"
        raise ValidationError(msg)
    plan = store.read("grids", version=version)
    before = store.read("grids", version=before_version)
    for path in export_plan(plan, args.output, before=before, fmt=args.format, crs=args.crs):
        print(f"wrote {path}")
    from gridmap.access import record_export

    record_export(store, layer="grids", version=version, detail=f"grids export {args.output}")
    print(f"grids version {version}, codes mapped from version {before_version}")
    return 0


def _writes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--commit", action="store_true", help="write the result as a new version")
    p.add_argument("--author", default=None, help="who commits (default: your account)")
    p.add_argument("--message", default=None, help="the version's message")
    p.add_argument(
        "--based-on",
        type=int,
        default=None,
        help="refuse to commit unless this is still the current grids version",
    )


def add_commands(sub: Any) -> None:
    """Add ``gridmap grids check|plan|split|merge|export`` to the ``gridmap`` parser."""
    p = sub.add_parser("grids", help="planners: check, plan, split, merge and export grids")
    grids_sub = p.add_subparsers(dest="grids_command", required=True)
    lang = {"choices": ["zh", "en"], "default": "en", "help": "language of tables (default en)"}

    c = grids_sub.add_parser(
        "check", help="topology report: gaps, overlaps, slivers, grids in pieces (exit 1 if any)"
    )
    c.add_argument("--area", default=None, help="grid-code prefix of a street or community")
    c.add_argument("--output", default=None, help="also write the problems (.csv or .geojson)")
    c.add_argument("--lang", **lang)
    c.set_defaults(func=_cmd_check)

    c = grids_sub.add_parser(
        "plan", help="automatic balanced, street-aligned plans for a community"
    )
    c.add_argument("--community", required=True, help="12-digit community code")
    c.add_argument("--k", type=int, default=None, help="number of grids")
    c.add_argument("--households", default=None, help="target households per grid, e.g. 300-500")
    c.add_argument("--tolerance", type=float, default=0.05, help="allowed deviation (default 0.05)")
    c.add_argument("--method", choices=["metis", "tree"], default="tree")
    c.add_argument("--plans", type=int, default=3, help="alternative plans (default 3)")
    c.add_argument("--seed", type=int, default=0, help="first random seed (default 0)")
    c.add_argument(
        "--output", default=None, help="export the best plan (.gpkg, .geojson or .zip Shapefile)"
    )
    c.add_argument("--lang", **lang)
    _writes(c)
    c.set_defaults(func=_cmd_plan)

    c = grids_sub.add_parser("split", help="split a grid along a line or along streets")
    c.add_argument("code", help="15-digit code of the grid to split")
    c.add_argument("--line", default=None, help="WGS-84 'lon,lat; lon,lat; …'")
    c.add_argument("--street", action="append", help="street name to split along (repeatable)")
    c.add_argument("--lang", **lang)
    _writes(c)
    c.set_defaults(func=_cmd_edit)

    c = grids_sub.add_parser("merge", help="merge two or more adjacent grids")
    c.add_argument("codes", nargs="+", help="15-digit codes of the grids")
    c.add_argument("--lang", **lang)
    _writes(c)
    c.set_defaults(func=_cmd_edit)

    c = grids_sub.add_parser(
        "export", help="export a grids version with its old -> new code mapping"
    )
    c.add_argument("output", help=".gpkg, .geojson or .zip (Shapefile)")
    c.add_argument("--format", choices=["gpkg", "geojson", "shp"], default=None)
    c.add_argument("--version", type=int, default=None, help="grids version (default current)")
    c.add_argument(
        "--against", type=int, default=None, help="version the codes map from (default previous)"
    )
    c.add_argument("--crs", default="wgs84", help="wgs84 (default), gcj02, bd09 or EPSG code")
    c.set_defaults(func=_cmd_export)
