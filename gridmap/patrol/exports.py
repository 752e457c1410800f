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
) -> pd.DataFrame:
    """The route's timetable for people: order, place, arrive, leave, dwell (min), wait (min).

    The first and last rows are the posts (``出发`` / ``返回``). `names` maps stop ids to names.
    """
    start = None if shift_start is None else pd.Timestamp(shift_start)
    names = names or {}
    t = route.timetable
    last = len(t) - 1
    place = [
        "出发 start" if k == 0 else "返回 return" if k == last else str(names.get(s, s))
        for k, s in enumerate(t["stop"])
    ]
    return pd.DataFrame(
        {
            "order": t["order"].to_numpy(),
            "place": place,
            "arrive": [_clock(v, start) for v in t["arrive"]],
            "leave": [_clock(v, start) for v in t["leave"]],
            "dwell_min": np.round(t["dwell"].to_numpy(float) / 60, 1),
            "wait_min": np.round(t["wait"].to_numpy(float) / 60, 1),
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
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title>
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
<div class="meta">巡逻单元：{{ unit }}　出发岗：{{ start_post }}　返回岗：{{ end_post }}
　日期：{{ date }}　路途：{{ travel }} 分钟　总时长：{{ duration }} 分钟
　点位：{{ n_stops }} 个</div>
<table>
<thead><tr><th>顺序</th><th>点位</th><th>到达</th><th>离开</th><th>停留(分)</th><th>签到</th></tr></thead>
<tbody>
{% for r in rows %}<tr><td class="num">{{ r.order }}</td><td>{{ r.place }}</td>
<td>{{ r.arrive }}</td><td>{{ r.leave }}</td><td class="num">{{ r.dwell_min }}</td><td></td></tr>
{% endfor %}</tbody></table>
{% if dropped %}<p class="note">本班次未安排的点位：{{ dropped | join("、") }}</p>{% endif %}
<p class="sign">带班民警签字：＿＿＿＿＿＿　　日期：＿＿＿＿＿＿</p>
<p class="note">热点停留 10–15 分钟（Koper 1995）；时间为计划时间，以现场为准。</p>
</body></html>
"""
)


def route_sheet_html(
    route: PatrolRoute,
    *,
    title: str = "巡逻路线单",
    names: Mapping[Any, str] | None = None,
    post_names: Mapping[int, str] | None = None,
    shift_start: str | pd.Timestamp | None = None,
    dropped: list[Any] | None = None,
    date_shown: bool = True,
) -> str:
    """A printable route sheet in Chinese (HTML with a print stylesheet, A4).

    `names` maps stop ids to names, `post_names` post matrix rows to names; every user text
    is HTML-escaped. `dropped` lists stops left out of this shift (shown as a note).
    `date_shown` False leaves the date blank (clock times only, from `shift_start`).
    """
    names = names or {}
    post_names = post_names or {}
    start = None if shift_start is None else pd.Timestamp(shift_start)
    table = timetable_table(route, names=names, shift_start=start)
    return _SHEET.render(
        title=title,
        unit=route.unit,
        start_post=post_names.get(route.start, str(route.start)),
        end_post=post_names.get(route.end, str(route.end)),
        date="" if start is None or not date_shown else start.strftime("%Y-%m-%d"),
        travel=round(route.travel_time / 60),
        duration=round(route.duration / 60),
        n_stops=len(route.stops),
        rows=table.to_dict("records"),
        dropped=[str(names.get(d, d)) for d in (dropped or [])],
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
