"""The Data page's forms and their helpers: choices offered, the uploader, the CRS question
and the new-workspace offer (UI glue only; the page is app_pages/data.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages._common import (
    editor,
    lang,
    say,
    signed_in,
    tr,
    upload_folder,
    workspace_name,
)
from gridmap import GridmapError
from gridmap.crs import best_fitting_system
from gridmap.i18n import TEXT, Message, column_label, layer_label, localize, reason_label
from gridmap.ingest import (
    commit_to_new_workspace,
    read_for_new_workspace,
    read_into_workspace,
)
from gridmap.io import (
    TABLE_FORMATS,
    VECTOR_FORMATS,
)
from gridmap.schema import with_labels
from gridmap.store import WorkspaceStore, check_workspace_name, workspace_path

CRS_CHOICES = {
    "": "—",  # not chosen: the file's own, or asked for when points lie in China
    "wgs84": "WGS-84 (GPS, EPSG:4326)",
    "gcj02": "GCJ-02 (高德/腾讯 Amap/Tencent)",
    "bd09": "BD-09 (百度 Baidu)",
    "EPSG:4490": "CGCS2000 (EPSG:4490)",
    "other": "EPSG / .prj …",
}
#: Systems offered when points in China came with none.
CHINA_SYSTEMS = ["wgs84", "gcj02", "bd09", "EPSG:4490"]
ENCODINGS = ["auto", "utf-8", "utf-8-sig", "gbk", "gb18030", "cp1252"]
#: Zones offered for times that carry an offset ("" = the offset most rows use).
TIMEZONES = ["", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Europe/Helsinki", "UTC"]
TABLE_ROWS = 1000
#: Rows read for the preview and column detection (not the whole file).
PREVIEW_ROWS = 200
FORMAT_LABELS = {
    "geojson": "GeoJSON",
    "gpkg": "GeoPackage",
    "shp": "Shapefile (.zip)",
    "csv": "CSV (Excel, UTF-8 BOM)",
}
T = TypeVar("T")


#: Extensions the uploader accepts: what gridmap.io reads. A bare ``.shp`` needs its
#: ``.dbf`` and ``.shx`` beside it, which an upload of one file cannot bring: zip them.
UPLOAD_TYPES = sorted(
    s.lstrip(".") for s in (*TABLE_FORMATS, *VECTOR_FORMATS) if VECTOR_FORMATS.get(s) != "shp"
)


def _uploader_key() -> str:
    # A new key empties the uploader (Streamlit cannot clear one): after a commit the
    # form starts afresh instead of offering the written file and its preview again.
    generation = st.session_state.get("upload_generation", 0)
    return "upload_file" if generation == 0 else f"upload_file_{generation}"


def _read_upload(read: Callable[[Path], T]) -> T:
    """`read` over a temporary copy of the uploaded file, deleted as soon as it returns.

    The readers take a path; the copy lives in this session's upload folder only while
    it is read, so a server keeps no uploads (they used to pile up: ~1 GB in a week).
    """
    uploaded = st.session_state[_uploader_key()]
    with upload_folder().copy(uploaded.name, uploaded.getbuffer()) as path:
        return read(path)


def _table_view(frame: gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    """`frame` as a table: categories by label, translated column names, points as
    longitude/latitude."""
    table = with_labels(pd.DataFrame(frame.drop(columns=frame.geometry.name)), layer, lang())
    if len(frame) and (frame.geom_type == "Point").all():
        table.insert(0, "lat", frame.geometry.y.round(6))
        table.insert(0, "lon", frame.geometry.x.round(6))
    return table.rename(columns=lambda c: column_label(c, lang()))


def _rejects_view(rejected: pd.DataFrame) -> pd.DataFrame:
    """The rejection report in the interface language (the file's own columns unchanged)."""
    view = rejected.assign(
        reason=[reason_label(r, lang()) for r in rejected["reason"]],
        message=[localize(m, lang()) for m in rejected["message"]],
    )
    return view.rename(
        columns={"row": tr("reject_row"), "reason": tr("reject_reason"), "message": tr("detail")}
    )


def _with_status(label: str, done: str, action: Callable[[], T]) -> T | None:
    """Run `action` under a status box; show its error (outside the box) and return None.

    The box says `label` while `action` runs and `done` once it has.
    """
    result, error = None, None
    with st.status(label, expanded=False) as status:
        try:
            result = action()
            status.update(label=done, state="complete")
        except GridmapError as exc:
            error = exc
            status.update(state="error")
    if error is not None:
        st.error(tr("import_failed", error=say(error)))
    return result


def _author_or_prompt() -> str | None:
    """The editor's name for a write; without one, a prompt instead of a write as root."""
    name = editor()
    if name is None:
        st.warning(tr("editor_needed"))
    return name


def _author_label(version: object) -> str:
    author = str(getattr(version, "author", ""))
    if getattr(version, "author_verified", False):
        return author
    return tr("author_unverified", name=author)


def uploader_in_chinese(limit_mb: int, *, types: Sequence[str] = UPLOAD_TYPES) -> None:
    """Streamlit's uploader says "Upload" and "200MB per file" in English whatever the
    page's language: a few lines of CSS put our words there instead (no script).

    Also used by the Patrol routes page (its track uploader takes `types` GPX and CSV)."""
    if lang() != "zh":
        return
    # CSS strings take the characters as they are (JSON's \u escapes are not CSS's).
    hint = json.dumps(
        f"{tr('upload_limit', mb=limit_mb)} • {', '.join(types).upper()}",
        ensure_ascii=False,
    )
    browse = json.dumps(tr("upload_browse"), ensure_ascii=False)
    drop = json.dumps(tr("upload_drop"), ensure_ascii=False)
    zone = '[data-testid="stFileUploaderDropzone"]'
    instructions = '[data-testid="stFileUploaderDropzoneInstructions"]'
    # Shown while a file is dragged over. Once a file is chosen, the zone holds another
    # div without a test id, the file's chip (name, size, remove button): left as it is,
    # or the chosen file's name disappeared behind "将文件拖放到此处".
    overlay = f'{zone} > div:not([data-testid]):not(:has([data-testid="stFileChips"]))'
    browse_button = f"{zone} > span > button"  # not the chip's remove and add buttons
    st.html(
        "<style>"
        f"{instructions} > * {{display: none;}}"
        f"{instructions}::after {{content: {hint}; font-size: 0.875rem; opacity: 0.7;}}"
        f"{browse_button} > * {{display: none;}}"
        f"{browse_button}::after {{content: {browse};}}"
        f"{overlay} > * {{display: none;}}"
        f"{overlay}::after {{content: {drop};}}"
        "</style>"
    )


def _flash() -> None:
    """A message left by the run before a rerun (st.rerun drops what that run showed)."""
    text = st.session_state.pop("data_flash", None)
    if text:
        st.success(text)


def _offer_new_workspace(result: object, name: str, target: str, mode: str, options: dict) -> None:
    """Most rows lie far outside this workspace: offer a workspace of the file's own."""
    st.warning(
        say(
            Message(
                "mostly_far_outside",
                far=result.n_far_outside,  # type: ignore[attr-defined]
                n=len(result.data) + len(result.rejected),  # type: ignore[attr-defined]
                workspace=workspace_name(),
            )
        )
    )
    if signed_in() is not None:
        # A new workspace has no accounts: switching to it would sign the account out
        # into the single-user mode (every right, no audit, the workspace picker).
        st.info(tr("new_workspace_by_administrator"))
        return
    cols = st.columns([2, 1])
    typed = cols[0].text_input(
        tr("new_workspace_from_file"),
        value=Path(name).stem if _plain_name(Path(name).stem) else "",
        help=tr("new_workspace_help"),
        key="upload_new_workspace",
    )
    if not cols[1].button(tr("create_and_import"), key="upload_new_workspace_go"):
        return
    author = _author_or_prompt()
    if author is None:
        return
    try:
        # A plain name only: typed text never reaches a path of its own.
        new_name = check_workspace_name(typed)
        fresh = _read_upload(lambda p: read_for_new_workspace(p, target, mode=mode, **options))
        version = commit_to_new_workspace(
            workspace_path(new_name), fresh, mode=mode, author=author, message=name
        )
    except GridmapError as exc:
        st.error(say(exc))
        return
    st.session_state["workspace"] = str(workspace_path(new_name))
    _start_afresh(
        tr(
            "created_and_imported",
            workspace=new_name,
            layer=layer_label(version.layer, lang()),
            n=version.n_features,
        )
    )


def _plain_name(text: str) -> bool:
    try:
        check_workspace_name(text)
    except GridmapError:
        return False
    return True


def _start_afresh(message: str) -> None:
    """After a write: say so, empty the import form and run the page again."""
    for cached in ("upload_result", "upload_parts", "upload_preview", "upload_crs_china"):
        st.session_state.pop(cached, None)
    st.session_state["upload_generation"] = st.session_state.get("upload_generation", 0) + 1
    st.session_state["data_flash"] = message
    st.rerun()


def _action_label(action: str) -> str:
    key = f"action_{action}"
    return tr(key) if key in TEXT else action


def _ask_crs_in_china(
    result: Any,
    file_id: object,
    options: dict[str, object],
    *,
    workspace: WorkspaceStore,
    target: str,
    mode: str,
) -> bool:
    """Ask which system points in China are in, none pre-selected; True while unanswered.

    Read as WGS-84 when nobody said, GCJ-02 or BD-09 points lie 300-700 m off with
    nothing looking wrong. The workspace's streets, where it has them, suggest the system
    that lines the points up with them. A pick re-reads the file in that system.
    """
    st.warning(say(Message("crs_choose_china")))
    if "streets" in workspace.layers():
        fit = st.session_state.get("upload_crs_fit", (None, None))
        if fit[0] != file_id:
            try:
                found = best_fitting_system(result.data, workspace.read("streets"))
            except GridmapError:
                found = None
            fit = (file_id, found)
            st.session_state["upload_crs_fit"] = fit
        if fit[1] is not None and fit[1].best is not None:
            st.info(
                say(
                    Message(
                        "crs_suggest_streets",
                        system=CRS_CHOICES[fit[1].best],
                        detail=localize(fit[1].message, lang()),
                    )
                )
            )
        elif fit[1] is not None:
            st.info(say(fit[1].message))
    picked = st.radio(
        tr("crs_pick"),
        CHINA_SYSTEMS,
        index=None,
        format_func=CRS_CHOICES.get,
        horizontal=True,
        key=f"upload_crs_china_pick.{lang()}",
    )
    if picked is None:
        return True
    st.session_state["upload_crs_china"] = (file_id, picked)
    st.session_state.pop("upload_result", None)
    checked = _with_status(
        tr("reading_file"),
        tr("read_done"),
        lambda: _read_upload(
            lambda p: read_into_workspace(
                workspace, p, target, mode=mode, **(options | {"crs": picked})
            )
        ),
    )
    if checked is not None:
        st.session_state["upload_result"] = (file_id, checked)
    st.rerun()
    return True
