"""A preview's changed grids as a layer laid over a map already on screen.

Private to :mod:`gridmap.grids.views`, which re-exports :func:`preview_overlay`. The Grids
page hands the layer to ``st_folium`` as ``feature_group_to_add``: the browser adds it to
the Leaflet map it already shows instead of loading a new map, which is what brings a
preview on screen within a few hundred milliseconds (a second map, built, rendered and
loaded in a new frame, took 1.35–5.5 s).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import folium
import geopandas as gpd

from gridmap import maps
from gridmap.i18n import column_label, t

#: Fill of the changed grids (as on the other preview maps).
CHANGED_COLOUR = "#d7301f"


def preview_overlay(
    grids: gpd.GeoDataFrame,
    changed: Iterable[str],
    *,
    lang: str,
    shift: str | None = None,
) -> folium.FeatureGroup | None:
    """The grids of `grids` whose codes are in `changed`, red, with their new codes.

    Parameters
    ----------
    grids : GeoDataFrame
        The previewed grids of the area shown (any CRS) with ``grid_code``.
    changed : iterable of str
        Codes of the grids the edit changed.
    lang : {"zh", "en"}
    shift : {"gcj02", None}
        The coordinate shift of the map the layer goes on (``OfflineMap.gridmap_shift``).

    Returns
    -------
    folium.FeatureGroup or None
        None when no grid of `grids` changed. The layer takes no clicks, so a click on it
        reaches the blocks or the drawing below.
    """
    codes = grids["grid_code"].astype(str)
    shown = grids[codes.isin(set(changed)).to_numpy()]
    if not len(shown):
        return None
    group = folium.FeatureGroup(name=t("grids_preview", lang), control=False)
    group.gridmap_shift = shift  # read by maps' layers, as from a map
    label = "name" if "name" in shown.columns else "grid_code"
    code_label = html.escape(column_label("grid_code", lang))
    maps.add_styled_features(
        group,
        shown,
        fill=CHANGED_COLOUR,
        line=CHANGED_COLOUR,
        weight=2.5,
        fill_opacity=0.55,
        tips=[
            f"<b>{html.escape(str(n))}</b><br>{code_label}: {html.escape(c)}"
            for n, c in zip(shown[label], shown["grid_code"].astype(str), strict=True)
        ],
        keys=shown["grid_code"].astype(str).tolist(),
    )
    return group


def picked_overlay(
    blocks: gpd.GeoDataFrame,
    picked: Iterable[int],
    *,
    lang: str,
    shift: str | None = None,
) -> folium.FeatureGroup | None:
    """The picked blocks (``block_id`` in `picked`), red, to lay over the blocks map.

    Each keeps its ``block_id`` as ``key``, so a click on a picked block reports it (and
    the page drops it), as on :func:`gridmap.grids.views.blocks_map`'s own red layer.
    """
    wanted = {int(b) for b in picked}
    rows = blocks[blocks["block_id"].isin(wanted).to_numpy()]
    if not len(rows):
        return None
    group = folium.FeatureGroup(name=t("grids_blocks_picked", lang), control=False)
    group.gridmap_shift = shift
    ids = rows["block_id"].astype(int).tolist()
    maps.add_styled_features(
        group,
        rows,
        fill=CHANGED_COLOUR,
        line=CHANGED_COLOUR,
        weight=2,
        fill_opacity=0.75,
        tips=[html.escape(t("grids_block_n", lang, n=b)) for b in ids],
        keys=ids,
    )
    return group
