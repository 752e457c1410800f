"""The Coverage & posts page (覆盖与站点) as plain functions: one compute function per view.

The page (``app_pages/coverage.py``) gathers widget values, calls these and shows what they
return; tests call the same functions, so a figure on the page is the library's figure.
No Streamlit here. Caching is the page's: :class:`Patrol` (graphs of every mode, sites and
incidents snapped to each mode's streets) is built once per version of the layers, and a
post moved in a what-if costs one :func:`~gridmap.patrol.coverage.coverage_report` with
those snaps.

- :func:`coverage` — 1-3-5 minute coverage of the current posts (each post's own mode, or
  all in one mode): figures (:func:`figures`, :func:`summary_table`), per grid
  (:func:`grid_table`), gaps (:func:`gap_tables`), and :func:`coverage_map`.
- :func:`what_if` — add / move / remove a post: before/after (:func:`change_table`) and the
  new posts layer, nothing saved.
- :func:`site_new` (MCLP, Church & ReVelle 1974) and :func:`site_for_sites` (LSCP, Toregas
  et al. 1971) — proposed posts, the optimality gap, the gain over the current posts and
  the greedy answer beside it (:func:`siting_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap.i18n import Message, t
from gridmap.patrol import coverage as cov
from gridmap.patrol import siting
from gridmap.patrol._page_edits import (
    ACTIONS,
    EDITABLE,
    Edit,
    apply_edit,
    edit_message,
    next_id,
    place_from_click,
)
from gridmap.patrol._page_inspections import (
    DEFAULT_DAYS,
    VISIT_RADIUS_M,
    inspection_map,
    inspection_table,
    inspections,
    site_visits,
)
from gridmap.patrol._page_map import (
    GAP_COLOUR,
    GREEDY_COLOUR,
    MINUTE_COLOURS,
    POST_COLOUR,
    PROPOSED_COLOUR,
    _grid_names,
    _pct,
    changed_segments,
    coverage_map,
    what_if_overlay,
)
from gridmap.patrol._page_siting import (
    greedy_places,
    proposed_table,
    recent_incidents,
    site_for_sites,
    site_new,
    siting_table,
)
from gridmap.patrol.network import StreetGraph, street_graphs

#: Mode choices: "posts" = each post's own ``mode`` column; else every post in that mode.
MODES = ("posts", "walk", "bike", "car")
TRAVEL_MODES = ("walk", "bike", "car")
MINUTES = cov.DEFAULT_MINUTES


@dataclass(frozen=True)
class Patrol:
    """The workspace's layers for the page, with graphs and snaps made once.

    Attributes
    ----------
    graphs : dict of str to StreetGraph
        Every travel mode's graph of the streets (shared nodes and segments).
    posts, sites, incidents, grids, streets, buildings : GeoDataFrame or None
        The current versions of the layers (posts may be empty).
    site_snaps, incident_snaps : dict of str to DataFrame
        Sites / incidents snapped to each mode's streets.
    synthetic : bool
        The incidents are generated (the sample): the page says so.
    """

    graphs: dict[str, StreetGraph]
    posts: gpd.GeoDataFrame | None
    sites: gpd.GeoDataFrame | None
    incidents: gpd.GeoDataFrame | None
    grids: gpd.GeoDataFrame | None
    streets: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame | None = None
    site_snaps: dict[str, pd.DataFrame] = field(default_factory=dict)
    incident_snaps: dict[str, pd.DataFrame] = field(default_factory=dict)
    synthetic: bool = False

    @property
    def crs(self) -> Any:
        return next(iter(self.graphs.values())).crs

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        west, south, east, north = self.streets.to_crs("EPSG:4326").total_bounds
        return float(west), float(south), float(east), float(north)


def _present(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    return frame if frame is not None and len(frame) else None


def missing_layers(posts: Any, streets: Any) -> list[Message]:
    """What the page cannot do without, and how to import it (empty: nothing missing)."""
    out = []
    if streets is None or not len(streets):
        out.append(Message("pp_no_streets"))
    if posts is None or not len(posts):
        out.append(Message("pp_no_posts"))
    return out


def build_graphs(streets: gpd.GeoDataFrame, *, crs: Any) -> dict[str, StreetGraph]:
    """Every travel mode's street graph (the page caches it per streets version)."""
    return street_graphs(streets, crs=crs, modes=TRAVEL_MODES)


