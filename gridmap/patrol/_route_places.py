"""Stops and posts for people: names an officer can tell apart, and where each stop is.

Part of :mod:`gridmap.patrol.route_views` (its public names are re-exported there).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from gridmap.i18n import t

#: What closes a sentinel post's name in the sample ("<place> 守望岗", gridmap._sample_patrol).
_POST_SUFFIX = "守望岗"


def readable_name(name: Any, *, kind: Any, ident: Any, lang: str = "zh") -> str:
    """A site's or post's name as an officer reads it in `lang`.

    OpenStreetMap leaves many places unnamed, and imports then name them by their kind
    ("school", "metro"): five sites all called "school" cannot be told apart. A name that
    is missing or only a kind word reads as the kind in `lang` plus the id (学校 S0077,
    School S0077); a post named "<kind word> 守望岗" gets the kind translated and its id
    (地铁站 守望岗 P03). Other names are proper names and stay as written.
    """
    from gridmap.schema import SITE_KINDS

    def label(word: str) -> str | None:
        key = word.strip().lower()
        for k, pair in SITE_KINDS.items():
            if key in (k, pair[0].lower(), pair[1].lower()):
                return pair[0 if lang == "zh" else 1]
        return None

    text = "" if name is None or pd.isna(name) else str(name).strip()
    if not text or label(text):
        shown = (label(text) if text else None) or label(str(kind)) or str(kind or "")
        return f"{shown} {ident}".strip()
    head, sep, tail = text.rpartition(" ")
    if sep and tail == _POST_SUFFIX and label(head):
        return f"{label(head)} {_POST_SUFFIX} {ident}"
    return text


#: How far a stop may be from a named street for the route sheet to name that street
#: (a stop is snapped to within 100 m of a street, FAR_SNAP_M; names come a bit further).
WHERE_STREET_M = 150.0


def stop_places(
    stops: gpd.GeoDataFrame,
    *,
    streets: gpd.GeoDataFrame | None = None,
    grids: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
) -> dict[str, str]:
    """Where each stop is, for people: the nearest named street and the grid it lies in.

    A hot spot's name says what it is (热点，置信度 99%), not where; an officer needs a
    street to walk to. Streets without a ``name`` are skipped; a street farther than
    :data:`WHERE_STREET_M` or no grid leaves that part out. Returns stop id → text
    ("Erottajankatu，Kamppi 网格01"); stops with neither are left out.
    """
    if not len(stops):
        return {}
    points = stops[["stop", "geometry"]].to_crs(stops.estimate_utm_crs())
    street = pd.Series("", index=points.index)
    if streets is not None and len(streets) and "name" in streets:
        named = streets.loc[streets["name"].notna() & (streets["name"].astype(str) != "")]
        named = named[["name", "geometry"]].to_crs(points.crs)
        if len(named):
            near = gpd.sjoin_nearest(points, named, how="left", max_distance=WHERE_STREET_M)
            near = near[~near.index.duplicated()]
            street = near["name"].fillna("").astype(str)
    grid = pd.Series("", index=points.index)
    if grids is not None and len(grids):
        label = grids["name"] if "name" in grids else grids["grid_code"]
        areas = gpd.GeoDataFrame(
            {"grid": label.astype(str).to_numpy()},
            geometry=grids.geometry.to_numpy(),
            crs=grids.crs,
        ).to_crs(points.crs)
        inside = gpd.sjoin(points, areas, how="left", predicate="within")
        grid = inside[~inside.index.duplicated()]["grid"].fillna("").astype(str)
    out = {}
    for stop, s, g in zip(points["stop"].astype(str), street, grid, strict=True):
        if s and g:
            out[stop] = t("pr_sheet_street_grid", lang, street=s, grid=g)
        elif s or g:
            out[stop] = s or g
    return out
