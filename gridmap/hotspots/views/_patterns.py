"""When and how incidents repeat: hour × weekday (5), repeats and Knox (6), street-segment
concentration (7)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure

from gridmap import maps
from gridmap.hotspots import (
    concentration,
    repeats,
    temporal,
    warnings,
)
from gridmap.hotspots.views._base import (
    MAX_REPEAT_PLACES,
    Selection,
    StreetOffice,
    _area_grids,
    _base_map,
    _note,
    select,
)
from gridmap.i18n import t

# ---------------------------------------------------------------------------------------
# (5) hour × weekday


def hour_weekday(
    office: StreetOffice, selection: Selection, *, category: str | None, lang: str
) -> tuple[pd.DataFrame, Figure] | None:
    """The aoristic hour × weekday matrix (:func:`~gridmap.hotspots.temporal.hour_weekday_matrix`)
    of the selection (one category, or all chosen) and its chart. None when empty."""
    chosen = select(office, selection)
    if category is not None:
        chosen = chosen[chosen["category"].astype(str) == category]
    if not len(chosen):
        return None
    matrix = temporal.hour_weekday_matrix(chosen, aoristic=True)
    label = warnings.category_label(category, lang) if category else t("all", lang)
    figure = temporal.plot_hour_weekday(
        matrix, lang=lang, title=t("hs_time_title", lang, category=label)
    )
    return matrix, figure


# ---------------------------------------------------------------------------------------
# (6) repeats and Knox


def repeat_places(
    office: StreetOffice, selection: Selection, *, tolerance: float = 10.0
) -> gpd.GeoDataFrame:
    """Places with repeated incidents (:func:`~gridmap.hotspots.repeats.repeat_locations`),
    the :data:`MAX_REPEAT_PLACES` busiest."""
    chosen = select(office, selection)
    if len(chosen) < 2:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    places = repeats.repeat_locations(chosen, tolerance=tolerance)
    return places.head(MAX_REPEAT_PLACES)


def repeats_table(places: gpd.GeoDataFrame, *, lang: str) -> pd.DataFrame:
    """The repeats list with headers in `lang`."""
    if not len(places):
        return pd.DataFrame()
    return pd.DataFrame(
        {
            t("hs_col_count", lang): places["count"].to_numpy(),
            t("hs_col_top_category", lang): [
                warnings.category_label(c, lang) for c in places["top_category"]
            ]
            if "top_category" in places
            else "",
            t("hs_col_first", lang): places["first"].to_numpy(),
            t("hs_col_last", lang): places["last"].to_numpy(),
        }
    )


def repeats_map(
    places: gpd.GeoDataFrame,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    **basemap: Any,
) -> maps.OfflineMap:
    """Repeat places as circles, darker with more incidents."""
    m = _base_map(office, lang=lang, area=_area_grids(office, selection), **basemap)
    if len(places):
        shown = places.assign(
            label=[warnings.category_label(c, lang) for c in places["top_category"]]
        )
        maps.add_points(
            m,
            shown,
            label_column="label",
            color="#bd0026",
            radius=5,
            tooltip_columns={"count": t("hs_col_count", lang)},
            name=t("hs_repeats_layer", lang),
        )
    maps.layer_control(m)
    return m


def knox(
    office: StreetOffice,
    selection: Selection,
    *,
    category: str,
    permutations: int = 99,
    max_pairs: int = 5_000_000,
) -> repeats.KnoxResult:
    """Knox near-repeat test (:func:`~gridmap.hotspots.repeats.knox_test`) of one category.

    Raises the library's :class:`~gridmap.ValidationError` when more than `max_pairs`
    pairs would be compared (the page shows its message).
    """
    chosen = select(office, selection)
    chosen = chosen[chosen["category"].astype(str) == category]
    return repeats.knox_test(chosen, permutations=permutations, seed=0, max_pairs=max_pairs)


# ---------------------------------------------------------------------------------------
# (7) street-segment concentration


@dataclass(frozen=True)
class ConcentrationResult:
    summary: pd.Series
    counts: pd.Series
    segments: gpd.GeoDataFrame  # the busiest segments holding half the incidents


def street_concentration(
    office: StreetOffice, selection: Selection, *, network: str | None = None
) -> ConcentrationResult | None:
    """Incidents per street segment (:func:`~gridmap.hotspots.concentration.segment_counts`)
    and Weisburd's shares. `network` picks ``walk``/``drive`` when the layer has both."""
    if office.streets is None or not len(office.streets):
        return None
    streets = office.streets
    if network is not None and "network" in streets:
        streets = streets[streets["network"] == network]
    chosen = select(office, selection)
    if not len(chosen) or not len(streets):
        return None
    counts = concentration.segment_counts(chosen, streets)
    summary = concentration.concentration_summary(counts)
    top = counts.sort_values(ascending=False)
    top = top[top.cumsum() <= max(top.sum() / 2, top.iloc[0])]
    top = top[top > 0].head(maps.MAX_BROWSER_FEATURES // 10)
    segments = streets.loc[top.index].assign(incidents=top.to_numpy())
    return ConcentrationResult(summary, counts, segments)


def concentration_figure(
    office: StreetOffice, selection: Selection, *, network: str | None = None, lang: str
) -> Figure | None:
    """The concentration curve (:func:`~gridmap.hotspots.concentration.plot_concentration`)."""
    result = street_concentration(office, selection, network=network)
    return None if result is None else concentration.plot_concentration(result.counts, lang=lang)


def concentration_map(
    result: ConcentrationResult,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    **basemap: Any,
) -> maps.OfflineMap:
    """The segments that hold half the incidents, drawn thick and red."""
    m = _base_map(office, lang=lang, area=_area_grids(office, selection), **basemap)
    segments = result.segments
    if len(segments):
        drawn = segments[["incidents", "geometry"]]
        drawn = drawn[~(drawn.geometry.isna() | drawn.geometry.is_empty)]
        maps.add_styled_features(
            m,
            drawn,
            line="#d7301f",
            weight=4.0,
            tips=[f"{html.escape(t('incidents', lang))}: {n}" for n in drawn["incidents"]],
            name=t("hs_segments_layer", lang),
        )
        maps.add_legend(
            m,
            title=t("hs_segments_layer", lang),
            entries=[("#d7301f", t("hs_segments_entry", lang, n=len(segments)))],
            shape="line",
            note=_note(office, lang),
        )
    maps.layer_control(m)
    return m