def prepare(
    graphs: Mapping[str, StreetGraph],
    *,
    streets: gpd.GeoDataFrame,
    posts: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    grids: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    synthetic: bool = False,
) -> Patrol:
    """A :class:`Patrol`: snaps sites and incidents to every mode's streets once."""
    sites, incidents = _present(sites), _present(incidents)
    return Patrol(
        graphs=dict(graphs),
        posts=_present(posts),
        sites=sites,
        incidents=incidents,
        grids=_present(grids),
        streets=streets,
        buildings=_present(buildings),
        site_snaps=cov.snap_to_modes(graphs, sites) if sites is not None else {},
        incident_snaps=cov.snap_to_modes(graphs, incidents) if incidents is not None else {},
        synthetic=synthetic,
    )


def posts_in_mode(posts: gpd.GeoDataFrame, mode: str) -> gpd.GeoDataFrame:
    """`posts` as they travel: their own ``mode`` (``"posts"``; walk where missing) or all
    in `mode`."""
    if mode not in MODES:
        msg = f"mode must be one of {', '.join(MODES)}; got {mode!r}"
        raise ValueError(msg)
    out = posts.copy()
    if mode == "posts":
        own = out["mode"] if "mode" in out else pd.Series("walk", index=out.index)
        own = own.where(own.isin(TRAVEL_MODES), "walk")
        out["mode"] = own.astype(str)
    else:
        out["mode"] = mode
    return out


def _report_options(patrol: Patrol) -> dict[str, Any]:
    return {
        "sites": patrol.sites,
        "incidents": patrol.incidents,
        "grids": patrol.grids,
        "site_snaps": patrol.site_snaps,
        "incident_snaps": patrol.incident_snaps,
    }


def _graphs_for(patrol: Patrol, posts: gpd.GeoDataFrame) -> dict[str, StreetGraph]:
    used = [m for m in TRAVEL_MODES if m in set(posts["mode"])] or ["walk"]
    return {m: patrol.graphs[m] for m in used}


def coverage(patrol: Patrol, posts: gpd.GeoDataFrame, mode: str) -> cov.CoverageReport:
    """1-3-5 minute coverage of `posts` (in `mode`, see :func:`posts_in_mode`)."""
    moving = posts_in_mode(posts, mode)
    return cov.coverage_report(_graphs_for(patrol, moving), moving, **_report_options(patrol))


def figures(report: cov.CoverageReport) -> dict[str, float]:
    """The page's headline figures: shares within 5 minutes and key sites within class."""
    s = report.summary.set_index("minutes")
    last = max(MINUTES)
    return {
        "street_share": float(s.loc[last, "street_share"]),
        "site_class_share": float(s.loc["class", "site_share"]),
        "incident_share": float(s.loc[last, "incident_share"]),
        "street_km": float(s.loc[last, "street_km"]),
    }


def summary_table(report: cov.CoverageReport, *, lang: str) -> pd.DataFrame:
    """Shares within 1, 3 and 5 minutes (and key sites within their own class)."""
    rows = []
    for _, r in report.summary.iterrows():
        m = r["minutes"]
        label = t("pp_within_class", lang) if m == "class" else t("pp_within", lang, m=f"{m:g}")
        rows.append(
            {
                t("pp_col_within", lang): label,
                t("pp_col_street_km", lang): "—"
                if pd.isna(r["street_km"])
                else f"{r['street_km']:.1f}",
                t("pp_col_streets", lang): _pct(r["street_share"]),
                t("pp_col_sites", lang): _pct(r["site_share"]),
                t("pp_col_incidents", lang): _pct(r["incident_share"]),
            }
        )
    return pd.DataFrame(rows)


