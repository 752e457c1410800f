"""Data page: import with preview and rejection report, layers, export, version history."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages._common import (
    choice,
    editor,
    lang,
    may,
    md,
    record_download,
    say,
    store,
    tr,
    upload_folder,
    workspace_name,
)
from gridmap import GridmapError
from gridmap.crs import best_fitting_system
from gridmap.i18n import TEXT, Message, column_label, layer_label, localize, reason_label, t
from gridmap.ingest import (
    DEFAULT_MODE,
    commit_import,
    commit_to_new_workspace,
    read_for_new_workspace,
    read_into_workspace,
)
from gridmap.io import (
    EXPORT_FORMATS,
    TABLE_FORMATS,
    VECTOR_FORMATS,
    csv_bytes,
    detect_columns,
    export_layer,
    list_parts,
    read_table,
    suggest_layer,
)
from gridmap.schema import LAYERS, with_labels
from gridmap.store import check_workspace_name, workspace_path
from gridmap.uploads import safe_file_name

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


def _uploader_in_chinese(limit_mb: int) -> None:
    """Streamlit's uploader says "Upload" and "200MB per file" in English whatever the
    page's language: a few lines of CSS put our words there instead (no script)."""
    if lang() != "zh":
        return
    # CSS strings take the characters as they are (JSON's \u escapes are not CSS's).
    hint = json.dumps(
        f"{tr('upload_limit', mb=limit_mb)} • {', '.join(UPLOAD_TYPES).upper()}",
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


def _ask_crs_in_china(result: Any, file_id: object, options: dict[str, object]) -> bool:
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


st.title(tr("page_data"))
_flash()
# Widgets' format_func is called after the run too (AppTest calls it in the test's
# thread, without the session): labels use the language of this run, fixed here.
language = lang()
workspace = store()

# -- import -----------------------------------------------------------------------------
st.header(tr("upload"))
_uploader_in_chinese(int(st.get_option("server.maxUploadSize")))
uploaded = st.file_uploader(
    tr("upload"), type=UPLOAD_TYPES, help=tr("upload_help"), key=_uploader_key()
)
# A checked file can be big (a million rows): keep it only while its file is chosen.
file_id = None if uploaded is None else uploaded.file_id
for cached in (
    "upload_result",
    "upload_parts",
    "upload_preview",
    "upload_crs_china",
    "upload_suggested",
):
    if st.session_state.get(cached, (None,))[0] != file_id:
        st.session_state.pop(cached, None)
if uploaded is not None:
    name = safe_file_name(uploaded.name)
    suffix = Path(name).suffix.lower()
    if "upload_suggested" not in st.session_state:
        # A new file: pre-select the layer its geometry (and name) says it fills, once,
        # so the user's own choice afterwards is kept.
        try:
            suggested = _read_upload(suggest_layer)
        except GridmapError:
            suggested = None  # the check below says what is wrong with the file
        st.session_state["upload_suggested"] = (file_id, suggested)
        if suggested is not None:
            st.session_state["upload_layer"] = suggested
    cols = st.columns(4)
    # Widgets with translated labels go through choice(): their value is a key, kept
    # when the language changes (the browser would send the old label back).
    target = choice(
        tr("target_layer"),
        list(LAYERS),
        format_func=lambda n: layer_label(n, language),
        default="incidents",
        key="upload_layer",
        widget=cols[0].selectbox,
    )
    crs_choice = choice(
        tr("source_crs"),
        list(CRS_CHOICES),
        format_func=lambda c: CRS_CHOICES[c] if c else t("crs_not_chosen", language),
        key="upload_crs",
        widget=cols[1].selectbox,
    )
    # A system picked below for points in China, when none was chosen here.
    crs = crs_choice or st.session_state.get("upload_crs_china", (None, None))[1]
    if crs_choice == "other":
        crs = cols[1].text_input("EPSG", value="EPSG:4549", key="upload_crs_other")
    encoding = choice(
        tr("encoding"),
        ENCODINGS,
        format_func=lambda e: t("auto", language) if e == "auto" else e,
        key="upload_encoding",
        widget=cols[2].selectbox,
    )
    mode = choice(
        tr("mode"),
        ["append", "replace"],
        default=DEFAULT_MODE[target],
        format_func=lambda m: t(m, language),
        horizontal=True,
        key=f"upload_mode_{target}",  # each layer starts at its own default
        widget=cols[3].radio,
    )
    with st.expander(tr("more_options")):
        timezone = choice(
            tr("timezone"),
            TIMEZONES,
            format_func=lambda z: t("timezone_auto", language) if z == "" else z,
            help=tr("timezone_help"),
            key="upload_timezone",
        )
    options: dict[str, object] = {
        "crs": crs or None,
        "encoding": None if encoding == "auto" else encoding,
        "timezone": timezone or None,
    }
    is_excel = TABLE_FORMATS.get(suffix) == "xlsx"
    # The file's parts and preview are small: kept for the file, so a rerun (any widget
    # change) does not copy and read the whole upload again.
    if "upload_parts" not in st.session_state:
        try:
            st.session_state["upload_parts"] = (file_id, _read_upload(list_parts))
        except GridmapError as exc:
            st.error(tr("import_failed", error=say(exc)))
            st.stop()
    parts = st.session_state["upload_parts"][1]
    if len(parts) > 1:
        part = st.selectbox(
            tr("sheet" if is_excel else "source_layer"), parts, key=f"upload_part_{name}"
        )
        options["sheet" if is_excel else "source_layer"] = part
    is_table = suffix in TABLE_FORMATS
    if is_table:
        wanted = (file_id, options["encoding"], options.get("sheet"))
        cached_preview = st.session_state.get("upload_preview")
        if cached_preview is None or cached_preview[1] != wanted:
            try:
                preview = _read_upload(
                    lambda p: read_table(
                        p,
                        encoding=options["encoding"],
                        sheet=options.get("sheet"),
                        nrows=PREVIEW_ROWS,
                    )
                )
            except GridmapError as exc:
                st.error(tr("import_failed", error=say(exc)))
                st.stop()
            st.session_state["upload_preview"] = (file_id, wanted, preview)
        preview = st.session_state["upload_preview"][2]
        st.subheader(tr("preview"))
        st.dataframe(preview.head(20), hide_index=True)
        detected = detect_columns(list(preview.columns), target)
        st.subheader(tr("columns"))
        mapping: dict[str, str] = {}
        role_cols = st.columns(max(1, min(4, len(detected) or 1)))
        choices = ["", *map(str, preview.columns)]
        for i, (role, column) in enumerate(detected.items()):
            pick = role_cols[i % len(role_cols)].selectbox(
                column_label(role, lang()),
                choices,
                index=choices.index(column) if column in choices else 0,
                key=f"upload_col_{target}_{role}",
            )
            if pick:
                mapping[role] = pick
        options["columns"] = mapping

    if st.button(tr("check"), type="secondary", key="upload_check"):
        st.session_state.pop("upload_result", None)
        checked = _with_status(
            tr("reading_file"),
            tr("read_done"),
            lambda: _read_upload(
                lambda p: read_into_workspace(workspace, p, target, mode=mode, **options)
            ),
        )
        if checked is not None:
            st.session_state["upload_result"] = (file_id, checked)

    result = st.session_state.get("upload_result", (None, None))[1]
    if result is not None and result.layer == target:
        metrics = st.columns(2)
        metrics[0].metric(tr("good_rows"), f"{len(result.data):,}")
        metrics[1].metric(tr("rejected_rows"), f"{len(result.rejected):,}")
        for warning in result.warnings:
            st.warning(say(warning))
        if result.mostly_far_outside:
            _offer_new_workspace(result, name, target, mode, options)
        if len(result.data):
            st.subheader(tr("good_rows_preview"))
            st.dataframe(_table_view(result.data.head(20), result.layer), hide_index=True)
        if len(result.rejected):
            st.subheader(tr("rejection_report"))
            by_reason = result.rejected["reason"].value_counts()
            st.markdown(
                "\n".join(f"- {md(reason_label(r, lang()))}: **{n}**" for r, n in by_reason.items())
            )
            rejects = _rejects_view(result.rejected)
            st.dataframe(rejects.head(1000), hide_index=True)
            st.download_button(
                tr("download_rejects"),
                csv_bytes(rejects),  # formulas from the file neutralised for Excel
                file_name=f"{Path(name).stem}-rejected.csv",
                mime="text/csv",
                key="upload_rejects_download",
            )
        if not len(result.data):
            # Nothing here to commit: no CRS question and no commit form under the offer
            # (or the rejection report), which read as if something could still be saved.
            st.info(tr("nothing_importable_here"))
        else:
            unchosen = result.crs_ambiguous and _ask_crs_in_china(result, file_id, options)
            message = st.text_input(tr("message"), value=name, key="upload_message")
            if st.button(
                tr("commit"),
                type="primary",
                disabled=unchosen,
                key="upload_commit",
            ):
                author = _author_or_prompt()
                version = None
                if author is not None:
                    version = _with_status(
                        tr("writing"),
                        tr("write_done"),
                        lambda: commit_import(
                            workspace, result, mode=mode, author=author, message=message
                        ),
                    )
                if version is not None:
                    # Written: the parsed rows, their preview and the commit button go.
                    _start_afresh(
                        tr(
                            "committed",
                            layer=layer_label(version.layer, lang()),
                            version=version.version,
                            n=version.n_features,
                        )
                    )

# -- layers and export ------------------------------------------------------------------
st.header(tr("layers"))
present = workspace.layers()
if not present:
    st.info(tr("no_layers"))
    st.stop()
rows = []
for name in present:
    last = workspace.history(name)[-1]
    rows.append(
        {
            tr("layers"): layer_label(name, lang()),
            tr("version"): last.version,
            tr("features"): last.n_features,
            tr("message"): last.message,
            tr("when"): last.created_at.strftime("%Y-%m-%d %H:%M"),
        }
    )
st.dataframe(pd.DataFrame(rows), hide_index=True)

st.subheader(tr("layer_table"))
table_layer = choice(
    tr("layers"), present, format_func=lambda n: layer_label(n, language), key="table_layer"
)
table = workspace.read(table_layer, max_features=TABLE_ROWS)
st.caption(tr("first_rows", n=TABLE_ROWS))
st.dataframe(_table_view(table, table_layer), hide_index=True)

st.subheader(tr("export"))
cols = st.columns(3)
export_name = choice(
    tr("layers"),
    present,
    format_func=lambda n: layer_label(n, language),
    key="export_layer",
    widget=cols[0].selectbox,
)
export_format = choice(
    tr("format"),
    list(EXPORT_FORMATS),
    format_func=FORMAT_LABELS.get,
    key="export_format",
    widget=cols[1].selectbox,
)
export_crs = choice(
    tr("source_crs"),
    ["wgs84", "gcj02", "bd09"],
    format_func=CRS_CHOICES.get,
    key="export_crs",
    widget=cols[2].selectbox,
)
if not may("export"):
    st.info(tr("export_not_allowed"))
elif st.button(tr("export"), key="export_go"):
    # Written in a scratch folder that is removed once the bytes are read: the download
    # button keeps its own copy in memory.
    exported = None
    with st.spinner(tr("export")), upload_folder().scratch() as folder:
        out = folder / f"{export_name}{EXPORT_FORMATS[export_format]}"
        try:  # e.g. a layer a Shapefile cannot hold
            # Categories as labels people read, the stable key beside them (category_key).
            labelled = with_labels(workspace.read(export_name), export_name, language)
            export_layer(labelled, out, fmt=export_format, crs=export_crs)
            exported = out.read_bytes()
        except GridmapError as exc:
            st.error(say(exc))
    if exported is not None:
        st.download_button(
            tr("download"),
            exported,
            file_name=out.name,
            key="export_download",
            on_click=record_download(export_name, export_format),
        )

# -- history ----------------------------------------------------------------------------
st.subheader(tr("history"))
history_layer = choice(
    tr("layers"), present, format_func=lambda n: layer_label(n, language), key="history_layer"
)
versions = workspace.history(history_layer)
st.dataframe(
    pd.DataFrame(
        [
            {
                tr("version"): v.version,
                tr("when"): v.created_at.strftime("%Y-%m-%d %H:%M"),
                tr("author"): _author_label(v),
                tr("action"): _action_label(v.action),
                tr("features"): v.n_features,
                tr("message"): v.message,
            }
            for v in reversed(versions)
        ]
    ),
    hide_index=True,
)
older = [v.version for v in versions[:-1]]
if older:
    cols = st.columns([1, 3])
    pick = cols[0].selectbox(tr("version"), list(reversed(older)), key="history_version")
    if cols[1].button(tr("restore"), key="history_restore"):
        author = _author_or_prompt()
        if author is not None:
            try:  # another writer past the busy timeout, a read-only workspace …
                workspace.restore(history_layer, pick, author=author)
            except GridmapError as exc:
                st.error(say(exc))
            else:
                st.toast(tr("restored", layer=layer_label(history_layer, lang()), version=pick))
                st.rerun()
