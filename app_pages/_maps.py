"""Maps on the pages, with the drawn map shared by every session (UI glue only).

Building a folium map and rendering it to HTML and JavaScript costs the server about half
of a page view (the Overview on the sample: ~0.4 s of ~0.8 s CPU), and with many people on
one server every session paid it again for the same map. :func:`show_map` renders a map
once per *cache key* and hands every later session the same component arguments.

The arguments are exactly the ones ``st_folium`` itself passes to its component: the first
time a key is shown, ``st_folium`` runs as usual and a recorder beside its component
function (``streamlit_folium._component_func``, wrapped once at import, thread-safe: it only
records in the thread that asked) keeps a copy. ``tests/test_maps_cache.py`` checks that a
later session sends the browser the same arguments, so an update of streamlit-folium that
changes them fails there rather than on screen.

The cache key must name everything the map depends on: the workspace location (a scoped
store's location names its scope, see :func:`app_pages._common.store`), the layers'
versions, the language, the basemap and every option the page passes.

A map that reports nothing back (no ``returned_objects``; and :func:`show_folium`'s) is
not shown by ``st_folium`` but by the component of :mod:`app_pages._edit_map` in display
mode: the same script, run in the page itself instead of a new iframe document per mount,
so a page change no longer costs the browser Leaflet and every plugin parsed and compiled
again (issue #10 "Load": Chromium's CPU for the way back to the Overview 0.85–1.08 s →
0.51–0.64 s on the 2-core test machine, ``bench/bench_view_maps.py``). The arguments kept
per cache key are then :func:`app_pages._edit_map.base_from_arguments` of what
``st_folium`` would have sent. ``GRIDMAP_IFRAME_MAPS=1`` in the server's environment
shows them with ``st_folium`` as before (the benchmarks' peer; a way back should a
browser not run the page's own maps).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import folium
import streamlit as st
import streamlit_folium

from gridmap import ValidationError

#: Component arguments kept (a map's arguments are its HTML, ~0.1–1 MB each).
MAX_MAPS = 48
#: Set to "1": display maps in ``st_folium``'s iframe, as before (see the module's docstring).
IFRAME_MAPS_ENV = "GRIDMAP_IFRAME_MAPS"

_lock = threading.Lock()
_payloads: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
_recording = threading.local()


class _Recorder:
    """``streamlit_folium``'s component function, recording the arguments when asked."""

    def __init__(self, component: Callable[..., Any]) -> None:
        self.component = component

    def __call__(self, **kwargs: Any) -> Any:
        if getattr(_recording, "kwargs", None) is not None:
            _recording.kwargs.update(kwargs)
        if getattr(_recording, "dry", False):  # only the arguments wanted: mount nothing
            return None
        return self.component(**kwargs)


if not isinstance(streamlit_folium._component_func, _Recorder):
    streamlit_folium._component_func = _Recorder(streamlit_folium._component_func)
#: st_folium itself (tests stand in for the one on the module, the browser's side).
_st_folium = streamlit_folium.st_folium


def send(kwargs: dict[str, Any]) -> Any:
    """Send the browser a map from component arguments kept from :func:`recorded_st_folium`."""
    return streamlit_folium._component_func.component(**kwargs)


def recorded_st_folium(fmap: folium.Map, **options: Any) -> tuple[Any, dict[str, Any] | None]:
    """``st_folium(fmap, **options)``, and the arguments it passed to its component.

    Returns
    -------
    tuple
        ``st_folium``'s answer, and the component's arguments (None if it never got there).
    """
    _recording.kwargs = {}
    try:
        # Looked up on the module each time, so tests can stand in for the browser.
        shown = streamlit_folium.st_folium(fmap, **options)
        kwargs = dict(_recording.kwargs) or None
    finally:
        _recording.kwargs = None
    return shown, kwargs


def folium_arguments(fmap: folium.Map, **options: Any) -> dict[str, Any]:
    """The arguments ``st_folium(fmap, **options)`` passes its component, mounting nothing.

    For maps shown by a component of our own (:mod:`app_pages._edit_map`) that runs the
    script streamlit-folium's browser side would run.
    """
    _recording.kwargs, _recording.dry = {}, True
    try:
        _st_folium(fmap, **options)
        return dict(_recording.kwargs)
    finally:
        _recording.kwargs, _recording.dry = None, False


