"""The Overview computed in the workspace store: counts instead of incident rows.

:func:`gridmap.overview.build_overview` takes the whole incidents layer; on a PostGIS
workspace of millions of incidents, fetching it takes longer than the page may
(``bench/bench_postgis.py``). :func:`overview_from_store` asks the store for the few
numbers the page shows instead — incidents per category in two windows and per grid,
summed from :meth:`~gridmap.store.WorkspaceStore.incident_summary` (per grid × day ×
category: about 200,000 rows at 5,000,000 incidents, kept per version on PostGIS), and
per map cell (:meth:`~gridmap.store.WorkspaceStore.aggregate_points`, one window) — and
returns the same :class:`~gridmap.overview.Overview`, figure for figure. The PostGIS
store reads its stored summary and counts cells in the database; the GeoPackage store
computes both from the rows.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridmap import maps
from gridmap._errors import ValidationError
from gridmap.overview import (
    CELL_SIZE_M,
    WINDOW_DAYS,
    Overview,
    _no_grids,
    assemble_overview,
    select_area,
)
from gridmap.stats import TOTAL_LABEL
from gridmap.store import WorkspaceStore
from gridmap.store._summary import in_window

#: The store's ``between`` keeps ``low <= t < high``; the Overview's windows are
#: ``(start, end]``. Stored times have microsecond resolution, so ``t > a`` is ``t >= a + 1 µs``.
_TICK = pd.Timedelta(microseconds=1)
#: Stands for a missing category while summing (pandas drops missing group keys).
_NO_CATEGORY = object()


def counts_in_database(store: WorkspaceStore) -> bool:
    """Whether `store` counts incidents in its database (a PostGIS workspace, opened
    directly or through an account's scope), so pages should ask it for counts rather
    than read the incidents' rows.

    A GeoPackage store counts by reading columns into pandas: there one cached read of
    the layer is as fast (``bench/bench_postgis.py``).
    """
    return store.summarised_in_database


def reference_time_from_store(
    store: WorkspaceStore, *, summary: pd.DataFrame | None = None
) -> pd.Timestamp:
    """:func:`gridmap.overview.reference_time` of the incidents layer, from the store's
    :meth:`~gridmap.store.WorkspaceStore.incident_summary` (or the `summary` given).

    The midnight after the latest incident's day; the start of today without incidents
    or times.
    """
    if summary is None:
        summary = store.incident_summary()
    days = summary["day"].dropna()
    if not len(days):
        return pd.Timestamp.now().normalize()
    return pd.Timestamp(days.max()) + pd.Timedelta(days=1)


def _window(start: pd.Timestamp, end: pd.Timestamp) -> dict[str, tuple[object, object]]:
    return {"occurred_at": (start + _TICK, end + _TICK)}


def _in_area(summary: pd.DataFrame, codes: list[str] | None) -> pd.DataFrame:
    if codes is None:
        return summary
    return summary[summary["grid_code"].isin(codes).to_numpy()]


def _per_category(
    summary: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, codes: list[str] | None
) -> pd.Series:
    """Incidents per category (None: no category) in ``(start, end]``, only in grids
    `codes` (None: everywhere), summed from the summary's days."""
    rows = _in_area(summary, codes)
    rows = rows[in_window(rows, start, end, closed="right")]
    counts = rows.groupby(rows["category"].fillna(_NO_CATEGORY), sort=True)["count"].sum()
    counts.index = [None if c is _NO_CATEGORY else c for c in counts.index]
    return counts.astype("int64")


def _per_grid(summary: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Incidents per grid code in ``(start, end]``."""
    rows = summary[in_window(summary, start, end, closed="right") & summary["grid_code"].notna()]
    return rows.groupby("grid_code", sort=True)["count"].sum().astype("int64")


def _kpis(current: pd.Series, previous: pd.Series) -> pd.DataFrame:
    """:func:`gridmap.stats.window_kpis` from per-category counts of the two windows."""
    named = [c for c in current.index.union(previous.index, sort=False) if pd.notna(c)]
    labels = sorted(named)
    cur = [int(current.get(c, 0)) for c in labels] + [int(current.sum())]
    prev = [int(previous.get(c, 0)) for c in labels] + [int(previous.sum())]
    cur_a, prev_a = np.asarray(cur, dtype=np.int64), np.asarray(prev, dtype=np.int64)
    change = cur_a - prev_a
    with np.errstate(divide="ignore", invalid="ignore"):
        change_pct = np.where(prev_a > 0, 100.0 * change / np.maximum(prev_a, 1), np.nan)
    return pd.DataFrame(
        {"current": cur_a, "previous": prev_a, "change": change, "change_pct": change_pct},
        index=pd.Index([*labels, TOTAL_LABEL], name="category"),
    )


def _cells(
    store: WorkspaceStore,
    between: dict[str, tuple[object, object]],
    crs: pyproj.CRS,
) -> tuple[gpd.GeoDataFrame, float]:
    """:func:`gridmap.maps.aggregate_to_cells` of the window's incidents, from the store's
    cell counts; the cell doubled until the cells fit the browser's budget (exact: the
    cell of a doubled size is the floor of half the index)."""
    counts = store.aggregate_points("incidents", cell=CELL_SIZE_M, crs=crs, between=between)
    col, row, n = (counts[c].to_numpy(dtype=np.int64) for c in ("ix", "iy", "count"))
    size = CELL_SIZE_M
    while True:
        keys, inverse = np.unique(np.column_stack([col, row]), axis=0, return_inverse=True)
        totals = np.bincount(inverse.reshape(-1), weights=n, minlength=len(keys)).astype(np.int64)
        if len(keys) <= maps.MAX_BROWSER_FEATURES:
            break
        col, row, size = np.floor_divide(col, 2), np.floor_divide(row, 2), size * 2
    keys = keys.reshape(-1, 2)
    boxes = shapely.box(
        keys[:, 0] * size, keys[:, 1] * size, (keys[:, 0] + 1) * size, (keys[:, 1] + 1) * size
    )
    cells = gpd.GeoDataFrame(
        {
            "cell_id": [f"{c}_{r}" for c, r in keys.tolist()],
            "col": keys[:, 0],
            "row": keys[:, 1],
            "count": totals,
        },
        geometry=gpd.GeoSeries(boxes, crs=crs),
    ).to_crs(4326)
    return cells, size


def overview_from_store(
    store: WorkspaceStore,
    *,
    area_prefix: str = "",
    now: pd.Timestamp | None = None,
    days: int = WINDOW_DAYS,
) -> Overview:
    """:func:`gridmap.overview.build_overview` of `store`'s grids and incidents, counted in
    the store instead of over the incidents' rows.

    The same figures (tested against :func:`~gridmap.overview.build_overview` on both
    backends): the windows ``(now - days, now]`` and the one before, incidents per grid in
    the current window (a point on a shared edge counts for the first grid written), and
    the map's incident cells in the working CRS. Under an `area_prefix` the per-category
    figures are those of the area's grids (as the summary locates incidents), and the
    map's cells are those touching the area: a cell across its border also counts the
    neighbouring grid's incidents there (the row path counts only the area's).

    Parameters
    ----------
    store : WorkspaceStore
        The workspace (a GeoPackage, a PostGIS or an access-scoped store).
    area_prefix : str, default ""
        Grid-code prefix of the area; "" for everything.
    now : Timestamp, optional
        End of the current window, a midnight; default :func:`reference_time_from_store`.
    days : int, default 30
        Length of each window in days.

    Returns
    -------
    Overview
        ``cells`` in EPSG:4326, cell size in metres of the working CRS.

    Raises
    ------
    ValidationError
        when `days` is not positive, `now` is not a midnight, `area_prefix` is not
        digits or matches no grid, or an area is asked for without grids.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        msg = f"`days` must be a positive whole number of days; got {days!r}"
        raise ValidationError(msg)
    grids = store.read("grids") if store.current_version("grids") is not None else None
    has_grids = grids is not None and len(grids) > 0
    summary = store.incident_summary()
    has_incidents = bool(len(summary) and int(summary["count"].sum()) > 0)
    if not has_grids and area_prefix:
        msg = f"`area_prefix` {area_prefix!r} needs grids; the workspace has none"
        raise ValidationError(msg)
    area = select_area(grids, area_prefix).copy() if has_grids else _no_grids(4326)  # type: ignore[arg-type]
    end = (
        pd.Timestamp(now) if now is not None else reference_time_from_store(store, summary=summary)
    )
    if end != end.normalize():
        msg = f"`now` must be a midnight (the end of a counted day); got {end}"
        raise ValidationError(msg)
    span = pd.Timedelta(days=days)
    crs = store.working_crs()
    codes = area["grid_code"].astype(str).tolist() if has_grids and area_prefix else None
    if has_incidents:
        kpis = _kpis(
            _per_category(summary, end - span, end, codes),
            _per_category(summary, end - 2 * span, end - span, codes),
        )
        cells, size = _cells(store, _window(end - span, end), crs)
        if codes is not None:  # only the cells of the area's incidents' extent
            inside = cells.intersects(shapely.union_all(area.geometry.to_numpy()))
            cells = cells[inside.to_numpy()].reset_index(drop=True)
    else:
        kpis = _kpis(pd.Series(dtype="int64"), pd.Series(dtype="int64"))
        cells = gpd.GeoDataFrame(
            {"cell_id": [], "col": [], "row": [], "count": []}, geometry=[], crs=4326
        )
        size = CELL_SIZE_M
    if has_grids:
        counts = _per_grid(summary, end - span, end)
        area["incidents"] = (
            counts.reindex(area["grid_code"].astype(str)).fillna(0).astype(int).to_numpy()
        )
    return assemble_overview(
        area,
        kpis,
        cells,
        now=end,
        days=days,
        cell_size_m=size,
        has_grids=has_grids,
        has_incidents=has_incidents,
    )