def grid_table(report: cov.CoverageReport, grids: Any, *, lang: str) -> pd.DataFrame:
    """Per grid: street share within 1/3/5 min, key sites within class, incidents within 5."""
    g = report.by_grid
    if not len(g):
        return pd.DataFrame()
    names = _grid_names(grids)
    wide = g.pivot_table(index="grid_code", columns="minutes", values="street_share")
    last = g[g["minutes"] == max(MINUTES)].set_index("grid_code")
    out = pd.DataFrame({t("grid", lang): [names.get(str(c), str(c)) for c in wide.index]})
    out[t("pp_col_code", lang)] = [str(c) for c in wide.index]
    for m in wide.columns:
        out[t("pp_col_streets_within", lang, m=f"{m:g}")] = (wide[m].to_numpy() * 100).round(1)
    out[t("pp_col_sites_class", lang)] = (
        last["sites_within_class"].reindex(wide.index).to_numpy() * 100
    ).round(1)
    out[t("pp_col_incidents_within", lang, m=f"{max(MINUTES):g}")] = (
        last["incident_share"].reindex(wide.index).to_numpy() * 100
    ).round(1)
    return out


def gap_tables(report: cov.CoverageReport, grids: Any, *, lang: str) -> dict[str, pd.DataFrame]:
    """Streets beyond 5 minutes, key sites outside their class, grids by uncovered share."""
    names = _grid_names(grids)
    streets = report.gap_streets.assign(
        length=lambda f: f["length"].round(0),
        name=lambda f: f["name"].replace("(unnamed)", t("pp_unnamed", lang)),
    )
    streets = streets.rename(
        columns={"name": t("pp_col_street", lang), "length": t("pp_col_m", lang)}
    )
    s = report.gap_sites
    sites = pd.DataFrame(
        {
            t("pp_col_site", lang): s.get("site_id", pd.Series(dtype=str)).astype(str),
            t("pp_name", lang): s.get("name", pd.Series(dtype=str)).astype(str),
            t("pp_col_class", lang): s.get("response_class", pd.Series(dtype=float)),
            t("pp_col_minutes", lang): (s.get("time", pd.Series(dtype=float)) / 60).round(1),
            t("pp_col_post", lang): s.get("post_id", pd.Series(dtype=str)).astype(str),
        }
    )
    g = report.gap_grids
    grids_out = pd.DataFrame(
        {
            t("grid", lang): [names.get(str(c), str(c)) for c in g.get("grid_code", [])],
            t("pp_col_code", lang): [str(c) for c in g.get("grid_code", [])],
            t("pp_col_uncovered", lang): (g.get("uncovered_share", pd.Series(dtype=float)) * 100)
            .round(1)
            .to_numpy(),
        }
    )
    if len(grids_out):
        grids_out = grids_out[grids_out[t("pp_col_uncovered", lang)] > 0]
    return {"streets": streets, "sites": sites, "grids": grids_out.reset_index(drop=True)}


# --- what-if -------------------------------------------------------------------------------


def intersections(patrol: Patrol) -> gpd.GeoDataFrame:
    """Street intersections (candidate places), each with a label of its street names."""
    graph = patrol.graphs["walk"]
    cands = siting.candidate_intersections(graph)
    seg = graph.segments
    ends = pd.concat(
        [
            seg[["u", "name"]].rename(columns={"u": "node"}),
            seg[["v", "name"]].rename(columns={"v": "node"}),
        ]
    )
    ends = ends[ends["name"].astype(str).str.len() > 0]
    names = ends.groupby("node")["name"].agg(lambda s: " / ".join(sorted(set(map(str, s)))[:3]))
    cands = cands.copy()
    cands["label"] = [
        f"{cid} · {names.get(node, '')}".rstrip(" ·")
        for cid, node in zip(cands["candidate_id"], cands["node"], strict=True)
    ]
    return cands.reset_index(drop=True)


