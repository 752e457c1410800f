"""Data page: import with preview and rejection report, layers, export, version history."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages._common import (
    audited,
    choice,
    lang,
    layer,
    may,
    md,
    say,
    signed_in,
    store,
    tr,
    upload_folder,
)
from app_pages._data_forms import (
    CRS_CHOICES,
    ENCODINGS,
    FORMAT_LABELS,
    PREVIEW_ROWS,
    TABLE_ROWS,
    TIMEZONES,
    UPLOAD_TYPES,
    _action_label,
    _ask_crs_in_china,
    _author_label,
    _author_or_prompt,
    _flash,
    _offer_new_workspace,
    _read_upload,
    _rejects_view,
    _start_afresh,
    _table_view,
    _uploader_key,
    _with_status,
    uploader_in_chinese,
)
from gridmap import GridmapError
from gridmap.i18n import column_label, layer_label, reason_label, t
from gridmap.ingest import (
    DEFAULT_MODE,
    commit_import,
    read_into_workspace,
)
from gridmap.io import (
    EXPORT_FORMATS,
    TABLE_FORMATS,
    csv_bytes,
    detect_columns,
    export_layer,
    list_parts,
    read_table,
    suggest_layer,
)
from gridmap.schema import LAYERS, with_labels
from gridmap.store import WorkspaceStore
from gridmap.uploads import safe_file_name

st.title(tr("page_data"))
_flash()
# Widgets' format_func is called after the run too (AppTest calls it in the test's
# thread, without the session): labels use the language of this run, fixed here.
language = lang()
workspace = store()

# -- import -----------------------------------------------------------------------------
st.header(tr("upload"))
uploader_in_chinese(int(st.get_option("server.maxUploadSize")))
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
            unchosen = result.crs_ambiguous and _ask_crs_in_china(
                result, file_id, options, workspace=workspace, target=target, mode=mode
            )
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


def _in_area(workspace: WorkspaceStore, name: str) -> int:
    """Features of layer `name` in the scoped `workspace`: counted in the database where
    it counts (PostGIS), else the rows the pages already keep (no read of its own)."""
    if workspace.summarised_in_database:
        return int(workspace.count_by(name)["count"].sum())
    frame = layer(name)
    return 0 if frame is None else len(frame)


# An account scoped to an area is told how many features lie in it, not in the whole
# workspace (the count of another area's incidents is that area's data).
session = signed_in()
in_area = session is not None and not session.scope.everything
rows = []
for name in present:
    last = workspace.history(name)[-1]
    rows.append(
        {
            tr("layers"): layer_label(name, lang()),
            tr("version"): last.version,
            tr("features"): _in_area(workspace, name) if in_area else last.n_features,
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
            audited(exported, export_name, export_format),
            file_name=out.name,
            key="export_download",
            on_click="ignore",
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
                # the whole layer's count: not shown to an account scoped to an area
                **({} if in_area else {tr("features"): v.n_features}),
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