#: One session at a time renders a cached map (see :func:`show_shared_map`).
_RENDER_LOCK = threading.Lock()


def show_shared_map(fmap: Any, **options: Any) -> Any:
    """``st_folium(fmap, **options)`` for a cached map other sessions may be showing now.

    The page's maps are cached with ``st.cache_resource``: one folium object for every
    session. ``st_folium`` renames the map's elements while it renders it (and
    :meth:`gridmap.maps.OfflineMap.render` gives them their ids back first), so two
    sessions rendering the same map at once interleave their renames: one of them gets a
    script naming the other's ids (or branca's "OrderedDict mutated during iteration"),
    the script stops before the map exists and its frame stays 0 px high. Rendering is a
    fraction of a second; sessions take turns.
    """
    with _RENDER_LOCK:
        return streamlit_folium.st_folium(fmap, **options)


def show_map(
    build: Callable[[], folium.Map],
    *,
    cache_key: Hashable,
    key: str,
    height: int,
    returned_objects: Iterable[str] = (),
) -> Any:
    """Show the map `build` makes, built and rendered once per `cache_key` for all sessions.

    Parameters
    ----------
    build : callable
        Returns the folium map; called only when `cache_key` has not been shown yet.
    cache_key : hashable
        Everything the map depends on (see the module's docstring).
    key : str
        The Streamlit widget key (as ``st_folium``'s).
    height : int
        Height in pixels; the map takes the container's width.
    returned_objects : iterable of str
        What the map reports back (``st_folium``'s argument); none by default.

    Returns
    -------
    dict
        What ``st_folium`` returns; ``{}`` for a map shown in the page itself (a map that
        reports nothing).
    """
    returned = list(returned_objects)
    if not returned and not iframe_maps():
        return _show_view(build, cache_key=cache_key, key=key, height=height)
    full_key = (key, height, tuple(returned), cache_key)
    with _lock:
        kwargs = _payloads.get(full_key)
        if kwargs is not None:
            _payloads.move_to_end(full_key)
    if kwargs is not None:
        return send(kwargs)
    shown, kwargs = recorded_st_folium(
        build(), height=height, use_container_width=True, returned_objects=returned, key=key
    )
    if kwargs:
        with _lock:
            _payloads[full_key] = kwargs
            while len(_payloads) > MAX_MAPS:
                _payloads.popitem(last=False)
    return shown


def iframe_maps() -> bool:
    """Whether display maps go to ``st_folium``'s iframe (``GRIDMAP_IFRAME_MAPS=1``)."""
    return os.environ.get(IFRAME_MAPS_ENV, "") == "1"


def _show_view(
    build: Callable[[], folium.Map], *, cache_key: Hashable, key: str, height: int
) -> dict[str, Any]:
    """:func:`show_map` of a map that reports nothing: in the page itself, no iframe."""
    # Imported here: app_pages._edit_map builds on this module's folium_arguments.
    from app_pages._edit_map import base_from_arguments, show_view

    full_key = ("view", key, height, cache_key)
    with _lock:
        base = _payloads.get(full_key)
        if base is not None:
            _payloads.move_to_end(full_key)
    if base is None:
        fmap = build()
        # `build` may hand back a folium object cached for every session: rendering
        # renames its elements, so sessions take turns (see show_shared_map).
        with _RENDER_LOCK:
            args = folium_arguments(fmap, height=height, use_container_width=True, key=key)
        base = base_from_arguments(args, height=height)
        with _lock:
            _payloads[full_key] = base
            while len(_payloads) > MAX_MAPS:
                _payloads.popitem(last=False)
    show_view(key, base)
    return {}


