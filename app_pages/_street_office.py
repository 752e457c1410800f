"""The street office pages' shared filter form and cached access to the analyses (UI glue).

Filter values live under plain session keys (``hs_*``), not widget keys: both pages draw
the same form, and widget state of a page not drawn in a run is discarded (switching
page or language must not lose the choices). Widgets get their value from those keys and
write back to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from app_pages._common import area_prefix, lang, layer, say, store, tr, workspace_name
from app_pages._maps import show_folium
from gridmap.hotspots import views
from gridmap.hotspots.warnings import category_label
from gridmap.i18n import Message
from gridmap.overview import workspace_credit
from gridmap.stats import PolygonLocator

#: Default span: the last 12 weeks of data (long enough for emerging hot spots).
DEFAULT_WEEKS = 12
WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def _versions() -> tuple[str, int, int, int]:
    workspace = store()
    return (
        str(workspace.location),
        workspace.current_version("incidents") or 0,
        workspace.current_version("grids") or 0,
        workspace.current_version("streets") or 0,
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def _prepared(workspace: str, incidents: int, grids: int, streets: int) -> views.StreetOffice:
    # Filter-independent and heavy (a million incidents located in grids once per
    # version of the layers); shared by every session like the layers themselves.
    current = store()
    grid_layer = layer("grids")
    locator = PolygonLocator(grid_layer.geometry) if grid_layer is not None else None
    located = views.prepare_incidents(
        layer("incidents"), grid_layer, locator=locator, crs=current.working_crs()
    )
    return views.StreetOffice(
        incidents=located,
        grids=grid_layer,
        crs=current.working_crs(),
        streets=layer("streets"),
        buildings=layer("buildings"),
        synthetic=bool(current.settings().get("synthetic_incidents")),
        locator=locator,
    )


def office() -> views.StreetOffice | None:
    """The workspace's layers for the views; None (with a message) without incidents."""
    incidents = layer("incidents")
    if incidents is None or not len(incidents):
        st.info(tr("hs_no_incident_layer"))
        return None
    result = _prepared(*_versions())
    if result.grids is None or not len(result.grids):
        st.warning(tr("hs_no_grids"))
    if result.synthetic:
        st.caption("⚠️ " + tr("synthetic_notice"))
    return result


@st.cache_data(max_entries=64, show_spinner=False)
def _cached(name: str, versions: tuple, args: tuple, kwargs: dict) -> Any:
    return getattr(views, name)(_prepared(*versions), *args, **kwargs)


