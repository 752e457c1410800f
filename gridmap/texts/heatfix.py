"""Interface texts for the Heatmaps page's fixes: incident sources, widget placeholders."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # gridmap/hotspots/views/_base.py source_label: the incident sources known by name
    "hs_source_110": ("110 报警", "110 police call"),
    "hs_source_122": ("122 交通事故报警", "122 traffic call"),
    "hs_source_12345": ("12345 热线", "12345 hotline"),
    "hs_source_grid_worker": ("网格员", "Grid worker"),
    # app_pages/_street_office.py kept(): what an empty select or multiselect shows
    "hs_placeholder": ("请选择", "Choose"),
}
