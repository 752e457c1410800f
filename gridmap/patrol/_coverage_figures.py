"""Coverage report figures: sites, incidents, shares, per grid (private; see `.coverage`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from gridmap._errors import ValidationError
from gridmap.patrol._coverage_reach import (
    _ids_of,
    _ModeReach,
    _point_times,
)
from gridmap.patrol._graph import check_frame, to_crs


def _grid_of(points: np.ndarray, grids: gpd.GeoDataFrame) -> np.ndarray:
    tree = shapely.STRtree(grids.geometry.to_numpy())
    pi, gi = tree.query(points, predicate="intersects")
    out = np.full(len(points), None, dtype=object)
    order = np.argsort(gi, kind="stable")  # lowest grid position wins on shared edges
    pi, gi = pi[order][::-1], gi[order][::-1]
    out[pi] = grids["grid_code"].to_numpy()[gi]
    return out


def _sites_frame(
    reaches: list[_ModeReach],
    sites: gpd.GeoDataFrame | None,
    cuts: tuple[float, ...],
    ids: np.ndarray,
    crs: Any,
    max_snap: float,
    limit: float,
    notes: list[str],
    *,
    snaps: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    cols = ["site_id", "name", "kind", "response_class", "time", "post_id", "within_class",
            "distance", "far"]  # fmt: skip
    if sites is None or not len(sites):
        return pd.DataFrame(columns=cols)
    check_frame(sites, "sites", ("Point",))
    if "response_class" in sites.columns:
        rc = pd.to_numeric(sites["response_class"], errors="coerce")
        if rc.isna().any():
            notes.append(
                f"{int(rc.isna().sum())} site(s) without response_class: {max(cuts):g} min"
            )
        rc = rc.fillna(max(cuts)).to_numpy(dtype=float)
    else:
        notes.append(f"`sites` has no response_class: every site held to {max(cuts):g} min")
        rc = np.full(len(sites), max(cuts), dtype=float)
    limit = max(limit, float(rc.max()) * 60.0)
    times = _point_times(reaches, to_crs(sites, crs), max_snap=max_snap, cutoff=limit, snaps=snaps)
    t = times["time"].to_numpy()
    post = times["post"].to_numpy()
    return pd.DataFrame(
        {
            "site_id": sites["site_id"].to_numpy() if "site_id" in sites else sites.index,
            "name": sites["name"].to_numpy() if "name" in sites else "",
            "kind": sites["kind"].to_numpy() if "kind" in sites else "",
            "response_class": rc,
            "time": t,
            "post_id": _ids_of(ids, post),
            "within_class": t <= rc * 60.0,
            "distance": times["distance"].to_numpy(),
            "far": times["far"].to_numpy(),
        }
    )


def _incidents_frame(
    reaches: list[_ModeReach],
    incidents: gpd.GeoDataFrame | None,
    weight: str | None,
    ids: np.ndarray,
    crs: Any,
    max_snap: float,
    limit: float,
    grids: gpd.GeoDataFrame | None,
    *,
    snaps: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    if incidents is None or not len(incidents):
        return pd.DataFrame(columns=["time", "post_id", "weight", "grid_code"])
    check_frame(incidents, "incidents", ("Point",))
    if weight is not None:
        if weight not in incidents.columns:
            msg = f"`weight` names no column of `incidents`: {weight!r}"
            raise ValidationError(msg)
        w = pd.to_numeric(incidents[weight], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        if (w < 0).any():
            msg = f"`weight` column {weight!r} has negative values"
            raise ValidationError(msg)
    else:
        w = np.ones(len(incidents))
    pts = to_crs(incidents, crs)
    times = _point_times(reaches, pts, max_snap=max_snap, cutoff=limit, snaps=snaps)
    post = times["post"].to_numpy()
    out = pd.DataFrame(
        {
            "time": times["time"].to_numpy(),
            "post_id": _ids_of(ids, post),
            "weight": w,
        },
        index=incidents.index,
    )
    if grids is not None:
        out["grid_code"] = _grid_of(pts.geometry.to_numpy(), grids)
    return out


def _shares(
    streets: pd.DataFrame, sites: pd.DataFrame, incidents: pd.DataFrame, cuts: tuple[float, ...]
) -> list[dict[str, Any]]:
    total = float(streets["length"].sum())
    w_total = float(incidents["weight"].sum()) if len(incidents) else 0.0
    rows = []
    for c in cuts:
        reached = float(streets.loc[streets["minutes"] <= c, "length"].sum())
        rows.append(
            {
                "minutes": c,
                "street_km": reached / 1000.0,
                "street_share": reached / total if total > 0 else np.nan,
                "site_share": float((sites["time"] <= c * 60.0).mean()) if len(sites) else np.nan,
                "incident_share": (
                    float(incidents.loc[incidents["time"] <= c * 60.0, "weight"].sum()) / w_total
                    if w_total > 0
                    else np.nan
                ),
            }
        )
    return rows


def _summary(
    streets: pd.DataFrame, sites: pd.DataFrame, incidents: pd.DataFrame, cuts: tuple[float, ...]
) -> pd.DataFrame:
    rows = _shares(streets, sites, incidents, cuts)
    rows.append(
        {
            "minutes": "class",
            "street_km": np.nan,
            "street_share": np.nan,
            "site_share": float(sites["within_class"].mean()) if len(sites) else np.nan,
            "incident_share": np.nan,
        }
    )
    return pd.DataFrame(rows)


def _by_grid(
    streets: pd.DataFrame,
    sites: pd.DataFrame,
    incidents: pd.DataFrame,
    cuts: tuple[float, ...],
    grids: gpd.GeoDataFrame | None,
) -> pd.DataFrame:
    if grids is None:
        return pd.DataFrame(columns=["grid_code", "minutes", "street_km", "street_share"])
    # One pass with bincount per figure (a loop over grids took most of a report's time).
    codes = grids["grid_code"].to_numpy()
    unique = pd.Index(pd.unique(codes))
    n = len(unique)

    def slots(frame: pd.DataFrame) -> np.ndarray:
        if not len(frame) or "grid_code" not in frame:
            return np.empty(0, dtype=np.intp)
        return unique.get_indexer(frame["grid_code"])

    def sums(where: np.ndarray, values: np.ndarray) -> np.ndarray:
        ok = where >= 0
        return np.bincount(where[ok], weights=values[ok], minlength=n)

    s_at = slots(streets)
    length = streets["length"].to_numpy(dtype=float)
    reach = streets["minutes"].to_numpy(dtype=float)
    total = sums(s_at, length)
    i_at = slots(incidents)
    weight = incidents["weight"].to_numpy(dtype=float) if len(incidents) else np.empty(0)
    itime = incidents["time"].to_numpy(dtype=float) if len(incidents) else np.empty(0)
    w_total = sums(i_at, weight)
    t_at = slots(sites)
    stime = sites["time"].to_numpy(dtype=float) if len(t_at) else np.empty(0)
    n_sites = sums(t_at, np.ones(len(t_at)))
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.where(
            n_sites > 0,
            sums(t_at, sites["within_class"].to_numpy(dtype=float) if len(t_at) else np.empty(0))
            / n_sites,
            np.nan,
        )
        per_cut = {}
        for c in cuts:
            reached = sums(s_at, np.where(reach <= c, length, 0.0))
            per_cut[c] = (
                reached / 1000.0,
                np.where(total > 0, reached / total, np.nan),
                np.where(
                    n_sites > 0, sums(t_at, (stime <= c * 60.0).astype(float)) / n_sites, np.nan
                ),
                np.where(
                    w_total > 0,
                    sums(i_at, np.where(itime <= c * 60.0, weight, 0.0)) / w_total,
                    np.nan,
                ),
            )
    frames = []
    for code, g in zip(codes, unique.get_indexer(codes), strict=True):
        for c in cuts:
            km, street, site, incident = (v[g] for v in per_cut[c])
            frames.append(
                {
                    "grid_code": code,
                    "minutes": c,
                    "street_km": float(km),
                    "street_share": float(street),
                    "site_share": float(site),
                    "incident_share": float(incident),
                    "sites_within_class": float(within[g]),
                    "sites": int(n_sites[g]),
                }
            )
    return pd.DataFrame(frames)
