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

import folium
import streamlit as st
import streamlit_folium

from app_pages import _edit_map
from app_pages._maps import recorded_st_folium, send
from gridmap import ValidationError

MAP_HEIGHT = 520
#: Session key of the kept component arguments, one entry per map key.
KEPT = "grids_maps"
#: Environment variable turning the reuse of built maps off ("0").
CACHE_ENV = "GRIDMAP_GRIDS_MAP_CACHE"


def caching() -> bool:
    """Whether built maps are reused (``GRIDMAP_GRIDS_MAP_CACHE`` is not "0")."""
    return os.environ.get(CACHE_ENV, "1") != "0"


#: Layers laid over a map, built from the map's coordinate shift.
Overlay = Callable[[str | None], Sequence[folium.FeatureGroup | None]]


def _overlay_script(layers: Sequence[folium.FeatureGroup]) -> str | None:
    """The JavaScript ``st_folium`` sends for feature groups, without the map they go on.

    streamlit-folium names the map ``map_div`` in the browser; the host map here only
    gives the layers a parent to render under.
    """
    if not layers:
        return None
    host = folium.Map(location=[0, 0], zoom_start=1, tiles=None)
    return "".join(
        streamlit_folium._get_feature_group_string(layer, map=host, idx=n)
        for n, layer in enumerate(layers)
    )


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

    Parameters
    ----------
    key : str
        The map's widget key (stable, so the browser keeps its frame).
    make : callable
        Builds the folium map; called only when `shows` differs from the map's last one.
    shows : hashable
        Everything the map shows (versions, area, language, basemap, picked blocks …).
    returned : sequence of str
        What ``st_folium`` reports back (``all_drawings`` …); none: the map only shows.
    overlay : callable(shift) -> sequence of FeatureGroup or None, optional
        Builds the layers laid over the map (picked blocks, a preview) given the map's
        coordinate shift; built again only when `overlay_shows` changes.
    overlay_shows : hashable
        What the overlay shows.
    height : int

    Returns
    -------
    dict
        ``st_folium``'s answer, or {} when the map could not be built (the error is shown).
    """
    kept: dict[str, Any] = st.session_state.setdefault(KEPT, {})
    held = kept.get(key)
    if caching() and held is not None and held["shows"] == shows:
        if held["overlay"][0] != overlay_shows:
            layers = [x for x in (overlay(held["shift"]) if overlay else ()) if x is not None]
            held["overlay"] = (overlay_shows, _overlay_script(layers))
        args = {**held["args"], "feature_group": held["overlay"][1]}
        out = send(args)
        return out if isinstance(out, dict) else {}
    try:
        fmap = make()
    except ValidationError as exc:
        from app_pages._common import say

        st.error(say(exc))
        return {}
    shift = getattr(fmap, "gridmap_shift", None)
    layers = [x for x in (overlay(shift) if overlay else ()) if x is not None]
    out, args = recorded_st_folium(
        fmap,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=list(returned),
        feature_group_to_add=layers or None,
    )
    if args is not None:
        kept[key] = {
            "shows": shows,
            "shift": shift,
            "args": {**args, "feature_group": None},
            "overlay": (overlay_shows, args.get("feature_group")),
        }
    return out if isinstance(out, dict) else {}


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
        held["overlay"] = (overlay_shows, _overlay_script(layers))
    _edit_map.show(
        key,
        held["base"],
        overlay=held["overlay"][1],
        overlay_id=overlay_shows,
        draw=draw,
        clicks=clicks,
        drawings=drawings,
    )
