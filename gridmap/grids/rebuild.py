"""Redraw the bundled sample's grids with the planners' partitioning.

The sample (:mod:`gridmap.sample`) grouped street blocks by cutting their centroids along
straight lines, which left 9 of its 30 grids in several pieces and households ranging from
136 to 519. :func:`rebuild_sample_grids` redraws them from street blocks with
:func:`gridmap.grids.partition.partition_blocks`: first 6 contiguous communities, then 5
grids in each, every grid one piece, following streets, balanced on households.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap.grids.blocks import block_households, street_blocks
from gridmap.grids.codes import reading_order
from gridmap.grids.partition import partition_blocks


def rebuild_sample_grids(
    store: Any,
    *,
    communities: int = 6,
    grids_per_community: int = 5,
    tolerance: float = 0.05,
    seeds: Sequence[int] = (0, 1, 2),
) -> gpd.GeoDataFrame:
    """The sample street office's grids redrawn from street blocks (nothing is written).

    Parameters
    ----------
    store : WorkspaceStore
        The sample workspace (``GeoPackageStore(get_path("helsinki"), create=False)``):
        its ``grids`` (the street's outline, community names), ``streets`` and
        ``buildings`` (households) are read.
    communities, grids_per_community : int
        The sample has 6 communities of 5 grids.
    tolerance : float, default 0.05
        Grids within ±5 % of their community's mean; communities within half of that.
    seeds : sequence of int
        Alternative plans tried at each level; the best is kept.

    Returns
    -------
    GeoDataFrame
        The grids layer in EPSG:4326 with the sample's columns (``grid_code``, ``name``,
        ``community``, ``street``, ``district``, ``households``, ``population``,
        ``worker``).
    """
    from gridmap.sample import PERSONS_PER_HOUSEHOLD

    old = store.read("grids")
    crs = store.working_crs()
    old_m = old.to_crs(crs)
    area = shapely.union_all(old_m.geometry.to_numpy())
    blocks = street_blocks(store.read("streets"), area, crs=crs)
    blocks["households"] = block_households(blocks, store.read("buildings")).to_numpy()

    street_code = str(old["grid_code"].iloc[0])[:9]
    top = partition_blocks(
        blocks,
        k=communities,
        tolerance=tolerance / 2,
        seeds=seeds,
        geometry=True,
        community_code=f"{street_code}001",  # any 12 digits: codes give the reading order
    )[0]
    assert top.grids is not None
    community_polygons = top.grids.geometry.to_numpy()
    order = reading_order(community_polygons)
    number = np.empty(len(order), dtype=int)
    number[order] = np.arange(1, len(order) + 1)
    names = _community_names(community_polygons, old_m)

    frames = []
    labels = top.labels.to_numpy()
    for c in range(top.k):
        members = blocks[labels == c].reset_index(drop=True)
        code = f"{street_code}{number[c]:03d}"
        plan = partition_blocks(
            members,
            k=grids_per_community,
            tolerance=tolerance,
            seeds=seeds,
            community_code=code,
        )[0]
        assert plan.grids is not None
        grids = plan.grids[["grid_code", "households", "geometry"]].copy()
        grids["community"] = names[c]
        frames.append(grids)
    grids = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
    short = grids["community"].str.split(" ").str[-1]
    grids["name"] = [
        f"{s} 网格{code[-2:]}" for s, code in zip(short, grids["grid_code"], strict=True)
    ]
    for column in ("street", "district"):
        grids[column] = old[column].iloc[0] if column in old.columns else None
    grids["households"] = np.round(grids["households"]).astype(int)
    grids["population"] = np.round(grids["households"] * PERSONS_PER_HOUSEHOLD).astype(int)
    grids["worker"] = [f"网格员 {code[-6:]}" for code in grids["grid_code"]]
    columns = [c for c in old.columns if c in grids.columns]
    out = grids[columns].to_crs(old.crs)
    return out.sort_values("grid_code").reset_index(drop=True)


def _community_names(polygons: np.ndarray, old: gpd.GeoDataFrame) -> list[str]:
    """Each new community takes the old community name it overlaps most (each name once)."""
    if "community" not in old.columns:
        return [""] * len(polygons)
    olds = old.dissolve("community")
    overlap = np.array(
        [shapely.area(shapely.intersection(p, olds.geometry.to_numpy())) for p in polygons]
    )
    names = [""] * len(polygons)
    for _ in range(min(len(polygons), len(olds))):
        i, j = np.unravel_index(np.nanargmax(overlap), overlap.shape)
        names[i] = str(olds.index[j])
        overlap[i, :] = np.nan
        overlap[:, j] = np.nan
        if np.isnan(overlap).all():
            break
    return names
