"""What the street office's pages show: one function per view, no Streamlit.

The pages "Heatmaps" (热力分析) and "Warnings & report" (预警与周报) are forms: they gather
the filters into a :class:`Selection`, call one function here per view and show what it
returns. Each view comes in two steps so that a page can cache the expensive one:

* a *compute* function (``density``, ``grid_changes``, ``gi_hotspots``, ``emerging`` …)
  returning a small frozen result of plain data (frames, PNG bytes, numbers) from the
  library's own functions — nothing here recomputes a figure the library gives;
* a *draw* function (``density_map``, ``grid_map`` …) building the folium map of a result,
  in the user's language, on the workspace's offline basemap.

Every view starts from :func:`select` (:func:`gridmap.hotspots.filters.filter_incidents`
with the page's filters). Views that compare with the past (changes, warnings, the weekly
report) take the earlier weeks they need from before the chosen span, filtered alike.

The parts, one concern each: ``_base`` the workspace (:class:`StreetOffice`), the filters
(:class:`Selection`, :func:`select`) and the basemap every view draws on; ``_places``
where incidents concentrate (density, grid changes, Gi* and forecast accuracy, emerging
hot spots); ``_patterns`` when and how they repeat (hour × weekday, repeats and Knox,
street segments); ``_actions`` what the office acts on (warnings, citizen requests, the
weekly report, the hand-off to patrol); ``_store`` the Heatmaps page's first view from
the workspace store's aggregations (a PostGIS workspace of millions of incidents).
"""

from __future__ import annotations

from gridmap.hotspots.views._actions import (
    RequestDeadlines,
    forecast_figures,
    handoff_features,
    overdue_table,
    report_source,
    report_zip,
    request_deadlines,
    requests_map,
    sla_table,
    warning_list,
    warnings_map,
    warnings_table,
)
from gridmap.hotspots.views._base import (
    DENSITY_PERIOD_DAYS,
    GI_COLOURS,
    HIGHLIGHT_COLOUR,
    LEVEL_COLOURS,
    MAX_REPEAT_PLACES,
    PATTERN_COLOURS,
    Selection,
    StreetOffice,
    count_selected,
    hour_span,
    prepare_incidents,
    select,
    source_label,
    table_height,
)
from gridmap.hotspots.views._patterns import (
    ConcentrationResult,
    concentration_figure,
    concentration_map,
    hour_weekday,
    knox,
    repeat_places,
    repeats_map,
    repeats_table,
    street_concentration,
)
from gridmap.hotspots.views._places import (
    DensityImage,
    DensityResult,
    EmergingResult,
    GiResult,
    GridChanges,
    density,
    density_from_counts,
    density_map,
    emerging,
    emerging_map,
    gi_hotspots,
    gi_map,
    grid_changes,
    grid_map,
    grid_table,
    pattern_label,
)
from gridmap.hotspots.views._store import (
    FilterChoices,
    density_in_store,
    density_served,
    filter_choices,
    selected_summary,
    store_count_selected,
    store_filter_choices,
)

__all__ = [
    "DENSITY_PERIOD_DAYS",
    "GI_COLOURS",
    "HIGHLIGHT_COLOUR",
    "LEVEL_COLOURS",
    "MAX_REPEAT_PLACES",
    "PATTERN_COLOURS",
    "ConcentrationResult",
    "DensityImage",
    "DensityResult",
    "EmergingResult",
    "FilterChoices",
    "GiResult",
    "GridChanges",
    "RequestDeadlines",
    "Selection",
    "StreetOffice",
    "concentration_figure",
    "concentration_map",
    "count_selected",
    "density",
    "density_from_counts",
    "density_in_store",
    "density_map",
    "density_served",
    "emerging",
    "emerging_map",
    "filter_choices",
    "forecast_figures",
    "gi_hotspots",
    "gi_map",
    "grid_changes",
    "grid_map",
    "grid_table",
    "handoff_features",
    "hour_span",
    "hour_weekday",
    "knox",
    "overdue_table",
    "pattern_label",
    "prepare_incidents",
    "repeat_places",
    "repeats_map",
    "repeats_table",
    "report_source",
    "report_zip",
    "request_deadlines",
    "requests_map",
    "select",
    "selected_summary",
    "sla_table",
    "source_label",
    "store_count_selected",
    "store_filter_choices",
    "street_concentration",
    "table_height",
    "warning_list",
    "warnings_map",
    "warnings_table",
]