def point_from_lonlat(lon: float, lat: float, crs: Any) -> shapely.Point:
    """A WGS-84 longitude/latitude as a point in `crs` (the posts layer's)."""
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(crs).iloc[0]


@dataclass(frozen=True)
class WhatIf:
    """A what-if: the library's before/after and the layer it would save.

    ``posts`` are the posts after the change (unchanged by a site edit); ``sites`` the key
    sites after a site edit (else None); ``touched`` the ids added or moved (highlighted on
    the map); ``layer`` which layer "save" writes (:attr:`saved`).
    """

    change: cov.CoverageChange
    posts: gpd.GeoDataFrame
    touched: tuple[str, ...] = ()
    layer: str = "posts"
    sites: gpd.GeoDataFrame | None = None

    @property
    def saved(self) -> gpd.GeoDataFrame:
        """The new version of :attr:`layer` to write."""
        return self.sites if self.layer == "sites" and self.sites is not None else self.posts


def what_if(
    patrol: Patrol,
    posts: gpd.GeoDataFrame,
    mode: str,
    *,
    before: cov.CoverageReport | None = None,
    add: gpd.GeoDataFrame | None = None,
    move: Mapping[str, Any] | None = None,
    remove: Sequence[str] | None = None,
) -> WhatIf:
    """Coverage before and after adding / moving / removing posts; nothing saved.

    `before` is :func:`coverage` of the same posts and mode (the page caches it). The
    returned ``posts`` keep each post's own mode (what "save" writes).
    """
    saved = cov.changed_posts(posts, add=add, move=move, remove=remove)
    moving = posts_in_mode(posts, mode)
    added = posts_in_mode(add, mode) if add is not None else None
    # Every mode used before or after; a graph without posts adds nothing to a report, so
    # `before` (made on the modes used before) stays valid.
    graphs = _graphs_for(patrol, moving)
    if len(saved):
        graphs |= _graphs_for(patrol, posts_in_mode(saved, mode))
    change = cov.coverage_change(
        graphs,
        moving,
        add=added,
        move=move,
        remove=remove,
        before=before,
        **_report_options(patrol),
    )
    touched = [
        *(str(p) for p in (move or {})),
        *(str(p) for p in (add["post_id"] if add is not None else [])),
    ]
    return WhatIf(change, saved, tuple(touched))


def edit_what_if(
    patrol: Patrol,
    posts: gpd.GeoDataFrame,
    mode: str,
    edit: Edit,
    *,
    before: cov.CoverageReport | None = None,
) -> WhatIf:
    """The coverage change of one map :class:`Edit` of the posts or key-sites layer.

    A post edit is :func:`what_if` (only the changed posts are recomputed when `before` is
    given). A site edit re-snaps the (few) key sites and reports the same posts against
    them: key-site shares change, street and incident shares do not.

    Parameters
    ----------
    patrol, posts, mode, before
        As in :func:`what_if`; `before` is :func:`coverage` of `posts` in `mode`.
    edit : Edit
        ``edit.place`` in WGS-84 degrees.

    Returns
    -------
    WhatIf
        ``saved`` is the new version of ``edit.layer``, other rows and columns unchanged.

    Raises
    ------
    ValidationError
        The post or site to move or remove is not in the layer.
    """
    if edit.layer == "posts":
        after, touched = apply_edit(posts, edit)
        if edit.action == "add":
            added = after[after["post_id"].astype(str) == touched[0]]
            return what_if(patrol, posts, mode, before=before, add=added)
        if edit.action == "move":
            point = after.geometry[after["post_id"].astype(str) == touched[0]].iloc[0]
            return what_if(patrol, posts, mode, before=before, move={touched[0]: point})
        return what_if(patrol, posts, mode, before=before, remove=[str(edit.feature_id)])
    sites, touched = apply_edit(patrol.sites, edit)
    moving = posts_in_mode(posts, mode)
    options = _report_options(patrol) | {
        "sites": sites if len(sites) else None,
        "site_snaps": cov.snap_to_modes(patrol.graphs, sites) if len(sites) else {},
    }
    change = cov.coverage_change(_graphs_for(patrol, moving), moving, before=before, **options)
    return WhatIf(change, posts, touched, layer="sites", sites=sites)


