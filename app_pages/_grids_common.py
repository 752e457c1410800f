"""What the Grids page's views share: the page's state, cached blocks, maps, the preview.

Every change is previewed first and committed as a new version of ``grids`` with the
sidebar's editor name; nothing is written without one. A preview is held in the session
with the grids version and area it was made for, and a serial number the maps key their
overlay on.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import streamlit as st

from app_pages._common import audited, editor, layer, may, md, say, store, tr
from app_pages._grids_maps import Overlay, show_map
from app_pages._street_office import kept
from gridmap import GridmapError
from gridmap.grids import views
from gridmap.grids.blocks import grid_blocks
from gridmap.grids.exports import PLAN_FORMATS, plan_file
from gridmap.i18n import Message

PREVIEW = "grids_preview"
PLANS = "grids_plans"
FLASH = "grids_flash"


def version(name: str) -> int:
    """The current version of layer `name` (0 when it has none)."""
    return store().current_version(name) or 0


@st.cache_resource(max_entries=4, show_spinner=False)
def _blocks(location: str, grids_v: int, streets_v: int, buildings_v: int) -> gpd.GeoDataFrame:
    # grid_blocks takes ~0.2 s on the sample (CPU): once per version of its layers, shared.
    return grid_blocks(layer("grids"), layer("streets"), buildings=layer("buildings"))


def blocks() -> gpd.GeoDataFrame:
    """The blocks of the current grids (cached per grids, streets and buildings versions)."""
    key = (version("grids"), version("streets"), version("buildings"))
    return _blocks(str(store().location), *key)


@dataclass
class GridsPage:
    """The page's inputs every view reads: the layer, the area, the language, the basemap."""

    grids: gpd.GeoDataFrame
    code: str
    area: gpd.GeoDataFrame
    language: str
    basemap: dict[str, Any]
    streets: gpd.GeoDataFrame | None
    grids_version: int
    streets_version: int
    #: The store's location, which names a signed-in account's scope: a map kept in the
    #: session is not shown again after the account's scope changes.
    location: str = ""

    def shows(self, *more: Hashable) -> tuple:
        """What a map of this page shows: the store (its scope), versions, area, language,
        basemap, and `more`."""
        base = (self.location, self.grids_version, self.streets_version, self.code, self.language)
        return (*base, tuple(sorted(self.basemap.items())), *more)

    def map(
        self,
        frame: gpd.GeoDataFrame,
        key: str,
        *,
        shows: Hashable,
        returned: Sequence[str] = (),
        overlay: Overlay | None = None,
        overlay_shows: Hashable = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Show :func:`views.grids_map` of `frame` under `key` (built once per `shows`)."""
        return show_map(
            key,
            lambda: views.grids_map(
                frame, lang=self.language, streets=self.streets, **options, **self.basemap
            ),
            shows=self.shows(key, shows),
            returned=returned,
            overlay=overlay,
            overlay_shows=overlay_shows,
        )

    # -- the preview --------------------------------------------------------------------

    def set_preview(self, preview: views.Preview) -> None:
        """Hold `preview` for this grids version and area."""
        serial = st.session_state.get(PREVIEW, {}).get("serial", 0) + 1
        st.session_state[PREVIEW] = {
            "version": self.grids_version,
            "code": self.code,
            "preview": preview,
            "serial": serial,
        }

    def drop_preview(self) -> None:
        """Forget the held preview (an edit was refused)."""
        st.session_state.pop(PREVIEW, None)

    def preview(self) -> views.Preview | None:
        """The held preview, when it was made for this grids version and area."""
        held = st.session_state.get(PREVIEW)
        if not held or held["version"] != self.grids_version or held["code"] != self.code:
            return None
        return held["preview"]

    def preview_shows(self) -> Hashable:
        """What the preview overlay shows (its serial number; None without a preview)."""
        return st.session_state[PREVIEW]["serial"] if self.preview() is not None else None

    def preview_layer(self, shift: str | None) -> folium.FeatureGroup | None:
        """The held preview's changed grids as a layer over this page's maps."""
        preview = self.preview()
        if preview is None:
            return None
        area = views.area_grids(preview.grids, self.code)
        return views.preview_overlay(area, preview.changed, lang=self.language, shift=shift)

    def commit_box(self, name: str, *, with_map: bool = False) -> None:
        """The held preview: notes, old → new codes, the commit (and a map of its own when
        the view has no map it is laid over)."""
        preview = self.preview()
        if preview is None:
            return
        st.subheader(tr("grids_preview"))
        for note in preview.notes:
            st.warning(say(note))
        if with_map:
            left, right = st.columns([3, 2])
            with left:
                self.map(
                    views.area_grids(preview.grids, self.code),
                    f"{name}_preview_map",
                    shows=self.preview_shows(),
                    changed=preview.changed,
                )
        else:
            right = st.container()
        with right:
            if len(preview.codes):
                st.caption(tr("grids_codes_table"))
                st.dataframe(views.codes_table(preview.codes, self.language), hide_index=True)
            message = st.text_input(
                tr("grids_commit_message"), value=preview.message, key=f"{name}_msg"
            )
            if st.button(tr("grids_commit"), key=f"{name}_commit", type="primary"):
                self._commit(preview, message)

    def _commit(self, preview: views.Preview, message: str) -> None:
        author = editor()
        if author is None:
            st.error(tr("grids_need_editor"))
            return
        try:
            saved = store().write(
                "grids",
                preview.grids,
                author=author,
                message=message.strip() or preview.message,
                based_on=self.grids_version,
            )
        except GridmapError as exc:
            st.error(say(exc))
            return
        st.session_state.pop(PREVIEW, None)
        st.session_state.pop(PLANS, None)
        st.session_state[FLASH] = tr("grids_committed", version=saved.version)
        st.rerun()


def export_box(plan: gpd.GeoDataFrame, before: gpd.GeoDataFrame, name: str, key: str) -> None:
    """A download of `plan` with its old → new code mapping from `before`."""
    if not may("export"):
        return
    with st.expander(tr("grids_export")):
        fmt = kept(
            st.radio,
            f"{key}_export_format",
            "gpkg",
            label=tr("grids_export_format"),
            options=list(PLAN_FORMATS),
            format_func={"gpkg": "GeoPackage", "geojson": "GeoJSON", "shp": "Shapefile (zip)"}.get,
            horizontal=True,
        )
        file_name, data = plan_file(plan, before=before, fmt=fmt, name=name)
        st.download_button(
            tr("grids_export_download", name=md(file_name)),
            audited(data, "grids", f"plan {fmt}"),
            file_name=file_name,
            key=f"{key}_export_download",
            on_click="ignore",
        )


def method_help(view: str) -> None:
    """The view's explanation, folded."""
    with st.expander(tr("grids_help")):
        st.markdown(say(Message(f"grids_help_{view}")))
        if view == "edit":
            st.markdown(md(tr("grids_help_map")))
        if view == "auto":
            st.markdown(tr("grids_help_auto_more"))
