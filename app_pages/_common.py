"""Shared sidebar and cached access to the workspace for every page (UI glue only)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import streamlit as st

from gridmap.grids import dissolve_level
from gridmap.i18n import LANGUAGES, t
from gridmap.store import WorkspaceStore, list_workspaces, open_workspace


def lang() -> str:
    """The interface language chosen in the sidebar ("zh" or "en")."""
    return st.session_state.get("lang", "zh")


def tr(key: str, **values: object) -> str:
    """Interface text in the chosen language."""
    return t(key, lang(), **values)


@st.cache_resource
def _store(location: str) -> WorkspaceStore:
    # open_workspace picks the backend from the location, so pages never name one.
    return open_workspace(location)


def store() -> WorkspaceStore:
    """The workspace chosen in the sidebar."""
    return _store(st.session_state["workspace"])


# A resource, not data: st.cache_data would unpickle a fresh copy of every layer on every
# rerun (seconds for a million incidents). Versions are immutable, so one shared frame per
# version is safe as long as nothing mutates it; gridmap's functions never do
# (tests/test_overview.py checks it).
@st.cache_resource(max_entries=32, show_spinner=False)
def _read(path: str, layer: str, version: int) -> gpd.GeoDataFrame:
    return _store(path).read(layer, version=version)


def layer(name: str) -> gpd.GeoDataFrame | None:
    """The current version of layer `name` (cached by version), None if absent."""
    current = store()
    version = current.current_version(name)
    if version is None:
        return None
    return _read(st.session_state["workspace"], name, version)


def area_prefix() -> str:
    """Grid-code prefix of the area chosen in the sidebar ("" for everything)."""
    return st.session_state.get("area_prefix", "")


def _workspace_picker() -> None:
    # The chosen workspace lives under a plain session key, not the widget's key, so it
    # survives reruns in which the sidebar is not drawn.
    if "workspace" not in st.session_state:
        st.session_state["workspace"] = str(open_workspace().location)
    current = st.session_state["workspace"]
    options = sorted({str(p) for p in list_workspaces()} | {current})
    st.session_state["workspace"] = st.selectbox(
        tr("workspace"),
        options,
        index=options.index(current),
        key=f"workspace_picker_{current}",
        format_func=lambda p: Path(p).stem,
    )
    with st.popover(tr("new_workspace")):
        name = st.text_input(tr("new_workspace"), key="new_workspace_name")
        if st.button(tr("create"), disabled=not name.strip()):
            created = open_workspace(name.strip())
            st.session_state["workspace"] = str(created.location)
            st.rerun()


def _area_picker() -> None:
    grids = layer("grids")
    if grids is None or not len(grids):
        st.session_state["area_prefix"] = ""
        return
    st.caption(tr("area"))
    prefix = ""
    for level, label in (("street", "street"), ("community", "community"), ("grid", "grid")):
        units = dissolve_level(grids[grids["grid_code"].str.startswith(prefix)], level)
        names = dict(zip(units["code"], units["name"], strict=True))
        options = ["", *names]
        choice = st.selectbox(
            tr(label),
            options,
            format_func=lambda c, n=names: tr("all") if c == "" else f"{n[c]} ({c[-3:]})",
            key=f"area_{level}_{prefix}",
        )
        if not choice:
            break
        prefix = choice
    st.session_state["area_prefix"] = prefix


BASEMAP_CHOICES = ("vector", "osm", "tianditu", "amap", "custom")


def basemap_options() -> dict[str, str | None]:
    """Keyword arguments for the map's basemap, as chosen in the sidebar."""
    return {
        "basemap": st.session_state.get("basemap", "vector"),
        "tile_url": st.session_state.get("tile_url") or None,
        "tile_key": st.session_state.get("tile_key") or None,
    }


def _basemap_picker() -> None:
    with st.expander(tr("basemap")):
        current = st.session_state.get("basemap", "vector")
        st.session_state["basemap"] = st.selectbox(
            tr("basemap"),
            BASEMAP_CHOICES,
            index=BASEMAP_CHOICES.index(current),
            format_func=lambda b: tr(f"basemap_{b}"),
            key=f"basemap_picker_{current}",
        )
        if st.session_state["basemap"] == "custom":
            st.session_state["tile_url"] = st.text_input(
                tr("tile_url"), value=st.session_state.get("tile_url", ""), key="tile_url_input"
            )
        if st.session_state["basemap"] == "tianditu":
            st.session_state["tile_key"] = st.text_input(
                tr("tile_key"),
                value=st.session_state.get("tile_key", ""),
                key="tile_key_input",
                type="password",
            )


def _language_changed(key: str) -> None:
    st.session_state["lang"] = st.session_state[key]


def sidebar() -> None:
    """Language, workspace and area pickers shared by every page."""
    with st.sidebar:
        languages = list(LANGUAGES)
        key = f"lang_picker_{lang()}"
        st.radio(
            "语言 / Language",
            languages,
            index=languages.index(lang()),
            format_func=LANGUAGES.get,
            horizontal=True,
            key=key,
            # A callback runs before the rerun, so the page titles built before the
            # sidebar (in streamlit_app.py) are already in the new language.
            on_change=_language_changed,
            args=(key,),
        )
        _workspace_picker()
        _area_picker()
        _basemap_picker()
        st.caption(tr("attribution"))