def site_class_table(report: cov.CoverageReport, *, lang: str) -> pd.DataFrame:
    """Key sites by response class: how many, how many reached within their class, the
    median and slowest response (minutes; "—" when a site is beyond every cutoff)."""
    s = report.sites
    if not len(s) or "response_class" not in s:
        return pd.DataFrame()
    rows = []
    for c, group in s.groupby("response_class", sort=True):
        minutes = group["time"].to_numpy(dtype=float) / 60
        finite = minutes[np.isfinite(minutes)]
        within = int(group["within_class"].sum())
        rows.append(
            {
                t("pp_col_class", lang): f"{c:g}",
                t("pp_col_n_sites", lang): len(group),
                t("pp_col_in_class", lang): within,
                t("pp_col_sites", lang): _pct(within / len(group)),
                t("pp_col_median_min", lang): f"{np.median(finite):.1f}" if len(finite) else "—",
                t("pp_col_slowest_min", lang): f"{minutes.max():.1f}"
                if len(finite) == len(minutes)
                else "—",
            }
        )
    return pd.DataFrame(rows)


def change_points(change: float) -> str:
    """A change of a share in percentage points, signed (no "-0.0")."""
    return f"{round(float(change) * 100, 1) + 0.0:+.1f}"


def change_table(result: WhatIf, *, lang: str) -> pd.DataFrame:
    """Before / after / change of each figure and cutoff, as percentages."""
    rows = []
    for _, r in result.change.table.iterrows():
        if r["figure"] == "street_km":
            continue
        m = r["minutes"]
        if m == "class" and r["figure"] != "site_share":
            continue
        within = t("pp_within_class", lang) if m == "class" else t("pp_within", lang, m=f"{m:g}")
        rows.append(
            {
                t("pp_col_figure", lang): t(f"pp_fig_{r['figure']}", lang),
                t("pp_col_within", lang): within,
                t("pp_col_before", lang): _pct(r["before"]),
                t("pp_col_after", lang): _pct(r["after"]),
                t("pp_col_change", lang): change_points(r["change"]),
            }
        )
    return pd.DataFrame(rows)


__all__ = [
    "ACTIONS",
    "DEFAULT_DAYS",
    "EDITABLE",
    "GAP_COLOUR",
    "GREEDY_COLOUR",
    "MINUTE_COLOURS",
    "MODES",
    "POST_COLOUR",
    "PROPOSED_COLOUR",
    "VISIT_RADIUS_M",
    "Edit",
    "Patrol",
    "WhatIf",
    "apply_edit",
    "build_graphs",
    "change_points",
    "change_table",
    "changed_segments",
    "coverage",
    "coverage_map",
    "edit_message",
    "edit_what_if",
    "figures",
    "gap_tables",
    "greedy_places",
    "grid_table",
    "inspection_map",
    "inspection_table",
    "inspections",
    "intersections",
    "missing_layers",
    "next_id",
    "place_from_click",
    "point_from_lonlat",
    "posts_in_mode",
    "prepare",
    "proposed_table",
    "recent_incidents",
    "site_class_table",
    "site_for_sites",
    "site_new",
    "site_visits",
    "siting_table",
    "summary_table",
    "what_if",
    "what_if_overlay",
]
