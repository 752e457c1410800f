"""The Coverage & posts page's map: street pieces coloured by response minutes, gaps, posts.

Part of :mod:`gridmap.patrol.views` (which re-exports :func:`coverage_map`); no Streamlit.
Colours: ColorBrewer YlGnBu for minutes (dark = fast), red for gaps.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap import maps
from gridmap.i18n import t
from gridmap.patrol import coverage as cov

if TYPE_CHECKING:
    from gridmap.patrol.views import Patrol

MINUTES = cov.DEFAULT_MINUTES
TRAVEL_MODES = ("walk", "bike", "car")
#: Street colours by response minutes (ColorBrewer YlGnBu, dark = fast) and for gaps.
MINUTE_COLOURS = {1: "#225ea8", 3: "#41b6c4", 5: "#a1dab4"}
GAP_COLOUR = "#e31a1c"
POST_COLOUR = "#000000"
PROPOSED_COLOUR = "#ff7f00"
GREEDY_COLOUR = "#984ea3"
SITE_COLOUR = "#737373"
GRID_COLOUR = "#555555"
#: The old place of a moved post or site, and a removed one (grey, crossed).
OLD_PLACE_COLOUR = "#bdbdbd"
NOW_WITHIN_COLOUR = "#ffffff"


def _pct(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.1%}"


def _grid_names(grids: gpd.GeoDataFrame | None) -> dict[str, str]:
    if grids is None or "name" not in grids:
        return {}
    return dict(zip(grids["grid_code"].astype(str), grids["name"].astype(str), strict=False))


def _on_map(m: Any, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`gdf` in WGS-84, shifted into GCJ-02 when the map's tiles are."""
    out = gdf.to_crs("EPSG:4326")
    if getattr(m, "gridmap_shift", None) == "gcj02":
        out = out.set_geometry(maps.shift_to_gcj02(out.geometry.array), crs="EPSG:4326")
    return out


