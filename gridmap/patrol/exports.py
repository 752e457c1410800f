"""Patrol routes out: GeoJSON, GPX, a timetable table and a printable route sheet in Chinese.

Every function takes a :class:`~gridmap.patrol.routing.PatrolRoute` and the coordinates of
the travel-time matrix's nodes (``(n, 2)`` longitude/latitude, WGS-84). Times in the route are
seconds from the shift start; pass `shift_start` to print clock times. User text (stop and
unit names) in the HTML sheet is escaped by jinja2's autoescape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import gpxpy
import gpxpy.gpx
import jinja2
import numpy as np
import numpy.typing as npt
import pandas as pd

from gridmap.patrol.routing import PatrolRoute


def _clock(seconds: float, shift_start: pd.Timestamp | None) -> str:
    if shift_start is None:
        return f"{int(seconds // 3600):d}:{int(seconds % 3600 // 60):02d}"
    return (shift_start + pd.Timedelta(seconds=float(seconds))).strftime("%H:%M")


def timetable_table(
    route: PatrolRoute,
    *,
    names: Mapping[Any, str] | None = None,
    shift_start: str | pd.Timestamp | None = None,
    lang: str = "zh",
    where: Mapping[Any, str] | None = None,
) -> pd.DataFrame:
    """The route's timetable for people: order, place, where, arrive, leave, dwell (min),
    wait (min).

    The first and last rows are the posts (``出发`` / ``返回`` in `lang`, one language per
    table). `names` maps stop ids to names, `where` stop ids to where they are (a street,
    a grid; empty when not given).
    """
    from gridmap.i18n import t as text

    start = None if shift_start is None else pd.Timestamp(shift_start)
    names = names or {}
    where = where or {}
    frame = route.timetable
    last = len(frame) - 1
    place = [
        text("pr_sheet_depart", lang)
        if k == 0
        else text("pr_sheet_return", lang)
        if k == last
        else str(names.get(s, s))
        for k, s in enumerate(frame["stop"])
    ]
    return pd.DataFrame(
        {
            "order": frame["order"].to_numpy(),
            "place": place,
            "where": [
                "" if k in (0, last) else str(where.get(s, "")) for k, s in enumerate(frame["stop"])
            ],
            "arrive": [_clock(v, start) for v in frame["arrive"]],
            "leave": [_clock(v, start) for v in frame["leave"]],
            "dwell_min": np.round(frame["dwell"].to_numpy(float) / 60, 1),
            "wait_min": np.round(frame["wait"].to_numpy(float) / 60, 1),
        }
    )


def route_geojson(
    route: PatrolRoute,
    coords: npt.ArrayLike,
    *,
    names: Mapping[Any, str] | None = None,
    shift_start: str | pd.Timestamp | None = None,
    path: npt.ArrayLike | None = None,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: the route as a LineString and one Point per place with
    its ``order``, ``stop``, ``name``, ``arrive``, ``leave``.

    The line follows `path` (``(k, 2)`` longitude/latitude along the streets) when given,
    else straight legs between the places in order."""
    xy = np.asarray(coords, float)
    start = None if shift_start is None else pd.Timestamp(shift_start)
    names = names or {}
    line = xy[route.nodes].tolist() if path is None else np.asarray(path, float).tolist()
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": line},
            "properties": {
                "unit": route.unit,
                "travel_min": round(route.travel_time / 60, 1),
                "duration_min": round(route.duration / 60, 1),
                "stops": len(route.stops),
            },
        }
    ]
    for row in route.timetable.itertuples():
        stop = None if row.stop is None or pd.isna(row.stop) else row.stop
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": xy[int(row.node)].tolist()},
                "properties": {
                    "unit": route.unit,
                    "order": int(row.order),
                    "stop": None if stop is None else str(stop),
                    "name": None if stop is None else str(names.get(stop, stop)),
                    "arrive": _clock(row.arrive, start),
                    "leave": _clock(row.leave, start),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


#: Characters XML 1.0 forbids (C0 controls but tab, line feed and carriage return; lone
#: surrogates; U+FFFE/U+FFFF): one of them in a name made the whole GPX file unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: object) -> str:
    return _NOT_XML.sub(" ", str(value))


def route_gpx(
    route: PatrolRoute,
    coords: npt.ArrayLike,
    *,
    names: Mapping[Any, str] | None = None,
    shift_start: str | pd.Timestamp | None = None,
    path: npt.ArrayLike | None = None,
) -> str:
    """The route as GPX 1.1: a ``<rte>`` with one point per place named "NN name", and
    waypoints for the stops (planned times in the description); with `path` (``(k, 2)``
    longitude/latitude along the streets) also a ``<trk>`` following the streets."""
    xy = np.asarray(coords, float)
    start = None if shift_start is None else pd.Timestamp(shift_start)
    names = names or {}
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "gridmap"
    rte = gpxpy.gpx.GPXRoute(name=_xml_text(route.unit))
    for row in route.timetable.itertuples():
        lon, lat = xy[int(row.node)]
        stop = None if row.stop is None or pd.isna(row.stop) else row.stop
        label = "岗 post" if stop is None else _xml_text(names.get(stop, stop))
        desc = f"{_clock(row.arrive, start)}-{_clock(row.leave, start)}"
        rte.points.append(
            gpxpy.gpx.GPXRoutePoint(
                lat, lon, name=f"{int(row.order):02d} {label}", description=desc
            )
        )
        if stop is not None:
            gpx.waypoints.append(
                gpxpy.gpx.GPXWaypoint(
                    lat, lon, name=f"{int(row.order):02d} {label}", description=desc
                )
            )
    gpx.routes.append(rte)
    if path is not None:
        trk = gpxpy.gpx.GPXTrack(name=_xml_text(route.unit))
        seg = gpxpy.gpx.GPXTrackSegment()
        for lon, lat in np.asarray(path, float).tolist():
            seg.points.append(gpxpy.gpx.GPXTrackPoint(lat, lon))
        trk.segments.append(seg)
        gpx.tracks.append(trk)
    return gpx.to_xml()


_SHEET = jinja2.Environment(autoescape=True).from_string(
    """<!DOCTYPE html>
<html lang="{{ html_lang }}"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1.5em; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
.meta { color: #333; margin-bottom: 1em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #444; padding: .35em .5em; text-align: left; }
th { background: #eee; }
td.num { text-align: right; }
.sign { margin-top: 2em; }
.note { font-size: .85em; color: #555; margin-top: 1em; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { margin: 0; }
  th { background: #ddd !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tr { page-break-inside: avoid; }
  .noprint { display: none; }
}
</style></head><body>
<h1>{{ title }}</h1>
<div class="meta">{{ w.unit }}{{ colon }}{{ unit }}
{{ gap }}{{ w.start_post }}{{ colon }}{{ start_post }}
{{ gap }}{{ w.end_post }}{{ colon }}{{ end_post }}{{ gap }}{{ w.date }}{{ colon }}{{ date }}
{{ gap }}{{ w.travel }}{{ gap }}{{ w.duration }}{{ gap }}{{ w.stops }}</div>
<table>
<thead><tr><th>{{ w.order }}</th><th>{{ w.place }}</th>
{% if with_where %}<th>{{ w.where }}</th>{% endif %}
<th>{{ w.arrive }}</th><th>{{ w.leave }}</th><th>{{ w.dwell }}</th>
<th>{{ w.sign }}</th></tr></thead>
<tbody>
{% for r in rows %}<tr><td class="num">{{ r.order }}</td><td>{{ r.place }}</td>
{% if with_where %}<td>{{ r.where }}</td>{% endif %}
<td>{{ r.arrive }}</td><td>{{ r.leave }}</td><td class="num">{{ r.dwell_min }}</td><td></td></tr>
{% endfor %}</tbody></table>
{% if dropped %}<p class="note">{{ dropped }}</p>{% endif %}
<p class="sign">{{ w.signature }}</p>
<p class="note">{{ w.note }}</p>
</body></html>
"""
)


def route_sheet_html(
    route: PatrolRoute,
    *,
    title: str | None = None,
    names: Mapping[Any, str] | None = None,
    post_names: Mapping[int, str] | None = None,
    shift_start: str | pd.Timestamp | None = None,
    dropped: list[Any] | None = None,
    date_shown: bool = True,
    lang: str = "zh",
    where: Mapping[Any, str] | None = None,
) -> str:
    """A printable route sheet (HTML with a print stylesheet, A4), in one language.

    `lang` ("zh", the default, or "en") is the sheet's language: every word printed on it,
    so `names` should be in it too. `names` maps stop ids to names, `post_names` post matrix
    rows to names, `where` stop ids to where they are (a column shown when given); every
    user text is HTML-escaped. `dropped` are the stops left out of this shift: the sheet
    gives their number only (one list for all units, not one per sheet). `date_shown`
    False leaves the date blank (clock times only, from `shift_start`).
    """
    from gridmap.i18n import t as text

    if lang not in ("zh", "en"):
        msg = f"`lang` must be 'zh' or 'en'; got {lang!r}"
        raise ValueError(msg)
    post_names = post_names or {}
    start = None if shift_start is None else pd.Timestamp(shift_start)
    table = timetable_table(route, names=names, shift_start=start, lang=lang, where=where)
    words = {
        key: text(f"pr_sheet_{key}", lang)
        for key in ("unit", "start_post", "end_post", "date", "signature", "note")
    }
    words |= {
        key: text(f"pr_sheet_col_{key}", lang)
        for key in ("order", "place", "where", "arrive", "leave", "dwell", "sign")
    }
    words["travel"] = text("pr_sheet_travel", lang, n=round(route.travel_time / 60))
    words["duration"] = text("pr_sheet_duration", lang, n=round(route.duration / 60))
    words["stops"] = text("pr_sheet_stops", lang, n=len(route.stops))
    return _SHEET.render(
        html_lang="zh-CN" if lang == "zh" else "en",
        title=title or text("pr_sheet_title", lang),
        w=words,
        colon="：" if lang == "zh" else ": ",
        gap="　" if lang == "zh" else " · ",
        unit=route.unit,
        start_post=post_names.get(route.start, str(route.start)),
        end_post=post_names.get(route.end, str(route.end)),
        date="" if start is None or not date_shown else start.strftime("%Y-%m-%d"),
        rows=table.to_dict("records"),
        with_where=bool(where),
        dropped=text("pr_sheet_dropped", lang, n=len(dropped)) if dropped else "",
    )


def line_patrol_files(
    line: Any,
    *,
    grid: str,
    mode: str,
    length: float,
    street_length: float,
    seconds: float,
) -> dict[str, str]:
    """A line patrol's walk (a LineString, longitude/latitude) as ``geojson`` and ``gpx``.

    The GeoJSON is one Feature with the grid, the mode and the figures (metres, minutes);
    the GPX one track named ``line_<grid>``. The page's downloads and ``gridmap patrol
    postman`` write the same files.
    """
    import shapely

    feature = {
        "type": "Feature",
        "geometry": json.loads(shapely.to_geojson(line)),
        "properties": {
            "grid_code": grid,
            "mode": mode,
            "length_m": round(float(length), 1),
            "street_m": round(float(street_length), 1),
            "minutes": round(float(seconds) / 60, 1),
        },
    }
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "gridmap"
    track = gpxpy.gpx.GPXTrack(name=_xml_text(f"line_{grid}"))
    segment = gpxpy.gpx.GPXTrackSegment()
    segment.points = [gpxpy.gpx.GPXTrackPoint(y, x) for x, y in shapely.get_coordinates(line)]
    track.segments.append(segment)
    gpx.tracks.append(track)
    return {
        "geojson": json.dumps(
            {"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False
        ),
        "gpx": gpx.to_xml(),
    }


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """Tables (worksheet name → table) as the bytes of an Excel file, for a download.

    Written by :func:`gridmap.io.write_xlsx` (text cells stay text, never formulas) into a
    temporary folder: it writes files, and a download needs bytes.
    """
    import tempfile
    from pathlib import Path

    from gridmap.io import write_xlsx

    with tempfile.TemporaryDirectory() as folder:
        return write_xlsx(sheets, Path(folder) / "tables.xlsx").read_bytes()