def compute(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``views.<function>(office, *args, **kwargs)``, cached per workspace versions and
    arguments (filters and view settings)."""
    return _cached(function.__name__, _versions(), args, kwargs)


@st.cache_resource(max_entries=16, show_spinner=False)
def _cached_map(
    name: str, versions: tuple, args: tuple, kwargs: dict, draw: str, options: dict
) -> Any:
    # A drawn map is shared read-only: st_folium only renders it (folium's render is
    # idempotent), so an unchanged view redraws without rebuilding its basemap.
    result = _cached(name, versions, args, kwargs)
    office = _prepared(*versions)
    return getattr(views, draw)(result, office, *args[:1], **options)


MAP_HEIGHT = 600


def forget_rendered_names(fmap: Any) -> Any:
    """`fmap` without the ``<layer>.addTo(<parent>)`` children a previous render added.

    folium's ``Layer.render`` adds a child naming the layer *as it is called at that
    moment*, and ``st_folium`` renames every element (``geo_json_<hash>`` →
    ``geo_json_div_4``) before writing the script. On a second ``st_folium`` of the same
    (cached, shared) map the first render's child still names the old variable, which
    the page no longer defines: the browser stops at ``geo_json_… is not defined`` and
    the map stays 0 px high. Each render adds the children again under current names.
    """
    from folium.map import ElementAddToElement

    stack = [fmap]
    while stack:
        element = stack.pop()
        children = element._children
        for key in [k for k, c in children.items() if isinstance(c, ElementAddToElement)]:
            del children[key]
        stack.extend(children.values())
    return fmap


def show_map(fmap: Any, name: str, height: int = MAP_HEIGHT) -> None:
    """Draw a (possibly cached and already drawn) folium map that reports nothing back.

    In the page itself (app_pages/_maps.py :func:`~app_pages._maps.show_folium`).
    """
    show_folium(fmap, key=name, height=height, prepare=forget_rendered_names)


def map_credit() -> str | None:
    """The chosen workspace's credit (OpenStreetMap's only for data that is theirs)."""
    workspace = store()
    return workspace_credit(workspace.settings(), lang(), name=workspace_name())


def view_map(
    function: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    draw: Callable[..., Any],
    **options: Any,
) -> Any:
    """The map ``draw(compute(function, *args, **kwargs), office, selection, **options)``,
    cached like :func:`compute` (``args[0]`` is the selection)."""
    return _cached_map(function.__name__, _versions(), args, kwargs, draw.__name__, options)


def kept(widget: Callable[..., Any], name: str, default: Any, **options: Any) -> Any:
    """Draw `widget` keyed ``<name>.<language>`` showing the plain session value `name`.

    The language is in the widget's key for the reason :func:`app_pages._common.choice`
    gives: a browser sends back the *label* a select widget showed, so after a language
    switch a widget with the same key would hand the page an old label as its value.
    """
    if name not in st.session_state:
        st.session_state[name] = default
    if widget in (st.selectbox, st.multiselect):
        options.setdefault("placeholder", tr("hs_placeholder"))
    value_arg = "index" if widget in (st.selectbox, st.radio) else "value"
    if widget is st.multiselect:
        value_arg = "default"
    current = st.session_state[name]
    if value_arg == "index":
        choices = list(options["options"])
        if current not in choices:
            current = default if default in choices else choices[0]
        options["index"] = choices.index(current)
    elif widget is st.multiselect:
        options["default"] = [v for v in current if v in list(options["options"])]
    else:
        options[value_arg] = current
    value = widget(key=f"{name}.{lang()}", **options)
    st.session_state[name] = value
    return value


def filter_form(
    office: views.StreetOffice | None,
    *,
    choices: views.FilterChoices | None = None,
    count: Callable[[views.Selection], int] | None = None,
) -> views.Selection | None:
    """The filters; the selection, or None (with a message) when nothing can match.

    `choices` and `count` replace what the form reads from `office`'s incidents (a
    PostGIS workspace's Heatmaps page gives them from the store's counts: `office` None).
    """
    if choices is None:
        choices = views.filter_choices(office.incidents)  # type: ignore[union-attr]
    language = lang()
    end = choices.end
    last_day = (end - pd.Timedelta(days=1)).date()
    first_day = (choices.first_day if choices.first_day is not None else end).date()
    default_start = max(first_day, (end - pd.Timedelta(weeks=DEFAULT_WEEKS)).date())
    categories = list(choices.categories)
    sources = list(choices.sources)
    with st.container(border=True):
        row = st.columns([2, 3, 2])
        with row[0]:
            dates = kept(
                st.date_input,
                "hs_dates",
                (default_start, last_day),
                label=tr("hs_dates"),
                min_value=min(first_day, default_start) - dt.timedelta(days=366),
                max_value=max(last_day, dt.date.today()),
            )
        with row[1]:
            picked = kept(
                st.multiselect,
                "hs_categories",
                categories,
                label=tr("hs_categories"),
                options=categories,
                format_func=lambda c, lg=language: category_label(c, lg),
            )
        with row[2]:
            picked_sources = (
                kept(
                    st.multiselect,
                    "hs_sources",
                    sources,
                    label=tr("hs_sources"),
                    options=sources,
                    format_func=lambda s, lg=language: views.source_label(s, lg),
                )
                if sources
                else None
            )
        row2 = st.columns([1, 1, 3])
        with row2[0]:
            hour_from = kept(
                st.selectbox,
                "hs_hour_from",
                0,
                label=tr("hs_hour_from"),
                options=list(range(24)),
                format_func=lambda h: f"{h:02d}:00",
            )
        with row2[1]:
            hour_to = kept(
                st.selectbox,
                "hs_hour_to",
                24,
                label=tr("hs_hour_to"),
                options=list(range(1, 25)),
                format_func=lambda h: f"{h:02d}:00",
                help=tr("hs_hours_help"),
            )
        hours = views.hour_span(hour_from, hour_to)
        with row2[2]:
            days = kept(
                st.multiselect,
                "hs_weekdays",
                list(range(7)),
                label=tr("hs_weekdays"),
                options=list(range(7)),
                format_func=lambda d, lg=language: WEEKDAYS[lg][d],
            )
    if not isinstance(dates, tuple | list) or len(dates) != 2:
        dates = st.session_state.get("hs_dates_complete", (default_start, last_day))
    st.session_state["hs_dates_complete"] = tuple(dates)
    start = pd.Timestamp(dates[0])
    stop = pd.Timestamp(dates[1]) + pd.Timedelta(days=1)
    selection = views.Selection(
        start=start,
        end=stop,
        categories=None if set(picked) >= set(categories) else tuple(picked),
        sources=None
        if picked_sources is None or set(picked_sources) >= set(sources)
        else tuple(picked_sources),
        hours=hours,
        weekdays=tuple(sorted(days)),
        area_prefix=area_prefix(),
    )
    if selection.nothing_chosen():
        st.warning(tr("hs_nothing_chosen"))
        return None
    n = count(selection) if count is not None else compute(views.count_selected, selection)
    st.caption(
        tr(
            "hs_selected",
            n=n,
            start=f"{start:%Y-%m-%d}",
            end=f"{stop - pd.Timedelta(days=1):%Y-%m-%d}",
            days=int(selection.days),
        )
        + " · "
        + tr("hs_hours")
        + ": "
        + tr(
            "hs_hours_wrapped" if selection.wraps_midnight else "hs_hours_span",
            start=f"{hours[0]:02d}:00",
            end=f"{hours[1]:02d}:00",
        )
    )
    if not n:
        st.info(tr("hs_no_incidents"))
        return None
    return selection


def method_help(key: str) -> None:
    """The view's explanation and the method's source, folded."""
    with st.expander(tr("hs_method")):
        st.markdown(say(Message(key)))
