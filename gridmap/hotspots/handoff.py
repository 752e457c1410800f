"""The street office's hand-off to patrol planning: hot spots saved as a workspace layer.

The police's pages read the ``hotspots`` layer (:data:`gridmap.schema.LAYERS`): one polygon
per place the street office wants patrolled, with

* ``kind`` — ``"gi_star"`` (a Getis-Ord Gi* hot-spot cell), ``"emerging"`` (a cell with an
  emerging hot-spot pattern) or ``"warning"`` (a grid with an early warning);
* ``level`` — ``"99"``/``"95"``/``"90"`` (Gi* confidence), the emerging pattern
  (``"intensifying hot spot"`` …) or the warning level (``"red"``/``"orange"``/``"yellow"``);
* ``category`` — the category key the analysis ran on, ``"all"`` for every category chosen;
* ``period`` — the span analysed, ``"2026-08-03/2026-10-25"`` (ISO 8601 interval, end
  inclusive);
* ``weight`` — how strong: the Gi* z-score, the Mann-Kendall z of the weekly Gi* scores, or
  observed ÷ expected incidents of the warning.

:func:`hotspot_features` builds the layer from the library's results, :func:`save_hotspots`
writes it as a new version (so every hand-off is kept and can be restored).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap._errors import ValidationError
from gridmap.schema import STORAGE_CRS

__all__ = ["HOTSPOT_COLUMNS", "hotspot_features", "save_hotspots"]

HOTSPOT_COLUMNS = ("kind", "level", "category", "period", "weight")
_GI_LEVELS = {3: "99", 2: "95", 1: "90"}


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "kind": pd.Series(dtype=str),
            "level": pd.Series(dtype=str),
            "category": pd.Series(dtype=str),
            "period": pd.Series(dtype=str),
            "weight": pd.Series(dtype=float),
        },
        geometry=gpd.GeoSeries([], crs=STORAGE_CRS),
    )


def hotspot_features(
    *,
    period: str,
    category: str = "all",
    gi_cells: gpd.GeoDataFrame | None = None,
    emerging: gpd.GeoDataFrame | None = None,
    warnings: pd.DataFrame | None = None,
    grids: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The ``hotspots`` layer from Gi* cells, emerging hot spots and early warnings.

    Parameters
    ----------
    period : str
        The span analysed, e.g. ``"2026-08-03/2026-10-25"``.
    category : str, default "all"
        The category the hot spots were found for.
    gi_cells : GeoDataFrame, optional
        :func:`~gridmap.hotspots.local_stats.gi_star_hotspots`; its hot cells
        (``gi_class`` > 0) are kept.
    emerging : GeoDataFrame, optional
        :func:`~gridmap.hotspots.trends.emerging_hotspots`; cells whose pattern is a hot
        spot are kept.
    warnings : DataFrame, optional
        :func:`~gridmap.hotspots.warnings.early_warnings`; each warning becomes its grid's
        polygon (one row per grid and category), so `grids` is needed.
    grids : GeoDataFrame, optional
        The grids layer, for the warnings' polygons.

    Returns
    -------
    GeoDataFrame
        In EPSG:4326, columns :data:`HOTSPOT_COLUMNS`; empty when nothing is hot.
    """
    if not isinstance(period, str) or not period.strip():
        msg = "`period` must name the span analysed, e.g. '2026-08-03/2026-10-25'"
        raise ValidationError(msg)
    parts = [_empty()]
    if gi_cells is not None and len(gi_cells):
        hot = gi_cells[gi_cells["gi_class"] > 0]
        parts.append(
            _frame(
                hot.geometry,
                kind="gi_star",
                level=[_GI_LEVELS[int(c)] for c in hot["gi_class"]],
                category=category,
                period=period,
                weight=hot["gi_z"],
            )
        )
    if emerging is not None and len(emerging):
        hot = emerging[emerging["pattern"].astype(str).str.endswith("hot spot")]
        parts.append(
            _frame(
                hot.geometry,
                kind="emerging",
                level=hot["pattern"].astype(str).tolist(),
                category=category,
                period=period,
                weight=hot["trend_z"],
            )
        )
    if warnings is not None and len(warnings):
        if grids is None:
            msg = "`grids` is needed to hand over warnings (their polygons are the grids')"
            raise ValidationError(msg)
        shapes = grids.to_crs(STORAGE_CRS).set_index(grids["grid_code"].astype(str)).geometry
        chosen = warnings[warnings["grid_code"].astype(str).isin(shapes.index)]
        expected = pd.to_numeric(chosen["expected"], errors="coerce").to_numpy(dtype=float)
        observed = pd.to_numeric(chosen["observed"], errors="coerce").to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(expected > 0, observed / expected, np.nan)
        parts.append(
            _frame(
                gpd.GeoSeries(
                    shapes.loc[chosen["grid_code"].astype(str)].to_numpy(), crs=STORAGE_CRS
                ),
                kind="warning",
                level=chosen["level"].astype(str).tolist(),
                category=[str(c) if pd.notna(c) else category for c in chosen["category"]]
                if "category" in chosen
                else category,
                period=period,
                weight=ratio,
            )
        )
    layer = pd.concat([p for p in parts if len(p)] or parts, ignore_index=True)
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=STORAGE_CRS)


def _frame(geometry: gpd.GeoSeries, **columns: Any) -> gpd.GeoDataFrame:
    geoms = gpd.GeoSeries(np.asarray(geometry.to_crs(STORAGE_CRS).array), crs=STORAGE_CRS)
    n = len(geoms)
    data = {
        name: (list(value) if not isinstance(value, str) else [value] * n)
        for name, value in columns.items()
    }
    data["weight"] = pd.to_numeric(pd.Series(data["weight"]), errors="coerce").astype(float)
    return gpd.GeoDataFrame(data, geometry=geoms.to_numpy(), crs=STORAGE_CRS)


def save_hotspots(
    store: Any, features: gpd.GeoDataFrame, *, author: str | None, message: str | None = None
) -> Any:
    """Write `features` (:func:`hotspot_features`) as the next version of ``hotspots``.

    Parameters
    ----------
    store : WorkspaceStore
        The workspace.
    features : GeoDataFrame
        The hot spots to hand over.
    author : str or None
        Who hands them over (the editor's name typed in the app; None: the OS account).
    message : str, optional
        Why; by default the kinds and the period handed over.

    Returns
    -------
    LayerVersion
        The version written.
    """
    if not len(features):
        msg = "nothing to hand over: no hot spot or warning in the selection"
        raise ValidationError(msg)
    if message is None:
        kinds = ", ".join(f"{k} {n}" for k, n in features["kind"].value_counts().items())
        message = f"hot spots for patrol ({kinds}; {features['period'].iloc[0]})"
    return store.write("hotspots", features, author=author, message=message)
