"""``gridmap patrol …``: the police's journey from the command line, for batch use.

- ``route`` — patrol routes from posts through hot spots and key sites: per unit a GPX,
  a GeoJSON (the path along the streets and the stops) and the printable Chinese route
  sheet (HTML), plus the timetable (CSV) of all units;
- ``postman`` — a grid's line patrol (Chinese postman) as GeoJSON and GPX;
- ``schedule`` — randomised shifts for a post's unit (CSV) with the predictability score;
- ``coverage`` — 1-3-5 minute coverage of the posts: the figures (CSV) and the street
  pieces coloured by minutes (GeoJSON).

The same functions as the Patrol routes and Coverage & posts pages
(:mod:`gridmap.patrol.route_views`, :mod:`~gridmap.patrol.route_checks`,
:mod:`~gridmap.patrol.views`), so the files hold the page's figures. CSV files go through
:func:`gridmap.io.neutralise_formulas`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from gridmap._errors import ValidationError


def _store(args: argparse.Namespace) -> Any:
    from gridmap.access import for_command_line
    from gridmap.store import open_workspace

    # Once the workspace has accounts, the files written are recorded in the audit log.
    return for_command_line(open_workspace(args.workspace, create=False))


def _exported(store: Any, what: str, folder: Path) -> None:
    """Record in the audit log (with accounts) that patrol files were written."""
    from gridmap.access import record_export

    record_export(store, layer=None, detail=f"patrol {what} files in {folder}")


def _folder(path: str) -> Path:
    folder = Path(path).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir():
        msg = f"`--output` must be a folder; {folder} is not"
        raise ValidationError(msg)
    return folder


def _needs(store: Any, *names: str) -> dict[str, Any]:
    layers = {}
    for name in names:
        frame = store.read(name) if store.current_version(name) is not None else None
        if frame is None or not len(frame):
            msg = f"the workspace has no `{name}` layer: import it first (gridmap import -l {name})"
            raise ValidationError(msg)
        layers[name] = frame
    return layers


def _optional(store: Any, name: str) -> Any:
    return store.read(name) if store.current_version(name) is not None else None


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    from gridmap.io import neutralise_formulas

    neutralise_formulas(frame).to_csv(path, index=False, encoding="utf-8-sig")


def _graph(store: Any, streets: Any, mode: str) -> Any:
    from gridmap.patrol.network import street_graph

    return street_graph(streets, mode=mode, crs=store.working_crs())


def _stops(store: Any, args: argparse.Namespace) -> Any:
    from gridmap.patrol.route_views import candidate_stops

    return candidate_stops(
        hotspots=None if args.no_hotspots else _optional(store, "hotspots"),
        sites=_optional(store, "sites"),
        site_kinds=args.site_kind or (),
        site_ids=args.site or (),
        school_hours=(args.school_start, args.school_end),
        priorities=dict(_pair(p) for p in args.priority or ()),
        lang=args.lang,  # hot spots and unnamed sites named in the files' language
    )


def _pair(text: str) -> tuple[str, str]:
    stop, sep, value = text.partition("=")
    if not sep or not stop:
        msg = f"`--priority` must be STOP=NUMBER, e.g. S0077=3; got {text!r}"
        raise ValidationError(msg)
    return stop.strip(), value.strip()


def _cmd_route(args: argparse.Namespace) -> int:
    from gridmap.patrol import route_views

    store = _store(args)
    layers = _needs(store, "streets", "posts")
    folder = _folder(args.output)
    stops = _stops(store, args)
    result = route_views.plan_routes(
        _graph(store, layers["streets"], args.mode),
        layers["posts"],
        stops,
        start_posts=args.start,
        end_posts=args.end,
        units=args.units,
        shift_minutes=args.shift,
        dwell_minutes=args.dwell,
        shift_start=args.shift_start,
        required=args.required,
        time_limit=args.time_limit,
        seed=args.seed,
        balance=args.balance,
    )
    where = route_views.stop_places(
        _stops(store, args),
        streets=layers["streets"],
        grids=_optional(store, "grids"),
        lang=args.lang,
    )
    for route in result.plan.routes:
        if not route.stops:
            continue
        files = route_views.downloads(
            result, route.unit, date=args.date, lang=args.lang, where=where
        )
        for kind, suffix in (("gpx", "gpx"), ("geojson", "geojson"), ("html", "html")):
            (folder / f"route_{route.unit}.{suffix}").write_text(files[kind], encoding="utf-8")
    _write_csv(route_views.timetable(result, lang=args.lang), folder / "timetable.csv")
    if len(result.dropped):
        _write_csv(route_views.dropped_table(result, lang=args.lang), folder / "dropped.csv")
    figures = route_views.totals(result)
    print(
        f"{int(figures['visited'])} stops visited, {int(figures['dropped'])} left out, "
        f"{figures['km']:.2f} km, {figures['travel_min']:.0f} min travel, "
        f"longest route {figures['longest_min']:.0f} min; files in {folder}"
    )
    _exported(store, "route", folder)
    return 0


def _cmd_postman(args: argparse.Namespace) -> int:
    from gridmap.patrol.exports import line_patrol_files
    from gridmap.patrol.route_checks import line_patrol

    store = _store(args)
    layers = _needs(store, "streets", "grids")
    folder = _folder(args.output)
    result = line_patrol(_graph(store, layers["streets"], args.mode), layers["grids"], args.grid)
    files = line_patrol_files(
        result.path.geometry.iloc[0],
        grid=args.grid,
        mode=args.mode,
        length=result.length,
        street_length=result.street_length,
        seconds=result.time,
    )
    for kind in ("geojson", "gpx"):
        (folder / f"line_{args.grid}.{kind}").write_text(files[kind], encoding="utf-8")
    print(
        f"line patrol of grid {args.grid}: {result.length / 1000:.2f} km walked over "
        f"{result.street_length / 1000:.2f} km of streets, {result.time / 60:.0f} min; "
        f"files in {folder}"
    )
    if result.left_out:
        print(f"{result.left_out} piece(s) of the grid's streets do not connect and are left out")
    _exported(store, "line", folder)
    return 0


def _cmd_schedule(args: argparse.Namespace) -> int:
    from gridmap.patrol.route_checks import schedule, schedule_tables

    store = _store(args)
    layers = _needs(store, "streets", "posts")
    folder = _folder(args.output)
    result = schedule(
        _graph(store, layers["streets"], args.mode),
        layers["posts"],
        _stops(store, args),
        post=args.post,
        days=args.days,
        shift_minutes=args.shift,
        shift_start=args.shift_start,
        every_two_hours=args.every_2h and not args.no_gap,
        seed=args.seed,
    )
    days, visits = schedule_tables(result, lang=args.lang)
    _write_csv(visits, folder / "schedule.csv")
    _write_csv(days, folder / "schedule_days.csv")
    print(
        f"{len(result.visits)} visits over {args.days} day(s); predictability {result.score:.2f} "
        f"(0 = least predictable); files in {folder}"
    )
    _exported(store, "schedule", folder)
    return 0


def _cmd_coverage(args: argparse.Namespace) -> int:
    from gridmap.patrol import views

    store = _store(args)
    layers = _needs(store, "streets", "posts")
    folder = _folder(args.output)
    patrol = views.prepare(
        views.build_graphs(layers["streets"], crs=store.working_crs()),
        streets=layers["streets"],
        posts=layers["posts"],
        sites=_optional(store, "sites"),
        incidents=_optional(store, "incidents"),
        grids=_optional(store, "grids"),
    )
    report = views.coverage(patrol, layers["posts"], args.mode)
    _write_csv(views.summary_table(report, lang=args.lang), folder / "coverage.csv")
    pieces = report.streets[["minutes", "time", "post_id", "length", "geometry"]]
    (folder / "coverage_streets.geojson").write_text(
        pieces.to_crs("EPSG:4326").to_json(drop_id=True), encoding="utf-8"
    )
    figures = views.figures(report)
    print(
        f"within 5 minutes: {figures['street_share']:.1%} of street length, "
        f"{figures['incident_share']:.1%} of incidents; key sites within their class: "
        f"{figures['site_class_share']:.1%}; files in {folder}"
    )
    _exported(store, "coverage", folder)
    return 0


def _stop_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site-kind", action="append", help="visit every key site of this kind")
    p.add_argument("--site", action="append", help="visit this key site (site_id)")
    p.add_argument("--no-hotspots", action="store_true", help="leave out the hotspots layer")
    p.add_argument(
        "--priority", action="append", help="STOP=NUMBER: a stop's priority (repeatable)"
    )
    p.add_argument("--school-start", default="08:00", help="classes start (schools' window)")
    p.add_argument("--school-end", default="16:00", help="dismissal (schools' window)")


def add_commands(sub: Any) -> None:
    """Add ``gridmap patrol route|postman|schedule|coverage`` to the ``gridmap`` parser."""
    p = sub.add_parser("patrol", help="patrol routes, line patrols, schedules and coverage")
    patrol_sub = p.add_subparsers(dest="patrol_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--output", "-o", required=True, help="folder for the files")
    common.add_argument(
        "--lang",
        choices=["zh", "en"],
        default="zh",
        help="language of the files: CSV headers, stop names and the route sheet",
    )
    modes = ["walk", "bike", "car"]

    r = patrol_sub.add_parser("route", parents=[common], help="routes: GPX, GeoJSON, route sheet")
    r.add_argument("--mode", choices=modes, default="walk")
    r.add_argument("--start", action="append", required=True, help="start post id (repeatable)")
    r.add_argument("--end", action="append", help="end post id (default: the start)")
    r.add_argument("--units", type=int, default=1)
    r.add_argument("--shift", type=float, default=240, help="shift, minutes")
    r.add_argument("--shift-start", default="08:00", help="clock time the shift starts")
    r.add_argument("--dwell", type=float, default=12, help="minutes at each stop")
    r.add_argument("--required", action="store_true", help="every stop must be visited")
    r.add_argument(
        "--balance",
        action="store_true",
        help="share the stops among the units: the last unit back as early as possible",
    )
    r.add_argument("--time-limit", type=float, default=2.0, help="solver seconds")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--date", default=None, help="date printed on the route sheet, YYYY-MM-DD")
    _stop_options(r)
    r.set_defaults(func=_cmd_route)

    c = patrol_sub.add_parser("postman", parents=[common], help="a grid's line patrol")
    c.add_argument("--mode", choices=modes, default="walk")
    c.add_argument("--grid", required=True, help="grid_code")
    c.set_defaults(func=_cmd_postman)

    s = patrol_sub.add_parser("schedule", parents=[common], help="randomised schedules")
    s.add_argument("--mode", choices=modes, default="walk")
    s.add_argument("--post", required=True, help="post id of the unit")
    s.add_argument("--days", type=int, default=7)
    s.add_argument("--shift", type=float, default=240, help="shift, minutes")
    s.add_argument("--shift-start", default="08:00")
    s.add_argument(
        "--every-2h",
        action="store_true",
        help="require a visit to every stop at least every 2 hours (off by default)",
    )
    # the old opt-out, kept so scripts written for it still run; the rule is now opt-in
    s.add_argument("--no-gap", action="store_true", help=argparse.SUPPRESS)
    s.add_argument("--seed", type=int, default=0)
    _stop_options(s)
    s.set_defaults(func=_cmd_schedule)

    v = patrol_sub.add_parser(
        "coverage", parents=[common], help="1-3-5 minute coverage of the posts"
    )
    v.add_argument(
        "--mode",
        choices=["posts", *modes],
        default="posts",
        help="each post's own mode (posts) or every post in one mode",
    )
    v.set_defaults(func=_cmd_coverage)
