"""The Grids page's maps: built once per what they show, previews laid over them in place.

A rerun of the page used to build and render every folium map it shows again (a map of a
street's grids takes ~0.1 s to build and ~0.7 s in ``st_folium``: folium renders it twice
and walks every coordinate for its bounds), and showed a preview as a second map that the
browser loaded in a new frame: 1.35–5.5 s from a click to the preview on screen. Here

- a map's ``st_folium`` call is made once per *what it shows* (`shows`: layer versions,
  area, language, picked blocks …); its component arguments are kept in the session and
  sent again as they are on later reruns, without building or rendering anything;
- a preview is a layer (:func:`gridmap.grids.views.preview_overlay`) sent as
  ``st_folium``'s ``feature_group`` argument: the browser adds it to the Leaflet map it
  already shows, and the map's frame is not reloaded.

The arguments are those ``st_folium`` itself passes to streamlit-folium's component (recorded
by :func:`app_pages._maps.recorded_st_folium`),
so a map sent again is exactly the map sent first. ``GRIDMAP_GRIDS_MAP_CACHE=0`` turns the
reuse off (every map built, rendered and sent again; a preview as a layer still):
``bench/bench_grids_preview.py`` measures the page both ways.

The maps of the manual edits (a split line drawn, blocks clicked, the merge's and the
splits' previews) are shown by a component of our own instead (:func:`show_edit_map`,
:mod:`app_pages._edit_map`): ``st_folium`` sends a drawing or a click 250 ms late, and
resends the whole map (~0.4 MB on a street) with every new overlay.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import streamlit as st

from app_pages import _edit_map
from app_pages._maps import Overlay, overlay_script, show_layered_map
from gridmap import ValidationError

MAP_HEIGHT = 520
#: Session key of the kept component arguments, one entry per map key.
KEPT = "grids_maps"
#: Environment variable turning the reuse of built maps off ("0").
CACHE_ENV = "GRIDMAP_GRIDS_MAP_CACHE"


def caching() -> bool:
    """Whether built maps are reused (``GRIDMAP_GRIDS_MAP_CACHE`` is not "0")."""
    return os.environ.get(CACHE_ENV, "1") != "0"


def show_map(
    key: str,
    make: Callable[[], Any],
    *,
    shows: Hashable,
    returned: Sequence[str] = (),
    overlay: Overlay | None = None,
    overlay_shows: Hashable = None,
    height: int = MAP_HEIGHT,
) -> dict[str, Any]:
    """Show the map `make` builds under `key`; return what it reports (`returned` only).

    :func:`app_pages._maps.show_layered_map` with this page's session key: built once per
    `shows`, the overlay once per `overlay_shows` (``GRIDMAP_GRIDS_MAP_CACHE=0``: every
    run builds it again).
    """
    return show_layered_map(
        key,
        make,
        shows=shows,
        session_key=KEPT,
        height=height,
        returned=returned,
        overlay=overlay,
        overlay_shows=overlay_shows,
        reuse=caching(),
    )


def show_edit_map(
    key: str,
    make: Callable[[], Any],
    *,
    shows: Hashable,
    overlay: Overlay | None = None,
    overlay_shows: Hashable = None,
    draw: bool = False,
    clicks: bool = False,
    drawings: list | None = None,
    height: int = MAP_HEIGHT,
) -> None:
    """Show the map `make` builds as an edit map (:mod:`app_pages._edit_map`) under `key`.

    Built and rendered once per `shows`, its overlay once per `overlay_shows`, as
    :func:`show_map` does; the browser keeps the map and lays a new overlay over it.
    What the map sends is read with :func:`app_pages._edit_map.sent`.
    """
    kept: dict[str, Any] = st.session_state.setdefault(KEPT, {})
    held = kept.get(key)
    if held is None or held["shows"] != shows or "base" not in held:
        try:
            fmap = make()
        except ValidationError as exc:
            from app_pages._common import say

            st.error(say(exc))
            return
        held = {
            "shows": shows,
            "shift": getattr(fmap, "gridmap_shift", None),
            "base": _edit_map.base_map(fmap, height=height),
            "overlay": (object(), None),  # equal to no overlay_shows: laid over below
        }
        kept[key] = held
    if held["overlay"][0] != overlay_shows:
        layers = [x for x in (overlay(held["shift"]) if overlay else ()) if x is not None]
        held["overlay"] = (overlay_shows, overlay_script(layers))
    _edit_map.show(
        key,
        held["base"],
        overlay=held["overlay"][1],
        overlay_id=overlay_shows,
        draw=draw,
        clicks=clicks,
        drawings=drawings,
    )