def show_folium(
    fmap: folium.Map,
    *,
    key: str,
    height: int,
    prepare: Callable[[folium.Map], folium.Map] | None = None,
) -> None:
    """Show `fmap`, a map that reports nothing and other sessions may be showing now.

    For pages that cache the folium map itself (``st.cache_resource``) rather than a
    builder (:func:`show_map`): rendered in every run, by one session at a time (see
    :func:`show_shared_map`), and drawn in the page itself, or in ``st_folium``'s iframe
    with ``GRIDMAP_IFRAME_MAPS=1``.

    Parameters
    ----------
    fmap : folium.Map
        The map, possibly shared by every session.
    key : str
        The Streamlit widget key.
    height : int
        Height in pixels; the map takes the container's width.
    prepare : callable, optional
        Readies `fmap` for rendering (under the render lock: it may change the shared map).
    """
    with _RENDER_LOCK:
        ready = prepare(fmap) if prepare is not None else fmap
        if iframe_maps():
            streamlit_folium.st_folium(
                ready, height=height, use_container_width=True, returned_objects=[], key=key
            )
            return
        args = folium_arguments(ready, height=height, use_container_width=True, key=key)
    # Imported here: app_pages._edit_map builds on this module's folium_arguments.
    from app_pages._edit_map import base_from_arguments, show_view

    show_view(key, base_from_arguments(args, height=height))


def overlay_script(layers: Sequence[folium.FeatureGroup]) -> str | None:
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


#: Layers laid over a map, built from the map's coordinate shift (None: no layer).
Overlay = Callable[[str | None], Sequence[folium.FeatureGroup | None]]


def show_layered_map(
    key: str,
    make: Callable[[], folium.Map],
    *,
    shows: Hashable,
    session_key: str,
    height: int,
    returned: Sequence[str] = (),
    overlay: Overlay | None = None,
    overlay_shows: Hashable = None,
    on_change: Callable[[], None] | None = None,
    reuse: bool = True,
) -> dict[str, Any]:
    """Show the map `make` builds under `key`, layers laid over it in the browser.

    The map is built and rendered (``st_folium``) once per `shows`, everything it shows
    (layer versions, area, language, basemap …); its component arguments are kept in the
    session under `session_key` and sent again as they are on later reruns, so nothing is
    rendered and the browser keeps the map's frame. The layers `overlay` builds (given the
    map's coordinate shift) are built once per `overlay_shows` and sent as ``st_folium``'s
    ``feature_group``: the browser swaps them on the map it shows.

    Parameters
    ----------
    key : str
        The map's widget key (stable, so the browser keeps its frame).
    make : callable
        Builds the folium map; called only when `shows` differs from the map's last one.
        A :class:`gridmap.ValidationError` it raises is shown, and nothing else.
    shows, overlay_shows : hashable
        What the map and the layers show.
    session_key : str
        Where the page keeps its maps' arguments in the session.
    height : int
        Pixels.
    returned : sequence of str
        What ``st_folium`` reports back (``last_clicked``, ``all_drawings`` …).
    overlay : callable(shift) -> sequence of FeatureGroup or None, optional
    on_change : callable, optional
        ``st_folium``'s callback when the map reports something.
    reuse : bool
        False: build, render and send the map on every run (a benchmark's peer).

    Returns
    -------
    dict
        ``st_folium``'s answer, or {} when the map could not be built (the error is shown).
    """
    kept: dict[str, Any] = st.session_state.setdefault(session_key, {})
    held = kept.get(key)
    if reuse and held is not None and held["shows"] == shows:
        if held["overlay"][0] != overlay_shows:
            layers = [x for x in (overlay(held["shift"]) if overlay else ()) if x is not None]
            held["overlay"] = (overlay_shows, overlay_script(layers))
        out = send({**held["args"], "feature_group": held["overlay"][1]})
        return out if isinstance(out, dict) else {}
    try:
        fmap = make()
    except ValidationError as exc:
        from app_pages._common import say

        st.error(say(exc))
        return {}
    shift = getattr(fmap, "gridmap_shift", None)
    layers = [x for x in (overlay(shift) if overlay else ()) if x is not None]
    with _RENDER_LOCK:  # the map may be cached for every session (see show_shared_map)
        out, args = recorded_st_folium(
            fmap,
            key=key,
            height=height,
            use_container_width=True,
            returned_objects=list(returned),
            feature_group_to_add=layers or None,
            on_change=on_change,
        )
    if args is not None:
        kept[key] = {
            "shows": shows,
            "shift": shift,
            "args": {**args, "feature_group": None},
            "overlay": (overlay_shows, args.get("feature_group")),
        }
    return out if isinstance(out, dict) else {}
