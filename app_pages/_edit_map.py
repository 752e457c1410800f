"""The pages' maps in the page itself: the Grids page's edit maps, and maps that only show.

A split line drawn or a block clicked on an edit map reaches the app at once.

Why a component of our own: issue #9 asks for ≤ 300 ms from a click to the preview on
screen, and ``st_folium`` could not get there. Its browser side sends a drawing or a
click only 250 ms after the event (an underscore ``debounce`` in its bundle), and its map
lives in an iframe that Streamlit re-mounts when the page around it changes. This one is
a Streamlit components v2 component (``st.components.v2``): its JavaScript runs in the
page itself, no iframe, and sends a line (``setStateValue``) or a click
(``setTriggerValue``) the moment Leaflet reports it.

It shows the *same* folium map the page would hand ``st_folium``: the browser runs the
script streamlit-folium's frontend would run (:func:`app_pages._maps.folium_arguments`),
so colours, labels, legends and the GCJ-02 shift of Amap basemaps
(``OfflineMap.gridmap_shift``) are gridmap.maps' own, and Leaflet and Leaflet.draw come
from ``static/vendor/`` as on every other map. The map is built once per what it shows;
a new overlay (the preview, the picked blocks) is laid over it in place.

``bench/bench_grids_preview.py`` times this page against the page as it was (``st_folium``).

Display maps (:func:`show_view`, what :func:`app_pages._maps.show_map` mounts for maps that
report nothing) run the same script the same way, for another reason: a page change costs
the browser a new ``st_folium`` iframe document per map, Leaflet and every plugin parsed
and compiled again (~0.6 s CPU of the Overview's ~1 s, issue #10 "Load"); here Leaflet is
loaded once per tab. A display map sends the app nothing, ever (each message would rerun
the page): it always gets its whole script, and the browser builds it again only when
its id changes (another filter, language, basemap). A tab keeps the last three display maps
of pages it left, built, and shows one again when its page comes back with the same id: a
return to the Overview costs no new map (bench/bench_view_maps.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import folium
import streamlit as st

from app_pages._maps import folium_arguments

_ASSETS = Path(__file__).with_name("_edit_map")
#: What Leaflet.draw draws a line with, for lines shown again on a new map (a language
#: switch): as :data:`gridmap.grids.views.DRAW_OPTIONS` draws them.
LINE_STYLE = {"color": "#d7301f", "weight": 4}

_component = st.components.v2.component(
    "gridmap_edit_map",
    js=(_ASSETS / "edit_map.js").read_text(encoding="utf-8"),
    css=(_ASSETS / "edit_map.css").read_text(encoding="utf-8"),
    # In the page's own DOM: Leaflet's style sheets and events as on any page.
    isolate_styles=False,
)


def base_map(fmap: folium.Map, *, height: int) -> dict[str, Any]:
    """What the browser needs to show `fmap`: its script, styles and vendored links.

    Exactly what ``st_folium`` would send its own component, so the map on screen is the
    map the other pages show; ``id`` names it (a new id builds a new map in the browser).
    """
    args = folium_arguments(fmap, height=height, use_container_width=True, key="gridmap_edit")
    return base_from_arguments(args, height=height)


def base_from_arguments(args: dict[str, Any], *, height: int) -> dict[str, Any]:
    """:func:`base_map` from the arguments ``st_folium`` would pass its component
    (:func:`app_pages._maps.folium_arguments`), for callers that keep those."""
    base = {name: args[name] for name in ("script", "header", "html", "css_links", "js_links")}
    base["height"] = int(height)
    digest = hashlib.blake2b(digest_size=12)
    for name in ("script", "header", "html"):
        digest.update(str(base[name]).encode())
    base["id"] = digest.hexdigest()
    return base


def sent(key: str) -> dict[str, Any]:
    """What the map under `key` has sent: ``drawings`` (GeoJSON line features, Leaflet.draw's)
    and ``clicked`` (``{"key", "lat", "lng", "n"}`` of the last click, only in the run the
    click started; see :func:`show`)."""
    return {"drawings": _value(key, "drawings"), "clicked": st.session_state.get(_clicked_key(key))}


def _value(key: str, name: str) -> Any:
    """The component's value `name` (state or trigger) in the session, or None."""
    held = st.session_state.get(key)
    # Streamlit presents it as a mapping of its own (not always a Mapping subclass).
    try:
        return held[name] if held is not None else None
    except (KeyError, TypeError):
        return None


def _clicked_key(key: str) -> str:
    return f"{key}.clicked"


def _take_click(key: str) -> None:
    # A trigger value lives for one run; kept here so the page reads it before it draws
    # the map (the preview it starts is laid over the map in the same run).
    st.session_state[_clicked_key(key)] = _value(key, "clicked")


def forget_click(key: str) -> None:
    """Drop the click taken from the map under `key` (it has been handled)."""
    st.session_state.pop(_clicked_key(key), None)


def show(
    key: str,
    base: dict[str, Any],
    *,
    overlay: str | None,
    overlay_id: Any,
    draw: bool = False,
    clicks: bool = False,
    drawings: list | None = None,
    on_change: Callable[[], None] | None = None,
) -> None:
    """Mount the edit map `base` (from :func:`base_map`) under `key`.

    Parameters
    ----------
    key : str
        The component's key: its state (the drawn lines) lives under it in the session.
    base : dict
        The map, from :func:`base_map`.
    overlay : str or None
        streamlit-folium's script of the layers laid over the map (``None``: none).
    overlay_id : hashable
        Names the overlay: the browser lays a new one over the map when it changes.
    draw : bool
        Send Leaflet.draw's lines (``drawings`` state).
    clicks : bool
        Send clicks on features that carry a ``key`` property (``clicked`` trigger).
    drawings : list, optional
        Lines to show again when the map is built anew (a language switch).
    on_change : callable, optional
        Called (before the run) when the map sent something.
    """

    def changed() -> None:
        _take_click(key)
        if on_change is not None:
            on_change()

    # The browser says which map it shows (state ``base``): a map it shows already is not
    # sent again (its script is ~0.4–0.8 MB, ~0.1 s a run to send); a browser that lost it
    # (a reload) says so and gets it in the next run.
    callbacks: dict[str, Callable[[], None]] = {"on_base_change": changed}
    if _value(key, "base") == base["id"]:
        base = {"id": base["id"]}
    if draw:
        callbacks["on_drawings_change"] = changed
    if clicks:
        callbacks["on_clicked_change"] = changed
    _component(
        key=key,
        data={
            "base": base,
            "overlay": overlay,
            "overlay_id": str(overlay_id),
            "drawings": drawings or [],
            "line_style": LINE_STYLE,
            "clicks": clicks,
        },
        height="content",
        **callbacks,
    )


def show_view(key: str, base: dict[str, Any]) -> None:
    """Mount the display map `base` (from :func:`base_map`) under `key`; it sends nothing.

    Parameters
    ----------
    key : str
        The component's key (one per map on the page).
    base : dict
        The map, from :func:`base_map` or :func:`base_from_arguments`, whole: the browser
        never says which map it shows, so it always gets the script, and builds a map
        only for an id it does not show already.
    """
    # No callbacks and ``display``: the browser never calls setStateValue, so showing the
    # map never reruns the page.
    _component(key=key, data={"base": base, "display": True}, height="content")
