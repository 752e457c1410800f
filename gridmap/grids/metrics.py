"""Plan metrics and comparison: balance, compactness, boundaries, workload, what moves.

A *plan* is a grids layer (``grid_code``, ``households``, optional ``worker``): today's
grids, an edited layer or an automatic plan's ``Plan.grids``. Lengths in m, areas in m²,
measured in the layer's metric CRS (the working CRS for longitude/latitude).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap._errors import ValidationError
from gridmap.grids.blocks import metric_crs_of
from gridmap.stats import assign_grid


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    crs = metric_crs_of(frame)
    return frame if frame.crs == crs else frame.to_crs(crs)


def grid_metrics(
    plan: gpd.GeoDataFrame,
    *,
    target: float | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """One row per grid: households, deviation from `target`, Polsby-Popper, parts, counts.

    `target` defaults to the mean households per grid. Polsby-Popper is 4π·area/perimeter²
    (1 for a disc; Polsby & Popper, Yale Law & Policy Review 9, 1991).
    """
    if "grid_code" not in plan.columns:
        msg = "`plan` must have a grid_code column"
        raise ValidationError(msg)
    m = _metric(plan)
    geoms = m.geometry.to_numpy()
    households = (
        pd.to_numeric(m["households"], errors="coerce").fillna(0).to_numpy(dtype=float)
        if "households" in m.columns
        else np.zeros(len(m))
    )
    target = float(households.mean()) if target is None else float(target)
    area = shapely.area(geoms)
    perimeter = shapely.length(geoms)
    table = pd.DataFrame(
        {
            "grid_code": m["grid_code"].astype(str).to_numpy(),
            "households": households,
            "deviation": (households - target) / target if target else np.zeros(len(m)),
            "area_m2": area,
            "polsby_popper": 4 * np.pi * area / np.maximum(perimeter, 1e-12) ** 2,
            "parts": shapely.get_num_geometries(geoms),
        }
    )
    for name, points in (("incidents", incidents), ("sites", sites)):
        if points is not None:
            located = assign_grid(points.to_crs(plan.crs), plan.reset_index(drop=True))
            counts = located.value_counts()
            table[name] = table["grid_code"].map(counts).fillna(0).astype(int).to_numpy()
    if "worker" in m.columns:
        table["worker"] = m["worker"].to_numpy()
    return table


def _workers(names: pd.Series) -> int:
    """Distinct non-blank worker names."""
    named = names.dropna().astype(str).str.strip()
    return int(named[named != ""].nunique())


def plan_metrics(
    plan: gpd.GeoDataFrame,
    *,
    target: float | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> dict[str, float]:
    """Summary figures of a plan.

    Returns
    -------
    dict
        ``grids``, ``households``, ``target``, ``max_deviation`` (relative),
        ``min_households``, ``max_households``, ``mean_polsby_popper``,
        ``min_polsby_popper``, ``multipart_grids``, ``boundary_length_m`` (total internal
        boundary between grids: half of the perimeters not on the plan's outline),
        ``households_per_worker`` and, when given, ``incidents_per_worker`` and
        ``sites_per_grid``.

    Notes
    -----
    Workers are the distinct non-blank ``worker`` names (a worker of two grids counts
    once; grids without a worker add households but no worker). Without a ``worker``
    column, or with no worker named, each grid counts as one worker (一格一员).
    """
    table = grid_metrics(plan, target=target, incidents=incidents, sites=sites)
    m = _metric(plan)
    geoms = m.geometry.to_numpy()
    outline = shapely.length(shapely.union_all(geoms))
    internal = (shapely.length(geoms).sum() - outline) / 2
    workers = _workers(m["worker"]) if "worker" in m.columns else 0
    workers = max(workers or len(m), 1)
    hh = table["households"]
    out = {
        "grids": len(table),
        "households": float(hh.sum()),
        "target": float(hh.mean()) if target is None else float(target),
        "max_deviation": float(table["deviation"].abs().max()),
        "min_households": float(hh.min()),
        "max_households": float(hh.max()),
        "mean_polsby_popper": float(table["polsby_popper"].mean()),
        "min_polsby_popper": float(table["polsby_popper"].min()),
        "multipart_grids": int((table["parts"] > 1).sum()),
        "boundary_length_m": float(internal),
        "households_per_worker": float(hh.sum() / workers),
    }
    if "incidents" in table:
        out["incidents_per_worker"] = float(table["incidents"].sum() / workers)
    if "sites" in table:
        out["sites_per_grid"] = float(table["sites"].mean())
    return out


def compare_plans(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    *,
    target: float | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """:func:`plan_metrics` of two plans side by side, with the change (after − before).

    Also ``area_moved_m2``: the area that lies in a grid of another code after the change
    (0 when only the codes stayed and no boundary moved).
    """
    a = plan_metrics(before, target=target, incidents=incidents, sites=sites)
    b = plan_metrics(after, target=target, incidents=incidents, sites=sites)
    table = pd.DataFrame({"before": pd.Series(a), "after": pd.Series(b)})
    table["change"] = table["after"] - table["before"]
    mb, ma = _metric(before), _metric(after).to_crs(_metric(before).crs)
    same = 0.0
    codes_a = ma["grid_code"].astype(str).to_numpy()
    tree = shapely.STRtree(ma.geometry.to_numpy())
    for code, geom in zip(mb["grid_code"].astype(str), mb.geometry, strict=True):
        hits = tree.query(geom, predicate="intersects")
        hits = hits[codes_a[hits] == code]
        if len(hits):
            same += float(
                shapely.area(shapely.intersection(geom, ma.geometry.to_numpy()[hits])).sum()
            )
    moved = float(shapely.area(mb.geometry.to_numpy()).sum()) - same
    table.loc["area_moved_m2"] = [np.nan, np.nan, moved]
    return table


def reassignment(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    points_layers: Mapping[str, gpd.GeoDataFrame],
    *,
    moved_only: bool = True,
) -> pd.DataFrame:
    """Which buildings, incidents, sites or posts change grid between two plans.

    Parameters
    ----------
    before, after : GeoDataFrame
        The two plans (``grid_code``).
    points_layers : mapping of layer name → GeoDataFrame
        Layers to follow; polygons (buildings) go by their representative point. Each
        row's id is its layer's id column (``incident_id``, ``site_id``, ``post_id``, …)
        when present, else its index.
    moved_only : bool, default True
        Only rows whose grid changes.

    Returns
    -------
    DataFrame
        ``layer``, ``id``, ``before``, ``after`` (grid codes; missing outside every grid).
    """
    frames = []
    for layer, frame in points_layers.items():
        points = frame.set_geometry(frame.geometry.representative_point())
        was = assign_grid(points.to_crs(before.crs), before.reset_index(drop=True))
        now = assign_grid(points.to_crs(after.crs), after.reset_index(drop=True))
        id_col = next((c for c in frame.columns if c.endswith("_id")), None)
        ids = frame[id_col].to_numpy() if id_col else frame.index.to_numpy()
        table = pd.DataFrame(
            {"layer": layer, "id": ids, "before": was.to_numpy(), "after": now.to_numpy()}
        )
        if moved_only:
            table = table[table["before"].astype(str) != table["after"].astype(str)]
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=["layer", "id", "before", "after"])
    return pd.concat(frames, ignore_index=True)


def code_mapping(
    before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, *, min_area: float = 1.0
) -> pd.DataFrame:
    """Old → new grid codes of a plan: one row per old grid and new grid that overlap.

    Parameters
    ----------
    before, after : GeoDataFrame
        Today's grids and the plan (``grid_code``), any CRS; measured in the metric CRS
        of `before`.
    min_area : float, default 1.0
        Overlaps smaller than this (m²) are slivers of redrawn boundaries, not mapped.

    Returns
    -------
    DataFrame
        ``old_code``, ``new_code``, ``area_m2`` (overlap), ``share_of_old`` and
        ``share_of_new`` (the overlap's part of each grid's area, 0–1), sorted by new code
        and then by decreasing share of the new grid — so a new grid's first row names the
        old grid it mostly comes from.
    """
    for name, frame in (("before", before), ("after", after)):
        if "grid_code" not in frame.columns:
            msg = f"`{name}` must have a grid_code column"
            raise ValidationError(msg)
    mb = _metric(before)
    ma = after.to_crs(mb.crs)
    old, new = mb.geometry.to_numpy(), ma.geometry.to_numpy()
    j, i = shapely.STRtree(old).query(new, predicate="intersects")
    area = shapely.area(shapely.intersection(old[i], new[j]))
    keep = area >= min_area
    i, j, area = i[keep], j[keep], area[keep]
    table = pd.DataFrame(
        {
            "old_code": mb["grid_code"].astype(str).to_numpy()[i],
            "new_code": ma["grid_code"].astype(str).to_numpy()[j],
            "area_m2": area.round(1),
            "share_of_old": (area / shapely.area(old[i])).round(4),
            "share_of_new": (area / shapely.area(new[j])).round(4),
        }
    )
    table = table.sort_values(["new_code", "share_of_new"], ascending=[True, False])
    return table.reset_index(drop=True)
