"""Key-site inspections for the Coverage & posts page: which key sites no patrol visited lately.

Part of :mod:`gridmap.patrol.views` (which re-exports these); no Streamlit. A visit is a GPS
fix of any unit within :data:`VISIT_RADIUS_M` of a site (:func:`site_visits`); the overdue
sites are :func:`gridmap.patrol.coverage.unvisited_sites` of those visits, shown in a table
(:func:`inspection_table`) and on a map (:func:`inspection_map`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap import maps
from gridmap._errors import ValidationError
from gridmap.i18n import t
from gridmap.patrol import coverage as cov
from gridmap.patrol._page_map import GAP_COLOUR, _site_frame
from gridmap.schema import value_label

if TYPE_CHECKING:
    from gridmap.patrol.views import Patrol

#: A fix this close to a key site counts as a visit, metres: GPS error between buildings is
#: 5-20 m, and an officer checking a site stands at its entrance, not at its centroid.
#: Our own choice (the same order as ``tracks.stops_visited``'s 30 m).
VISIT_RADIUS_M = 30.0
#: Default inspection interval, days (a weekly round of every key site).
DEFAULT_DAYS = 7
VISITED_COLOUR = "#1a9850"
NEVER_COLOUR = "#67001f"
#: GPS fixes of the tracks (ColorBrewer RdYlBu blue).
FIX_COLOUR = "#4575b4"


def site_visits(
    track: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, within: float = VISIT_RADIUS_M
) -> pd.DataFrame:
    """Every (site, fix) pair with the fix within `within` metres of the site.

    Parameters
    ----------
    track : geopandas.GeoDataFrame
        GPS fixes (``time``, optional ``unit``), any CRS; e.g. from
        :func:`gridmap.patrol.tracks.read_track` and ``clean_track``.
    sites : geopandas.GeoDataFrame
        Key sites with ``site_id``.
    within : float
        Visit radius, metres (measured in the fixes' local UTM zone).

    Returns
    -------
    pandas.DataFrame
        ``site_id``, ``time``, ``unit``, one row per fix near a site, by time.

    Raises
    ------
    ValidationError
        `track` has no ``time`` column or `sites` no ``site_id``.
    """
    if "time" not in track.columns:
        msg = "`track` must have a `time` column (GPS fixes)"
        raise ValidationError(msg)
    if "site_id" not in sites.columns:
        msg = "`sites` must have a `site_id` column"
        raise ValidationError(msg)
    if within <= 0:
        msg = f"`within` must be a positive distance in metres; got {within}"
        raise ValidationError(msg)
    empty = pd.DataFrame({"site_id": [], "time": pd.Series(dtype="datetime64[ns]"), "unit": []})
    if not len(track) or not len(sites):
        return empty
    crs = track.estimate_utm_crs()
    fixes = track.to_crs(crs)
    places = sites.to_crs(crs)
    site_i, fix_i = fixes.sindex.query(places.geometry, predicate="dwithin", distance=within)
    units = track["unit"] if "unit" in track else pd.Series("", index=track.index)
    out = pd.DataFrame(
        {
            "site_id": sites["site_id"].astype(str).to_numpy()[site_i],
            "time": pd.to_datetime(track["time"]).to_numpy()[fix_i],
            "unit": units.astype(str).to_numpy()[fix_i],
        }
    )
    return out.sort_values("time", ignore_index=True)


def inspections(
    sites: gpd.GeoDataFrame, visits: pd.DataFrame, *, days: float, now: Any = None
) -> gpd.GeoDataFrame:
    """Every key site with its last visit, days since, and whether it is overdue.

    The overdue set is :func:`gridmap.patrol.coverage.unvisited_sites` (no visit within
    `days` days before `now`; default the latest visit, so results are reproducible).

    Returns
    -------
    geopandas.GeoDataFrame
        `sites`' columns plus ``last_visit`` (NaT: never), ``days_since`` (inf: never) and
        ``overdue`` (bool), most overdue first.
    """
    if now is None and not len(visits):
        now = pd.Timestamp.now()
    overdue = cov.unvisited_sites(sites, visits, days=days, now=now)
    times = pd.to_datetime(visits["time"]) if len(visits) else pd.Series(dtype="datetime64[ns]")
    now = pd.Timestamp(now) if now is not None else times.max()
    last = pd.Series(times.to_numpy(), index=visits["site_id"].astype(str)).groupby(level=0).max()
    out = sites.copy()
    out["last_visit"] = out["site_id"].astype(str).map(last)
    out["days_since"] = ((now - out["last_visit"]).dt.total_seconds() / 86400.0).fillna(np.inf)
    out["overdue"] = out["site_id"].astype(str).isin(set(overdue["site_id"].astype(str)))
    return out.sort_values("days_since", ascending=False, ignore_index=True)


def inspection_table(status: gpd.GeoDataFrame, *, lang: str) -> pd.DataFrame:
    """The overdue sites as people read them: id, name, kind, last visit, days since."""
    late = status[status["overdue"]]
    since = late["days_since"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            t("pp_col_site", lang): late["site_id"].astype(str).to_numpy(),
            t("pp_name", lang): late.get("name", late["site_id"]).astype(str).to_numpy(),
            t("pp_col_kind", lang): [
                value_label("sites", "kind", k, lang) for k in late.get("kind", [""] * len(late))
            ],
            t("pp_col_last_visit", lang): [
                t("pp_never", lang) if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M")
                for v in late["last_visit"]
            ],
            t("pp_col_days_since", lang): [
                "—" if not np.isfinite(d) else f"{d:.1f}" for d in since
            ],
        }
    )


def inspection_map(
    patrol: Patrol,
    status: gpd.GeoDataFrame,
    *,
    lang: str,
    days: float,
    track: gpd.GeoDataFrame | None = None,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    height: int = 600,
    credit: str = maps.OSM_ATTRIBUTION,
) -> maps.OfflineMap:
    """Key sites coloured visited / overdue / never visited, over the streets (and the
    fixes of `track`, thinned to at most 5,000)."""
    m = maps.page_map(
        bounds=patrol.bounds,
        lang=lang,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        credit=credit,
        streets=patrol.streets,
        buildings=patrol.buildings,
    )
    if track is not None and len(track):
        step = max(len(track) // 5000, 1)
        fixes = track.iloc[::step][["geometry"]]
        maps.add_points(m, fixes, color=FIX_COLOUR, radius=1.5, name=t("pp_fixes_layer", lang))
    never = status["overdue"] & ~np.isfinite(status["days_since"].to_numpy(dtype=float))
    groups = (
        (~status["overdue"], VISITED_COLOUR, t("pp_visited_within", lang, days=f"{days:g}")),
        (status["overdue"] & ~never, GAP_COLOUR, t("pp_overdue", lang, days=f"{days:g}")),
        (never, NEVER_COLOUR, t("pp_never_visited", lang)),
    )
    entries = []
    for where, colour, label in groups:
        chosen = status[where.to_numpy()]
        if len(chosen):
            maps.add_points(
                m,
                _site_frame(chosen),
                label_column="name" if "name" in chosen else None,
                color=colour,
                radius=6,
                tooltip_columns={"site_id": t("pp_col_site", lang)},
                name=label,
            )
        entries.append((colour, label))
    if track is not None and len(track):
        entries.append((FIX_COLOUR, t("pp_fixes_layer", lang)))
    maps.add_legend(m, title=t("pp_inspections", lang), entries=entries, shape="circle")
    maps.layer_control(m)
    return m
