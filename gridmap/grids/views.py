"""What the Grids page (网格调整, ``app_pages/grids.py``) shows: tables, maps, previews, plans.

Pure functions over layers — no Streamlit — so the page stays glue and everything here is
testable. Edits and plans are *previews*: nothing is written; the page commits a chosen
layer as a new version of ``grids`` through the store.

Workload index
--------------
Each grid's workload is a weighted mean of its households, incidents of the last 12
months and key sites, each divided by the area's mean per grid first, times 100::

    workload = 100 · Σ wᵢ · (xᵢ / mean xᵢ) / Σ wᵢ

so a grid of average load scores 100 and one with twice the load 200, whatever the units.
The default weights :data:`WORKLOAD_WEIGHTS` (households 0.5, incidents 0.3, sites 0.2)
are a starting point; planners move them with the page's sliders.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.optimize import linear_sum_assignment

from gridmap import maps
from gridmap._errors import ValidationError
from gridmap.grids._map_input import add_line_drawing, drawn_line, grid_under_line
from gridmap.grids._map_input import blocks_map as blocks_map
from gridmap.grids._map_input import clicked_block as clicked_block
from gridmap.grids._map_input import neighbour_grids as neighbour_grids
from gridmap.grids._map_input import parse_line as parse_line
from gridmap.grids._map_input import toggle as toggle
from gridmap.grids._overlay import picked_overlay as picked_overlay
from gridmap.grids._overlay import preview_overlay as preview_overlay
from gridmap.grids.auto import DIVIDE_CHOICES as DIVIDE_CHOICES
from gridmap.grids.auto import plans_for as plans_for
from gridmap.grids.blocks import metric_crs_of
from gridmap.grids.edits import (
    EditResult,
    merge_grids,
    move_blocks,
    split_grid,
    split_grid_along_streets,
)
from gridmap.grids.metrics import plan_metrics, reassignment
from gridmap.grids.partition import Plan
from gridmap.i18n import Message, column_label, layer_label, t
from gridmap.stats import assign_grid

#: Default weights of the workload index (see the module docstring).
WORKLOAD_WEIGHTS: dict[str, float] = {"households": 0.5, "incidents": 0.3, "sites": 0.2}
#: Incidents counted in the grid table: the last 12 months before the reference time.
INCIDENT_WINDOW = pd.Timedelta(days=365)
#: Views of the page, in the order of its radio.
VIEWS = ("table", "topology", "edit", "auto", "history")
#: Manual edits.
EDITS = ("merge", "move", "split_streets", "draw", "split_line")
#: Starting methods of automatic plans (:func:`gridmap.grids.partition.partition_blocks`).
METHODS = ("metis", "tree")
#: Rows of the plan comparison, in order.
COMPARED = (
    "grids",
    "max_deviation",
    "mean_polsby_popper",
    "min_polsby_popper",
    "boundary_length_m",
    "households_per_worker",
    "incidents_per_worker",
    "sites_per_grid",
    "multipart_grids",
)
CHANGED_COLOUR = "#d7301f"
UNCHANGED_COLOUR = "#d9d9d9"
PROBLEM_COLOUR = "#6a3d9a"


def missing_inputs(
    grids: gpd.GeoDataFrame,
    *,
    streets: gpd.GeoDataFrame | None,
    buildings: gpd.GeoDataFrame | None,
) -> list[Message]:
    """What the workspace lacks for the page's edits and plans, each said with its effect.

    A city's first workspace often holds grids with codes only and no streets yet: the
    page still works (a grid is then one block), but the planner must know which figures
    are missing and which edits need which layer.
    """
    missing = []
    counted = buildings is not None and "households" in buildings.columns
    if "households" not in grids.columns and not counted:
        missing.append(Message("grids_missing_households"))
    if streets is None or not len(streets):
        missing.append(Message("grids_missing_streets"))
    elif "name" not in streets.columns or not streets["name"].astype(str).str.strip().any():
        missing.append(Message("grids_missing_street_names"))
    return missing


def area_code(prefix: str, codes: Iterable[str]) -> str:
    """The community (12 digits) or street (9) the page works on, from the sidebar prefix.

    A grid's prefix means its community; no prefix or a district means the first street.
    """
    codes = sorted(str(c) for c in codes)
    if len(prefix) >= 12:
        return prefix[:12]
    if len(prefix) == 9:
        return prefix
    inside = [c for c in codes if c.startswith(prefix)] or codes
    if not inside:
        msg = "there are no grids"
        raise ValidationError(msg)
    return inside[0][:9]


def area_grids(grids: gpd.GeoDataFrame, code: str) -> gpd.GeoDataFrame:
    """The grids whose code starts with `code` (a street or community), index reset."""
    keep = grids["grid_code"].astype(str).str.startswith(code)
    return grids[keep.to_numpy()].reset_index(drop=True)


def _counts(points: gpd.GeoDataFrame | None, grids: gpd.GeoDataFrame) -> np.ndarray:
    if points is None or not len(points) or not len(grids):
        return np.zeros(len(grids), dtype=int)
    located = assign_grid(points.to_crs(grids.crs), grids.reset_index(drop=True))
    counts = located.value_counts()
    return grids["grid_code"].astype(str).map(counts).fillna(0).astype(int).to_numpy()


def recent_incidents(
    incidents: gpd.GeoDataFrame | None, now: pd.Timestamp | None = None
) -> gpd.GeoDataFrame | None:
    """Incidents of the :data:`INCIDENT_WINDOW` before `now` (default: the latest one)."""
    if incidents is None or "occurred_at" not in incidents.columns or not len(incidents):
        return incidents
    times = pd.to_datetime(incidents["occurred_at"], errors="coerce", utc=True)
    end = times.max() if now is None else pd.Timestamp(now)
    if end.tzinfo is None:
        end = end.tz_localize("UTC")
    keep = ((times > end - INCIDENT_WINDOW) & (times <= end)).to_numpy()
    return incidents[keep]


def workload_index(table: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """100 · Σ wᵢ·(xᵢ / mean xᵢ) / Σ wᵢ over the columns of `weights` (module docstring).

    Columns missing from `table`, all zero, or weighted 0 do not count; with nothing left
    every grid scores 100.
    """
    total = pd.Series(0.0, index=table.index)
    used = 0.0
    for column, weight in weights.items():
        if weight <= 0 or column not in table.columns:
            continue
        values = pd.to_numeric(table[column], errors="coerce").fillna(0).astype(float)
        mean = values.mean()
        if not mean > 0:
            continue
        total += weight * values / mean
        used += weight
    if used == 0:
        return pd.Series(100.0, index=table.index)
    return (100 * total / used).round(1)


def grid_table(
    grids: gpd.GeoDataFrame,
    *,
    incidents: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    weights: Mapping[str, float] = WORKLOAD_WEIGHTS,
) -> pd.DataFrame:
    """One row per grid: households, population, area, incidents, key sites, worker, workload.

    `incidents` are counted as given (pass :func:`recent_incidents`). Columns: ``grid_code``,
    ``name``, ``households``, ``population``, ``area_km2``, ``incidents``, ``sites``,
    ``worker``, ``workload`` — the optional ones only when the layers carry them.
    """
    m = grids.to_crs(metric_crs_of(grids))
    table = pd.DataFrame({"grid_code": grids["grid_code"].astype(str).to_numpy()})
    for column in ("name", "households", "population"):
        if column in grids.columns:
            table[column] = grids[column].to_numpy()
    table["area_km2"] = np.round(shapely.area(m.geometry.to_numpy()) / 1e6, 3)
    if incidents is not None:
        table["incidents"] = _counts(incidents, grids)
    if sites is not None:
        table["sites"] = _counts(sites, grids)
    if "worker" in grids.columns:
        table["worker"] = grids["worker"].to_numpy()
    table["workload"] = workload_index(table, weights)
    return table


TABLE_COLUMNS = {
    "area_km2": "grids_area_km2",
    "incidents": "grids_incidents_12m",
    "sites": "grids_sites",
    "workload": "grids_workload",
}


def labelled(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """`table` with its columns named in `lang` (schema labels, then this page's)."""
    names = {}
    for column in table.columns:
        key = TABLE_COLUMNS.get(column)
        names[column] = t(key, lang) if key else column_label(column, lang)
    return table.rename(columns=names)


# -- maps ---------------------------------------------------------------------------------


def _bounds(*frames: gpd.GeoDataFrame | None) -> list[float]:
    present = [f.to_crs(4326) for f in frames if f is not None and len(f)]
    if not present:
        msg = "nothing to draw"
        raise ValidationError(msg)
    bounds = np.array([f.total_bounds for f in present])
    return [bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()]


def grids_map(
    grids: gpd.GeoDataFrame,
    *,
    lang: str,
    value_column: str = "households",
    title: str | None = None,
    changed: Iterable[str] | None = None,
    problems: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    height: int = 520,
    draw_line: bool = False,
    credit: str | None = maps.OSM_ATTRIBUTION,
) -> maps.OfflineMap:
    """The area's grids coloured by `value_column`, or changed grids highlighted.

    With `changed` (grid codes) grids are red when changed and grey otherwise; with
    `problems` (from :func:`gridmap.grids.topology.check_topology`) each problem is a
    purple point with its kind and detail. With `draw_line` the map offers Leaflet.draw's
    line tool (served offline) for :func:`drawn_split`. `credit` is the workspace's
    (:func:`gridmap.maps.page_map`).
    """
    m = maps.page_map(
        bounds=_bounds(grids, problems),
        lang=lang,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        credit=credit,
        streets=streets,
        streets_margin=0.003,
    )
    shown = grids.assign(grid_code=grids["grid_code"].astype(str))
    label = "name" if "name" in shown.columns else "grid_code"
    tooltip = {"grid_code": column_label("grid_code", lang)}
    if changed is not None:
        # Colours picked per grid: a two-class choropleth of a 0/1 flag rounds its class
        # edges to whole numbers and collapses to one (grey) class.
        changed = set(changed)
        flag = shown["grid_code"].isin(changed).to_numpy()
        names = shown[label].astype(str).to_numpy()
        code_label = html.escape(column_label("grid_code", lang))
        state = [html.escape(t("grids_changed" if f else "grids_unchanged", lang)) for f in flag]
        maps.add_styled_features(
            m,
            shown,
            fill=[CHANGED_COLOUR if f else UNCHANGED_COLOUR for f in flag],
            line="#666666",
            weight=1.0,
            fill_opacity=0.65,
            tips=[
                f"<b>{html.escape(n)}</b><br>{code_label}: {html.escape(c)}<br>{s}"
                for n, c, s in zip(names, shown["grid_code"], state, strict=True)
            ],
            keys=shown["grid_code"].tolist(),
            name=t("grids_map_layer", lang),
        )
        maps.add_legend(
            m,
            title=t("grids_map_layer", lang),
            entries=[
                (CHANGED_COLOUR, t("grids_changed", lang)),
                (UNCHANGED_COLOUR, t("grids_unchanged", lang)),
            ],
        )
    else:
        if value_column not in shown.columns:
            shown = shown.assign(**{value_column: np.nan})
        maps.add_choropleth(
            m,
            shown,
            value_column=value_column,
            title=title or column_label(value_column, lang),
            label_column=label,
            tooltip_columns=tooltip,
            id_column="grid_code",
            name=t("grids_map_layer", lang),
        )
    if problems is not None and len(problems):
        points = problems.to_crs(4326)
        points = points.set_geometry(points.geometry.representative_point())
        points = points.assign(
            kind_label=[t(f"grids_kind_{k}", lang) for k in points["kind"]],
            grid_codes=points["grid_codes"].astype(str),
        )
        maps.add_points(
            m,
            points,
            label_column="kind_label",
            color=PROBLEM_COLOUR,
            radius=6,
            tooltip_columns={
                "grid_codes": column_label("grid_code", lang),
                "detail": t("grids_detail", lang),
            },
            name=t("grids_problems", lang),
        )
    if draw_line:
        add_line_drawing(m)
    maps.layer_control(m)
    return m


# -- topology -------------------------------------------------------------------------------


def problem_table(problems: gpd.GeoDataFrame, lang: str) -> pd.DataFrame:
    """The problems of :func:`check_topology` as a table in `lang` (no geometry)."""
    point = problems.to_crs(4326).geometry.representative_point()
    return pd.DataFrame(
        {
            t("grids_kind", lang): [t(f"grids_kind_{k}", lang) for k in problems["kind"]],
            column_label("grid_code", lang): problems["grid_codes"].astype(str).to_numpy(),
            t("grids_area_m2", lang): problems["area_m2"].round(1).to_numpy(),
            t("grids_detail", lang): problems["detail"].astype(str).to_numpy(),
            t("grids_where", lang): [f"{p.x:.6f}, {p.y:.6f}" for p in point],
        }
    )


def splice(grids: gpd.GeoDataFrame, code: str, area: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`grids` with the grids of street or community `code` replaced by `area`."""
    rest = grids[~grids["grid_code"].astype(str).str.startswith(code).to_numpy()]
    area = area.to_crs(grids.crs)[[c for c in grids.columns if c in area.columns]]
    out = pd.concat([rest, area], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry=grids.geometry.name, crs=grids.crs)
    return out.sort_values("grid_code").reset_index(drop=True)


# -- manual edits ---------------------------------------------------------------------------


@dataclass
class Preview:
    """A previewed edit or plan: the whole new layer, the codes table, the changed grids."""

    grids: gpd.GeoDataFrame
    codes: pd.DataFrame
    changed: list[str]
    message: str
    notes: list[Message] = field(default_factory=list)


def replacement(
    grids: gpd.GeoDataFrame,
    code: str,
    area: gpd.GeoDataFrame,
    *,
    changed: Iterable[str],
    message: str,
    notes: Sequence[Message] = (),
) -> Preview:
    """The preview of replacing the grids of `code` by `area` (a fix or a plan taken whole).

    Its codes table is empty: the area's grids are replaced, not mapped one to one.
    """
    return Preview(
        grids=splice(grids, code, area),
        codes=pd.DataFrame(columns=["old_code", "new_code", "change"]),
        changed=sorted({str(c) for c in changed}),
        message=message,
        notes=list(notes),
    )


def street_names(streets: gpd.GeoDataFrame | None, grid: gpd.GeoDataFrame) -> list[str]:
    """Names of the streets running through `grid` (one grid's row), sorted."""
    if streets is None or "name" not in streets.columns or not len(grid):
        return []
    inside = shapely.buffer(grid.to_crs(4326).geometry.iloc[0], -1e-6)
    hits = streets[streets.geometry.intersects(inside).to_numpy()]
    names = hits["name"].dropna().astype(str)
    return sorted({n for n in names if n.strip()})


def street_segments(
    streets: gpd.GeoDataFrame, names: Sequence[str], grid: gpd.GeoDataFrame, crs: Any
) -> gpd.GeoSeries:
    """The parts of the named streets inside `grid`, in `crs`."""
    picked = streets[streets["name"].astype(str).isin(list(names)).to_numpy()]
    clipped = picked.to_crs(crs).geometry.intersection(grid.to_crs(crs).geometry.iloc[0])
    return clipped[~clipped.is_empty]


def edit(
    kind: str,
    grids: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    *,
    codes: Sequence[str] = (),
    block_ids: Sequence[int] = (),
    to_code: str | None = None,
    segments: gpd.GeoSeries | None = None,
    line: shapely.LineString | None = None,
    lang: str = "zh",
) -> Preview:
    """Preview one manual edit (:data:`EDITS`) on the whole layer.

    Raises
    ------
    ValidationError
        The library's refusal, with its reason (not adjacent, not contiguous, …).
    """
    result: EditResult
    if kind == "merge":
        result = merge_grids(grids, blocks, codes)
        what = ", ".join(codes)
    elif kind == "move":
        if to_code is None:
            raise ValidationError(Message("grids_pick_target"))
        result = move_blocks(grids, blocks, block_ids, to_code)
        what = f"{len(block_ids)} → {to_code}"
    elif kind == "split_streets":
        if not codes:
            raise ValidationError(Message("grids_pick_grid"))
        lines = segments if segments is not None else []
        result = split_grid_along_streets(grids, blocks, codes[0], lines)
        what = codes[0]
    elif kind in ("split_line", "draw"):
        kind = "split_line"
        if not codes or line is None:
            raise ValidationError(Message("grids_pick_grid"))
        result = split_grid(grids, blocks, codes[0], line)
        what = codes[0]
    else:
        msg = f"`kind` must be one of {', '.join(EDITS)}; got {kind!r}"
        raise ValidationError(msg)
    touched = result.codes
    structural = touched[touched["change"] != "renumbered"]
    changed = sorted(set(structural["new_code"].astype(str)))
    return Preview(
        grids=result.grids,
        codes=touched,
        changed=changed,
        message=t(f"grids_message_{kind}", lang, what=what),
    )


def codes_table(codes: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The old → new code table in `lang`."""
    return pd.DataFrame(
        {
            t("grids_old_code", lang): codes["old_code"].astype(str).to_numpy(),
            t("grids_new_code", lang): codes["new_code"].astype(str).to_numpy(),
            t("grids_change", lang): [t(f"grids_change_{c}", lang) for c in codes["change"]],
        }
    )


def drawn_split(
    grids: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    drawings: Sequence[Mapping[str, Any]] | None,
    *,
    code: str,
    lang: str = "zh",
) -> Preview | None:
    """Preview the split a line drawn on the map asks for (None when nothing is drawn).

    `drawings` is ``st_folium``'s ``all_drawings`` (WGS-84 GeoJSON); the last line splits
    the grid of street or community `code` it divides (:func:`grid_under_line`).

    Raises
    ------
    ValidationError
        The line runs through no grid, or the split is refused (:func:`edit`).
    """
    line = drawn_line(drawings, blocks.crs)
    if line is None:
        return None
    target = grid_under_line(area_grids(grids, code), line, blocks.crs)
    return edit("split_line", grids, blocks, codes=[target], line=line, lang=lang)


# -- automatic plans ------------------------------------------------------------------------


def plan_layer(plan: Plan, current: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A plan's grids with the attributes of the current grids they overlap most.

    Names keep the current naming with the new number (``Kamppi 网格01`` → ``…网格03``);
    population follows households at the community's ratio. Workers are matched one to
    one (scipy's ``linear_sum_assignment`` on the overlap areas): each current grid's
    worker goes to at most one new grid, the one maximising the total overlap; new grids
    left over (a plan with more grids than workers) get no worker (None). Taking each new
    grid's most-overlapping worker instead gave two grids one worker, so households per
    worker differed between plans with the same number of grids (1437 / 4 against / 5).
    """
    if plan.grids is None:
        msg = "the plan has no grids: run partition_blocks with geometry=True"
        raise ValidationError(msg)
    new = plan.grids.to_crs(current.crs).reset_index(drop=True)
    cur_m = current.to_crs(plan.grids.crs)
    new_m = plan.grids.reset_index(drop=True)
    overlap = np.zeros((len(new_m), len(cur_m)))
    for i, geom in enumerate(new_m.geometry):
        overlap[i] = shapely.area(shapely.intersection(geom, cur_m.geometry.to_numpy()))
    source = overlap.argmax(axis=1)
    out = current.iloc[source].reset_index(drop=True).copy()
    out["grid_code"] = new["grid_code"].astype(str).to_numpy()
    if "worker" in current.columns:
        rows, cols = linear_sum_assignment(overlap, maximize=True)
        workers = np.full(len(new_m), None, dtype=object)
        workers[rows] = current["worker"].to_numpy()[cols]
        out["worker"] = workers
    out["households"] = np.round(new["households"].to_numpy(dtype=float)).astype(int)
    if "population" in current.columns and "households" in current.columns:
        ratio = current["population"].sum() / max(current["households"].sum(), 1)
        out["population"] = np.round(out["households"] * ratio).astype(int)
    if "name" in current.columns:
        out["name"] = [
            re.sub(r"\d+$", code[-2:], str(name)) if re.search(r"\d+$", str(name)) else code
            for name, code in zip(out["name"], out["grid_code"], strict=True)
        ]
    out = out.set_geometry(new.geometry.to_numpy())
    return out.sort_values("grid_code").reset_index(drop=True)


def compare_table(
    current: gpd.GeoDataFrame,
    plans: Sequence[gpd.GeoDataFrame],
    lang: str,
    *,
    incidents: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Metrics of the current grids and each plan side by side (rows: :data:`COMPARED`).

    Incidents per worker and sites per grid are rows only when `incidents` / `sites` are
    given (pass :func:`recent_incidents`).
    """
    counted = {"incidents": incidents, "sites": sites}
    columns = {t("grids_current", lang): plan_metrics(current, **counted)}
    for n, plan in enumerate(plans, 1):
        columns[t("grids_plan_n", lang, n=n)] = plan_metrics(plan, **counted)
    table = pd.DataFrame(columns)
    table = table.loc[[name for name in COMPARED if name in table.index]]
    table.loc["max_deviation"] = table.loc["max_deviation"] * 100
    table.index = [t(f"grids_metric_{name}", lang) for name in table.index]
    return table.round(2)


def reassignment_table(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame | None],
    lang: str,
) -> pd.DataFrame:
    """Buildings, sites and posts that change grid, in `lang`."""
    present = {k: v for k, v in layers.items() if v is not None and len(v)}
    table = reassignment(before, after, present)
    return pd.DataFrame(
        {
            t("grids_layer", lang): [layer_label(name, lang) for name in table["layer"]],
            t("grids_id", lang): table["id"].astype(str).to_numpy(),
            t("grids_before", lang): table["before"].astype(str).to_numpy(),
            t("grids_after", lang): table["after"].astype(str).to_numpy(),
        }
    )


# -- history --------------------------------------------------------------------------------


def changed_grids(
    before: gpd.GeoDataFrame | None, after: gpd.GeoDataFrame, *, tolerance: float = 1.0
) -> list[str]:
    """Codes of `after` that are new or whose outline moved by more than `tolerance` m²."""
    if before is None:
        return sorted(after["grid_code"].astype(str))
    crs = metric_crs_of(after)
    a = after.to_crs(crs).set_index(after["grid_code"].astype(str).to_numpy())
    b = before.to_crs(crs).set_index(before["grid_code"].astype(str).to_numpy())
    out = []
    for code, geom in zip(a.index, a.geometry, strict=True):
        if code not in b.index:
            out.append(code)
            continue
        old = b.geometry.loc[code]
        old = old.iloc[0] if isinstance(old, gpd.GeoSeries) else old
        if shapely.area(shapely.symmetric_difference(geom, old)) > tolerance:
            out.append(code)
    return sorted(out)
