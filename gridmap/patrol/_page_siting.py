"""The Coverage & posts page's siting view as plain functions (part of :mod:`gridmap.patrol.views`).

:func:`site_new` (MCLP, Church & ReVelle 1974) and :func:`site_for_sites` (LSCP, Toregas
et al. 1971) propose posts; :func:`siting_table` sets the solver's answer beside the
greedy one (:func:`greedy_places`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from gridmap.i18n import Message, t
from gridmap.patrol import siting
from gridmap.patrol._page_map import _pct

if TYPE_CHECKING:
    from gridmap.patrol.views import Patrol


def recent_incidents(
    incidents: gpd.GeoDataFrame | None, days: int | None
) -> gpd.GeoDataFrame | None:
    """Incidents of the last `days` days of the layer (all when None)."""
    if incidents is None or days is None or "occurred_at" not in incidents:
        return incidents
    times = pd.to_datetime(incidents["occurred_at"], errors="coerce")
    return incidents[times >= times.max() - pd.Timedelta(days=days)]


def site_new(
    patrol: Patrol,
    *,
    mode: str,
    k: int,
    minutes: float,
    days: int | None = 90,
    time_limit: float = 20.0,
) -> tuple[gpd.GeoDataFrame, siting.CoveringResult]:
    """`k` new posts (MCLP, Church & ReVelle 1974) reaching the most incidents of the last
    `days` days within `minutes` in `mode`; the current posts stay open (in `mode`)."""
    incidents = recent_incidents(patrol.incidents, days)
    if incidents is None or not len(incidents):
        raise ValueError(Message("pp_no_incidents"))
    chosen, result = siting.site_new_posts(
        patrol.graphs[mode],
        incidents,
        k=k,
        minutes=minutes,
        posts=patrol.posts,
        time_limit=time_limit,
    )
    return chosen, result


def site_for_sites(
    patrol: Patrol, *, mode: str, time_limit: float = 20.0
) -> tuple[gpd.GeoDataFrame, siting.CoveringResult]:
    """The fewest new posts (LSCP, Toregas et al. 1971) so every key site is reached within
    its response class in `mode`, the current posts kept."""
    if patrol.sites is None:
        raise ValueError(Message("pp_no_sites"))
    return siting.site_posts_for_sites(
        patrol.graphs[mode], patrol.sites, posts=patrol.posts, time_limit=time_limit
    )


def greedy_places(patrol: Patrol, result: siting.CoveringResult, *, mode: str) -> gpd.GeoDataFrame:
    """The greedy answer's places (new candidates only), like the solver's ``chosen``."""
    cands = siting.candidate_intersections(patrol.graphs[mode]).reset_index(drop=True)
    keep = result.greedy[result.greedy < len(cands)]
    return cands.iloc[keep]


def siting_table(result: siting.CoveringResult, *, kind: str, lang: str) -> pd.DataFrame:
    """The solver's answer beside the greedy one: objective, gain, gap, time, status."""
    if kind == "mclp":
        share = (lambda v: _pct(v / result.total)) if result.total else (lambda v: "—")
        rows = [
            (t("pp_sit_current", lang), share(result.baseline), "—"),
            (t("pp_sit_covered", lang), share(result.objective), share(result.greedy_objective)),
            (
                t("pp_sit_gain", lang),
                share(result.gain),
                share(result.greedy_objective - result.baseline),
            ),
        ]
    else:
        rows = [
            (
                t("pp_sit_new_posts", lang),
                f"{result.objective:.0f}",
                f"{result.greedy_objective:.0f}",
            ),
            (
                t("pp_sit_uncoverable", lang),
                f"{len(result.uncoverable)}",
                f"{len(result.uncoverable)}",
            ),
        ]
    rows += [
        (t("pp_sit_gap", lang), f"{result.mip_gap:.2%}", "—"),
        (t("pp_sit_optimal", lang), t("pp_yes" if result.optimal else "pp_no", lang), "—"),
        (t("pp_sit_seconds", lang), f"{result.seconds:.1f}", "—"),
    ]
    return pd.DataFrame(
        rows, columns=[t("pp_col_figure", lang), t("pp_col_solver", lang), t("pp_col_greedy", lang)]
    )


def proposed_table(
    patrol: Patrol,
    chosen: gpd.GeoDataFrame,
    greedy: gpd.GeoDataFrame | None,
    *,
    mode: str,
    lang: str,
) -> pd.DataFrame:
    """The proposed posts for people: intersection, its streets, whether greedy chose it too.

    ``candidate_id`` ("N932") names a node of the street graph; the streets meeting there
    say where it is on the ground.
    """
    seg = patrol.graphs[mode].segments
    ends = pd.concat(
        [
            seg[["u", "name"]].rename(columns={"u": "node"}),
            seg[["v", "name"]].rename(columns={"v": "node"}),
        ]
    )
    ends = ends[ends["name"].astype(str).str.len() > 0]
    streets = ends.groupby("node")["name"].agg(lambda s: " / ".join(sorted(set(map(str, s)))[:3]))
    nodes = chosen["node"] if "node" in chosen else pd.Series([None] * len(chosen))
    points = chosen.to_crs("EPSG:4326").geometry
    ids = chosen["candidate_id"].astype(str)
    if "greedy" in chosen:  # the solver's own flag: greedy chose this candidate too
        picked_too = set(ids[chosen["greedy"].astype(bool).to_numpy()])
    else:
        picked_too = set(greedy["candidate_id"].astype(str)) if greedy is not None else set()
    return pd.DataFrame(
        {
            t("pp_col_proposed", lang): ids.to_numpy(),
            t("pp_col_at_streets", lang): [streets.get(n, t("pp_unnamed", lang)) for n in nodes],
            t("pp_col_degree", lang): chosen["degree"].to_numpy() if "degree" in chosen else None,
            t("pp_col_greedy_too", lang): [
                t("pp_yes" if i in picked_too else "pp_no", lang) for i in ids
            ],
            t("pp_lon", lang): points.x.round(6).to_numpy(),
            t("pp_lat", lang): points.y.round(6).to_numpy(),
        }
    )
