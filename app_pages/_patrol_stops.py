"""The Patrol routes page's stops: hot spots and key sites, school gate hours, priorities.

Shared by the routes, schedule and planned-vs-actual views: each draws the same inputs
and gets the same hashable tuple back, the key of its cached answer.
"""

from __future__ import annotations

import zlib
from functools import partial

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages._common import lang, layer, say, tr
from app_pages._patrol_form import keep, kind_label, multi
from gridmap import GridmapError
from gridmap.patrol import route_views


def stops_frame(args: tuple) -> gpd.GeoDataFrame:
    """The candidate stops for the tuple :func:`stop_inputs` returns (its last item is the
    language of the hot spots' names, so plans cached on it are per language)."""
    use_hotspots, kinds, ids, hours, priorities, language = args
    return route_views.candidate_stops(
        hotspots=layer("hotspots") if use_hotspots else None,
        sites=layer("sites"),
        site_kinds=kinds,
        site_ids=ids,
        school_hours=hours,
        priorities=dict(priorities),
        lang=language,
    )


def in_language(stops: tuple) -> tuple:
    """Submitted stops (:func:`stop_inputs`) with their names in the language shown now."""
    return (*stops[:-1], lang())


def stop_inputs(hotspots: gpd.GeoDataFrame | None, sites: gpd.GeoDataFrame | None) -> tuple:
    """The stops: hot spots and key sites (kinds and single sites), school gate hours."""
    with st.expander(tr("pr_stops"), expanded=True):
        if hotspots is not None and len(hotspots):
            use_hotspots = keep(
                st.checkbox,
                tr("pr_use_hotspots", n=len(hotspots)),
                key="pr_use_hotspots",
                default=True,
            )
        else:
            use_hotspots = False
            st.caption(tr("pr_no_hotspots"))
        kinds: list = []
        ids: list = []
        if sites is not None and len(sites):
            all_kinds = sorted(sites["kind"].astype(str).unique()) if "kind" in sites else []
            kinds = multi(
                tr("pr_site_kinds"),
                all_kinds,
                key="pr_site_kinds",
                default=[k for k in ("school", "mall") if k in all_kinds],
                format_func=partial(kind_label, zh=lang() == "zh"),
            )
            language = lang()
            names = {
                i: route_views.readable_name(n, kind=k, ident=i, lang=language)
                for i, n, k in zip(
                    sites["site_id"].astype(str),
                    sites["name"] if "name" in sites else [None] * len(sites),
                    sites["kind"] if "kind" in sites else [None] * len(sites),
                    strict=True,
                )
            }
            ids = multi(
                tr("pr_sites"),
                sorted(names),
                key="pr_sites",
                default=[],
                # an unnamed site already ends in its id (学校 S0077)
                format_func=lambda s: names[s] if names[s].endswith(s) else f"{names[s]} ({s})",
            )
        else:
            st.caption(tr("pr_no_sites"))
        cols = st.columns(2)
        opens = keep(
            cols[0].text_input, tr("pr_school_opens"), key="pr_school_opens", default="08:00"
        )
        closes = keep(
            cols[1].text_input, tr("pr_school_closes"), key="pr_school_closes", default="16:00"
        )
        chosen = (use_hotspots, tuple(kinds), tuple(ids), (opens, closes))
        priorities = priority_editor(chosen)
    return (*chosen, priorities, lang())


def priority_editor(chosen: tuple) -> tuple:
    """The chosen stops with their priorities, editable; the changes as (stop, priority)."""
    try:
        base = stops_frame((*chosen, (), lang()))
    except GridmapError as exc:
        st.error(say(exc))
        return ()
    if not len(base):
        return ()
    changed = st.session_state.get("pr_priorities", {})
    column = tr("pr_col_priority")
    shown = pd.DataFrame(
        {
            "stop": base["stop"],  # read back below; shown as 编号 / Stop
            tr("pr_col_place"): base["name"],
            tr("pr_col_kind"): [tr(f"pr_kind_{k}") for k in base["kind"]],
            column: [
                float(changed.get(s, p))
                for s, p in zip(base["stop"], base["priority"], strict=True)
            ],
        }
    )
    ids = "|".join(base["stop"])
    edited = st.data_editor(
        shown,
        key=f"pr_priority_editor.{lang()}.{zlib.crc32(ids.encode())}",
        hide_index=True,
        disabled=[c for c in shown.columns if c != column],
        column_config={
            "stop": st.column_config.TextColumn(tr("pr_col_stop")),
            column: st.column_config.NumberColumn(
                min_value=1, max_value=5, step=1, help=tr("pr_priorities_help")
            ),
        },
    )
    ours = {
        s: float(p)
        for s, p, d in zip(edited["stop"], edited[column], base["priority"], strict=True)
        if pd.notna(p) and float(p) != float(d)
    }
    others = {k: v for k, v in changed.items() if k not in set(base["stop"])}
    st.session_state["pr_priorities"] = {**others, **ours}
    return tuple(sorted(ours.items()))