def _features(gdf: gpd.GeoDataFrame, properties: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of `gdf` (already on the map's system), 6 decimals.

    ``shapely.to_geojson`` over the whole array: ``__geo_interface__`` went through Python
    objects per vertex and took most of a what-if's map.
    """
    geoms = shapely.transform(gdf.geometry.to_numpy(), lambda c: np.round(c, 6))
    texts = shapely.to_geojson(geoms) if len(geoms) else []
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(text),
                "properties": {k: v[i] for k, v in properties.items()},
            }
            for i, text in enumerate(texts)
        ],
    }


def _lines(
    m: Any, geoms: Sequence[Any], *, colour: str, weight: float, tip: str, name: str
) -> None:
    """One MultiLineString feature of `geoms` (street pieces), one colour, one tooltip."""
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    if not len(parts):
        return
    merged = gpd.GeoDataFrame(geometry=[shapely.multilinestrings(parts)], crs=geoms.crs)
    shown = _on_map(m, merged)
    folium.GeoJson(
        _features(shown, {"tip": [tip]}),
        name=name,
        style_function=lambda _f, c=colour, w=weight: {"color": c, "weight": w, "opacity": 0.85},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(m)


def _post_frame(posts: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    out = posts[[c for c in ("post_id", "name", "mode", "geometry") if c in posts]].copy()
    out["post_id"] = out["post_id"].astype(str)
    if "mode" in out:
        out["mode"] = [
            t(f"pp_mode_{m}", lang) if m in TRAVEL_MODES else str(m) for m in out["mode"]
        ]
    return out


def _site_frame(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return sites[[c for c in ("site_id", "name", "geometry") if c in sites]].astype(
        {"site_id": str}
    )


def _polygons(m: Any, reached: gpd.GeoDataFrame, *, lang: str) -> None:
    """Service areas as polygons, one per cutoff over all posts, widest first."""
    areas = cov.service_area_polygons(reached.assign(post_id="all"))
    shown = _on_map(m, areas)
    for i in np.argsort(-shown["minutes"].to_numpy(dtype=float)):
        cut = float(shown["minutes"].iloc[i])
        colour = MINUTE_COLOURS.get(cut, GAP_COLOUR)
        folium.GeoJson(
            _features(shown.iloc[[i]], {"tip": [t("pp_within", lang, m=f"{cut:g}")]}),
            name=t("pp_area_layer", lang, m=f"{cut:g}"),
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 0,
                "fillColor": c,
                "fillOpacity": 0.25,
            },
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(m)


def coverage_map(
    patrol: Patrol,
    report: cov.CoverageReport,
    posts: gpd.GeoDataFrame,
    *,
    lang: str,
    proposed: gpd.GeoDataFrame | None = None,
    greedy: gpd.GeoDataFrame | None = None,
    changed: gpd.GeoDataFrame | None = None,
    touched: Sequence[str] = (),
    sites: gpd.GeoDataFrame | None = None,
    all_sites: bool = False,
    polygons: bool = False,
    what_if: bool = False,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    height: int = 600,
    credit: str = maps.OSM_ATTRIBUTION,
) -> maps.OfflineMap:
    """Street pieces coloured by response minutes, gaps, posts, key sites outside class.

    `proposed` (and `greedy`) are sited posts, `changed` the posts of a what-if (those in
    `touched`, added or moved, stand out; so do touched sites). `sites` replaces the
    workspace's key sites (a site what-if); `all_sites` draws every key site, not only
    those outside their class (to pick one on the map). `polygons` adds the service areas
    as polygons (:func:`~gridmap.patrol.coverage.service_area_polygons`: the reached street
    pieces buffered by 50 m, cumulative per cutoff) under the street colours. `what_if`
    adds the legend of a what-if laid over the map (:func:`what_if_overlay`).
    """
    key_sites = sites if sites is not None else patrol.sites
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
    if patrol.grids is not None:
        gaps = (
            report.gap_grids.set_index("grid_code")["uncovered_share"]
            if len(report.gap_grids)
            else {}
        )
        outlines = _on_map(m, patrol.grids[["grid_code", "geometry"]])
        names = _grid_names(patrol.grids)
        outlines["tip"] = [
            html.escape(f"{names.get(str(c), c)} ({c}): ")
            + t("pp_tip_uncovered", lang, share=_pct(gaps.get(c) if len(gaps) else None))
            for c in outlines["grid_code"]
        ]
        folium.GeoJson(
            _features(outlines, {"tip": list(outlines["tip"])}),
            name=t("grid", lang),
            style_function=lambda _f: {"color": GRID_COLOUR, "weight": 1, "fillOpacity": 0},
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(m)
    streets = report.streets
    minutes = streets["minutes"].to_numpy(dtype=float)
    if polygons and np.isfinite(minutes).any():
        _polygons(m, streets[np.isfinite(minutes)], lang=lang)
    gap = np.isnan(minutes)
    _lines(
        m,
        streets.geometry[gap],
        colour=GAP_COLOUR,
        weight=2.5,
        tip=t("pp_gap_tip", lang, m=f"{max(MINUTES):g}"),
        name=t("pp_gap_layer", lang),
    )
    for cut in sorted(MINUTE_COLOURS, reverse=True):
        _lines(
            m,
            streets.geometry[minutes == cut],
            colour=MINUTE_COLOURS[cut],
            weight=3.5,
            tip=t("pp_within", lang, m=f"{cut:g}"),
            name=t("pp_within", lang, m=f"{cut:g}"),
        )
    tips = {"post_id": t("pp_col_post", lang), "mode": t("pp_mode", lang)}
    entries = [
        (MINUTE_COLOURS[c], t("pp_within", lang, m=f"{c:g}")) for c in sorted(MINUTE_COLOURS)
    ]
    entries.append((GAP_COLOUR, t("pp_gap_layer", lang)))
    if patrol.grids is not None:
        entries.append((GRID_COLOUR, t("pp_grid_outline", lang)))
    points: list[tuple[str, str]] = []
    shown_posts = changed if changed is not None else posts
    if shown_posts is not None and len(shown_posts):
        maps.add_points(
            m,
            _post_frame(shown_posts, lang),
            label_column="name" if "name" in shown_posts else None,
            color=POST_COLOUR,
            radius=7,
            tooltip_columns=tips,
            name=t("pp_posts_layer", lang),
        )
        points.append((POST_COLOUR, t("pp_posts_layer", lang)))
        moved = shown_posts[shown_posts["post_id"].astype(str).isin(touched)]
        if len(moved):
            maps.add_points(
                m,
                _post_frame(moved, lang),
                label_column="name" if "name" in moved else None,
                color=PROPOSED_COLOUR,
                radius=9,
                tooltip_columns=tips,
                name=t("pp_changed_layer", lang),
            )
            points.append((PROPOSED_COLOUR, t("pp_changed_layer", lang)))
    if key_sites is not None and len(key_sites) and all_sites:
        maps.add_points(
            m,
            _site_frame(key_sites),
            label_column="name" if "name" in key_sites else None,
            color=SITE_COLOUR,
            radius=4,
            tooltip_columns={"site_id": t("pp_col_site", lang)},
            name=t("pp_sites_layer", lang),
        )
        points.append((SITE_COLOUR, t("pp_sites_layer", lang)))
    if key_sites is not None and len(report.gap_sites):
        outside = key_sites[key_sites["site_id"].isin(report.gap_sites["site_id"])]
        maps.add_points(
            m,
            outside[[c for c in ("site_id", "name", "geometry") if c in outside]].astype(
                {"site_id": str}
            ),
            label_column="name" if "name" in outside else None,
            color=GAP_COLOUR,
            radius=5,
            tooltip_columns={"site_id": t("pp_col_site", lang)},
            name=t("pp_gap_sites_layer", lang),
        )
        points.append((GAP_COLOUR, t("pp_gap_sites_layer", lang)))
    moved_sites = (
        key_sites[key_sites["site_id"].astype(str).isin(touched)]
        if key_sites is not None and len(key_sites) and touched
        else None
    )
    if moved_sites is not None and len(moved_sites):
        maps.add_points(
            m,
            _site_frame(moved_sites),
            label_column="name" if "name" in moved_sites else None,
            color=PROPOSED_COLOUR,
            radius=7,
            tooltip_columns={"site_id": t("pp_col_site", lang)},
            name=t("pp_changed_site_layer", lang),
        )
        points.append((PROPOSED_COLOUR, t("pp_changed_site_layer", lang)))
    for frame, colour, key in (
        (greedy, GREEDY_COLOUR, "pp_greedy_layer"),
        (proposed, PROPOSED_COLOUR, "pp_proposed_layer"),
    ):
        if frame is not None and len(frame):
            maps.add_points(
                m,
                frame[["candidate_id", "geometry"]].astype({"candidate_id": str}),
                label_column="candidate_id",
                color=colour,
                radius=8,
                name=t(key, lang),
            )
            points.append((colour, t(key, lang)))
    if what_if:
        changed_key = "pp_changed_layer" if not all_sites else "pp_changed_site_layer"
        points.append((PROPOSED_COLOUR, t(changed_key, lang)))
        points.append((OLD_PLACE_COLOUR, t("pp_old_place_layer", lang)))
        points.append((NOW_WITHIN_COLOUR, t("pp_now_within_layer", lang)))
    maps.add_legend(m, title=t("pp_legend", lang), entries=entries, shape="line")
    if points:
        maps.add_legend(
            m, title=t("pp_points", lang), entries=points, shape="circle", position="bottomleft"
        )
    maps.layer_control(m)
    return m


def changed_segments(before: cov.CoverageReport, after: cov.CoverageReport) -> np.ndarray:
    """Street segments whose pieces (minutes and lengths) differ between two reports.

    Every segment is cut into pieces by the cutoffs its posts reach it within, so a
    segment is unchanged when it holds the same length in every minute class.
    """

    def lengths(report: cov.CoverageReport) -> pd.Series:
        s = report.streets
        minutes = s["minutes"].to_numpy(dtype=float)
        frame = pd.DataFrame(
            {
                "segment": s["segment"].to_numpy(),
                "minutes": np.where(np.isnan(minutes), -1.0, minutes),
                "length": s["length"].to_numpy(dtype=float),
            }
        )
        # Centimetres: the pieces' lengths are sums of floats cut at the same places.
        return frame.groupby(["segment", "minutes"])["length"].sum().round(2)

    old, new = lengths(before), lengths(after)
    both = pd.concat([old.rename("old"), new.rename("new")], axis=1).fillna(0.0)
    differs = both["old"] != both["new"]
    return np.unique(both.index.get_level_values("segment")[differs.to_numpy()])


def _old_places(
    group: folium.FeatureGroup, frame: gpd.GeoDataFrame, *, tip: str, crossed: bool
) -> None:
    """Grey rings where posts or sites were; `crossed` adds a ✕ (removed)."""
    shown = _on_map(group, frame)
    for point, label in zip(shown.geometry, frame["label"], strict=True):
        text = html.escape(f"{label} · {tip}")
        folium.CircleMarker(
            [point.y, point.x],
            radius=7,
            color="#636363",
            weight=2,
            dash_array="3 3",
            fill=True,
            fill_color=OLD_PLACE_COLOUR,
            fill_opacity=0.95,
            tooltip=text,
        ).add_to(group)
        if crossed:
            folium.Marker(
                [point.y, point.x],
                icon=folium.DivIcon(
                    html='<div style="font:bold 16px sans-serif;color:#e31a1c;'
                    'margin:-9px 0 0 -5px">✕</div>',
                    icon_size=(12, 12),
                ),
                tooltip=text,
            ).add_to(group)


def what_if_overlay(
    patrol: Patrol,
    before: cov.CoverageReport,
    result: Any,
    edit: Any,
    *,
    lang: str,
    shift: str | None = None,
) -> folium.FeatureGroup:
    """A what-if laid over the map of the current coverage (:func:`coverage_map`).

    Only what the edit changes is drawn: the street pieces of segments whose minutes
    changed, in their new colours; the added or moved post or site (large, orange); the
    old place of a moved one (grey ring) and a removed one (grey, crossed); key sites
    that fall outside their class (red) or come within it (white). The browser lays the
    layer over the map it already shows, so a new preview sends only this layer.

    Parameters
    ----------
    patrol : Patrol
    before : CoverageReport
        The report the map under the layer shows.
    result : WhatIf
        The what-if of `edit` (:func:`gridmap.patrol.views.edit_what_if`).
    edit : Edit
    lang : {"zh", "en"}
    shift : {"gcj02", None}
        The coordinate shift of the map the layer goes on (``OfflineMap.gridmap_shift``).
    """
    group = folium.FeatureGroup(name=t("pp_changed_layer", lang), control=False)
    group.gridmap_shift = shift  # read by the layers below, as from a map
    after = result.change.after
    changed = changed_segments(before, after)
    pieces = after.streets[after.streets["segment"].isin(changed).to_numpy()]
    minutes = pieces["minutes"].to_numpy(dtype=float)
    _lines(
        group,
        pieces.geometry[np.isnan(minutes)],
        colour=GAP_COLOUR,
        weight=3,
        tip=t("pp_gap_tip", lang, m=f"{max(MINUTES):g}"),
        name=t("pp_gap_layer", lang),
    )
    for cut in sorted(MINUTE_COLOURS, reverse=True):
        _lines(
            group,
            pieces.geometry[minutes == cut],
            colour=MINUTE_COLOURS[cut],
            weight=4,
            tip=t("pp_within", lang, m=f"{cut:g}"),
            name=t("pp_within", lang, m=f"{cut:g}"),
        )
    # Key sites whose status changed (the map under the layer marks those outside red).
    was = set(before.gap_sites["site_id"].astype(str)) if len(before.gap_sites) else set()
    now = set(after.gap_sites["site_id"].astype(str)) if len(after.gap_sites) else set()
    key_sites = result.sites if result.sites is not None else patrol.sites
    if key_sites is not None and len(key_sites) and was != now:
        ids = key_sites["site_id"].astype(str)
        for wanted, colour, key in (
            (now - was, GAP_COLOUR, "pp_gap_sites_layer"),
            (was - now, NOW_WITHIN_COLOUR, "pp_now_within_layer"),
        ):
            rows = key_sites[ids.isin(wanted).to_numpy()]
            if len(rows):
                maps.add_points(
                    group,
                    _site_frame(rows),
                    label_column="name" if "name" in rows else None,
                    color=colour,
                    radius=5,
                    tooltip_columns={"site_id": t("pp_col_site", lang)},
                    name=t(key, lang),
                )
    # The old place of what moved or was removed, from the layer as it is now.
    if edit.layer == "posts":
        current, id_column = patrol.posts, "post_id"
    else:
        current, id_column = patrol.sites, "site_id"
    if edit.action in ("move", "remove") and current is not None:
        old = current[current[id_column].astype(str) == str(edit.feature_id)]
        if len(old):
            names = old["name"].astype(str) if "name" in old else old[id_column].astype(str)
            old = old.assign(
                label=[f"{i} · {n}" for i, n in zip(old[id_column], names, strict=True)]
            )
            tip = t("pp_removed" if edit.action == "remove" else "pp_old_place", lang)
            _old_places(group, old, tip=tip, crossed=edit.action == "remove")
    if edit.layer == "posts" and result.touched:
        moved = result.posts[result.posts["post_id"].astype(str).isin(result.touched)]
        maps.add_points(
            group,
            _post_frame(moved, lang),
            label_column="name" if "name" in moved else None,
            color=PROPOSED_COLOUR,
            radius=9,
            tooltip_columns={"post_id": t("pp_col_post", lang), "mode": t("pp_mode", lang)},
            name=t("pp_changed_layer", lang),
        )
    elif result.touched and result.sites is not None:
        moved = result.sites[result.sites["site_id"].astype(str).isin(result.touched)]
        maps.add_points(
            group,
            _site_frame(moved),
            label_column="name" if "name" in moved else None,
            color=PROPOSED_COLOUR,
            radius=7,
            tooltip_columns={"site_id": t("pp_col_site", lang)},
            name=t("pp_changed_site_layer", lang),
        )
    return group
