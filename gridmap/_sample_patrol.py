"""The sample street office's parts for the police journey: school hours, a synthetic week
of GPS tracks and the street office's hot-spot hand-off (used by :mod:`gridmap.sample`).

All three are derived, seeded, from the sample's own layers, so ``gridmap sample build``
makes the same file every time.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

#: School gate times of the sample (Finnish schools start at 8-9 and end by 14-16; a
#: kindergarten stays open until 16-17): each school starts at one of these times and
#: closes at one of those, drawn with the sample's seed.
SCHOOL_OPENS = ("07:45", "08:00", "08:00", "08:15")
SCHOOL_CLOSES = ("15:30", "16:00", "16:30", "16:30", "17:00")
#: The synthetic week of tracks: two walking units from the first two posts, the last
#: whole week (Monday to Sunday) before the incidents end, 08:00-12:00 shifts.
TRACK_UNITS = 2
TRACK_DAYS = 7
TRACK_SHIFT_START = "08:00"
#: The hot-spot hand-off covers the last 12 weeks of incidents, as `gridmap hotspots save`
#: does by default.
HANDOFF_WEEKS = 12


def school_times(sites: gpd.GeoDataFrame, *, seed: int) -> gpd.GeoDataFrame:
    """`sites` with ``opens``/``closes`` clock texts (``HH:MM``) for its schools.

    Sites of kind ``school`` get a start from :data:`SCHOOL_OPENS` and a dismissal from
    :data:`SCHOOL_CLOSES`, drawn with `seed`; other sites get none (missing). Returns a
    new frame.
    """
    rng = np.random.default_rng(seed)
    school = (sites["kind"] == "school").to_numpy()
    n = int(school.sum())
    opens = pd.Series(pd.NA, index=sites.index, dtype="string")
    closes = pd.Series(pd.NA, index=sites.index, dtype="string")
    opens[school] = rng.choice(SCHOOL_OPENS, n)
    closes[school] = rng.choice(SCHOOL_CLOSES, n)
    return sites.assign(opens=opens, closes=closes)


def week_start(period_end: pd.Timestamp) -> pd.Timestamp:
    """08:00 on the Monday of the last whole week before `period_end`.

    >>> week_start(pd.Timestamp("2026-11-01"))
    Timestamp('2026-10-19 08:00:00')
    """
    end = pd.Timestamp(period_end).normalize()  # exclusive: the week must end by then
    monday = end - pd.Timedelta(days=end.day_of_week + 7)
    return monday + pd.Timedelta(TRACK_SHIFT_START + ":00")


def synthetic_tracks(
    streets: gpd.GeoDataFrame,
    posts: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    crs: CRS,
    period_end: pd.Timestamp,
    seed: int,
) -> gpd.GeoDataFrame:
    """The sample's ``tracks`` layer: :func:`gridmap.patrol.tracks.synthetic_week` of
    :data:`TRACK_UNITS` walking units along the walking streets (`crs`: the sample's
    working CRS), times whole seconds. ``synthetic`` is True on every fix; the generator's
    faults (a few fixes without a time, a few jumps) are kept for the cleaning to find."""
    from gridmap.patrol.network import street_graph
    from gridmap.patrol.tracks import synthetic_week

    graph = street_graph(streets, mode="walk", crs=crs)
    week = synthetic_week(
        posts,
        sites,
        graph=graph,
        units=TRACK_UNITS,
        days=TRACK_DAYS,
        start=str(week_start(period_end)),
        seed=seed,
    )
    return gpd.GeoDataFrame(
        {
            "time": week["time"].dt.round("s").astype("datetime64[ms]"),
            "unit": week["unit"].astype("string"),
            "synthetic": week["synthetic"].astype(bool),
        },
        geometry=week.geometry,
        crs=week.crs,
    )


def hotspot_handoff(
    incidents: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame,
    *,
    crs: CRS,
    period_end: pd.Timestamp,
) -> gpd.GeoDataFrame:
    """The sample's ``hotspots`` layer: the street office's hand-off
    (:func:`gridmap.hotspots.views.handoff_features`, as ``gridmap hotspots save`` makes
    it) for every category over the last :data:`HANDOFF_WEEKS` weeks of incidents."""
    from gridmap.hotspots import views

    office = views.StreetOffice(views.prepare_incidents(incidents, grids), grids, crs)
    end = pd.Timestamp(period_end)
    selection = views.Selection(end - pd.Timedelta(weeks=HANDOFF_WEEKS), end)
    return views.handoff_features(office, selection)
