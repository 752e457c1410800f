"""The Grids page's manual edits: merge, move blocks, split along streets or a line.

The edit's map stays on screen while the planner works: a preview is laid over it as a
layer (see :mod:`app_pages._grids_maps`), picked blocks too, so the browser never loads a
new map for a preview.
"""

from __future__ import annotations

import json
import time
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages._common import say, tr
from app_pages._grids_common import GridsPage, blocks, method_help
from app_pages._grids_maps import show_map
from app_pages._street_office import kept
from gridmap import ValidationError
from gridmap.grids import views

DRAWN = "grids_drawn"
CLICKED = "grids_clicked"
PENDING = "grids_move_pending"
DRAW_MAP = "grids_draw_map"
BLOCKS_MAP = "grids_blocks_map"


def pick_blocks(picked: list[int], language: str) -> None:
    """Make `picked` the picked blocks, in the session and in the browser's multiselect.

    Assigning the widget's key (before it is drawn) makes Streamlit send the value to the
    browser; dropping the key instead left the browser showing, and submitting, its old
    choice.
    """
    st.session_state["grids_move_blocks"] = picked
    st.session_state[f"grids_move_blocks.{language}"] = picked


def _drawn(page: GridsPage, all_blocks: gpd.GeoDataFrame, drawings: Any) -> bool:
    """Preview the split the line in `drawings` draws, unless that line was previewed.

    Returns whether a new line was handled.
    """
    seen = json.dumps(drawings, sort_keys=True) if drawings else None
    held = st.session_state.get(DRAWN)
    if not seen or (held and held["line"] == seen and held["version"] == page.grids_version):
        return False
    started = time.perf_counter()
    refused = None
    try:
        preview = views.drawn_split(
            page.grids, all_blocks, drawings, code=page.code, lang=page.language
        )
    except ValidationError as exc:
        page.drop_preview()
        refused = exc
    else:
        if preview is not None:
            page.set_preview(preview)
    ms = (time.perf_counter() - started) * 1000
    st.session_state[DRAWN] = {
        "line": seen,
        "version": page.grids_version,
        "refused": refused,
        "ms": ms,
    }
    return True


def draw_split(page: GridsPage, all_blocks: gpd.GeoDataFrame) -> None:
    """Draw → preview at once: the line's GeoJSON comes back from Leaflet.draw."""
    st.caption(tr("grids_draw_hint"))
    # What the map sent is in the session before this run draws it (st_folium's on_change),
    # so the preview is made first and laid over the map in the same run.
    sent = (st.session_state.get(DRAW_MAP) or {}).get("all_drawings")
    _drawn(page, all_blocks, sent)
    reply = page.map(
        page.area,
        DRAW_MAP,
        shows="draw",
        returned=["all_drawings"],
        overlay=lambda shift: [page.preview_layer(shift)],
        overlay_shows=page.preview_shows(),
        draw_line=True,
    )
    drawings = reply.get("all_drawings")
    if drawings is None:  # the component has not answered in this session: what it sent
        drawings = sent
    if drawings != sent and _drawn(page, all_blocks, drawings):
        st.rerun()  # the map answered without on_change (a first run): lay the preview over it
    seen = json.dumps(drawings, sort_keys=True) if drawings else None
    held = st.session_state.get(DRAWN)
    if not seen:
        st.info(tr("grids_draw_waiting"))
    elif held is not None and held["line"] == seen:
        preview = page.preview()
        if held["refused"] is not None:
            st.error(tr("grids_refused", reason=say(held["refused"])))
        elif preview is not None:
            split = preview.codes.query("change == 'split'")["old_code"]
            st.caption(
                tr("grids_draw_grid", code=", ".join(dict.fromkeys(split.astype(str))))
                + " · "
                + tr("grids_preview_time", ms=f"{held['ms']:.0f}")
            )


def _clicked(mine: gpd.GeoDataFrame, reply: dict, picked: list[int]) -> list[int] | None:
    """The picked blocks after the click in `reply` (None when it is no new click)."""
    event = json.dumps(
        [reply.get("last_active_drawing"), reply.get("last_object_clicked")], sort_keys=True
    )
    before = st.session_state.get(CLICKED, event)
    st.session_state[CLICKED] = event
    if before == event:
        return None
    block = views.clicked_block(
        mine, reply.get("last_active_drawing"), reply.get("last_object_clicked")
    )
    return None if block is None else views.toggle(picked, block)


def take_clicks(page: GridsPage, mine: gpd.GeoDataFrame) -> list[int]:
    """The picked blocks, with the map's last click taken (before the pickers are drawn).

    What the map sent is in the session before this run draws it (st_folium's on_change);
    a click seen only when the map is drawn waits in the session for the next run.
    """
    picked = [
        b for b in st.session_state.get("grids_move_blocks", []) if b in set(mine["block_id"])
    ]
    pending = st.session_state.pop(PENDING, None)
    sent = _sent(BLOCKS_MAP)
    new = pending if pending is not None else _clicked(mine, sent, picked) if sent else None
    if new is not None:
        pick_blocks(new, page.language)
        picked = new
    return picked


def _sent(key: str) -> dict:
    held = st.session_state.get(key)
    return held if isinstance(held, dict) else {}


def click_blocks(
    page: GridsPage, all_blocks: gpd.GeoDataFrame, mine: gpd.GeoDataFrame, picked: list[int]
) -> None:
    """Click blocks to pick or drop them; the picked ones are laid over the map in red."""
    st.caption(tr("grids_move_click_hint") + " " + tr("grids_blocks_hint"))
    sent = _sent(BLOCKS_MAP)
    reply = show_map(
        BLOCKS_MAP,
        lambda: views.blocks_map(
            all_blocks, page.area, lang=page.language, streets=page.streets, **page.basemap
        ),
        shows=page.shows(BLOCKS_MAP),
        returned=["last_active_drawing", "last_object_clicked"],
        overlay=lambda shift: [
            views.picked_overlay(mine, picked, lang=page.language, shift=shift),
            page.preview_layer(shift),
        ],
        overlay_shows=(tuple(picked), page.preview_shows()),
    )
    if reply and reply != sent:
        new = _clicked(mine, reply, picked)
        if new is not None:  # the pickers are drawn already: take it in the next run
            st.session_state[PENDING] = new
            st.rerun()
    st.caption(tr("grids_move_picked", n=len(picked)))
    if picked and st.button(tr("grids_move_clear"), key="grids_move_clear"):
        st.session_state[PENDING] = []
        st.rerun()


def _move_inputs(page: GridsPage, mine: gpd.GeoDataFrame, codes: list[str], label: Any) -> dict:
    """The move form's pickers: the blocks (clicked or chosen) and the grid they go to."""
    language = page.language
    ids = [int(b) for b in mine["block_id"]]
    where = dict(zip(ids, mine["grid_code"].astype(str), strict=True))
    # Set through the widget's own key (see pick_blocks), so the browser shows the blocks
    # clicked on the map and sends them back with the form.
    shown = f"grids_move_blocks.{language}"
    if shown not in st.session_state:
        held = st.session_state.get("grids_move_blocks", [])
        st.session_state[shown] = [b for b in held if b in set(ids)]
    block_ids = st.multiselect(
        tr("grids_move_blocks"),
        options=ids,
        format_func=lambda b, w=where: f"{b} ({w[b][-3:]})",
        key=shown,
        select_all=False,
        placeholder=tr("grids_placeholder_many"),
    )
    st.session_state["grids_move_blocks"] = block_ids
    for other in ("zh", "en"):  # the other language's widget starts afresh
        if other != language:
            st.session_state.pop(f"grids_move_blocks.{other}", None)
    # Blocks move only to a grid bordering them.
    targets = views.neighbour_grids(mine, block_ids) if block_ids else codes
    if not targets:
        st.warning(tr("grids_move_no_neighbour"))
    to_code = kept(
        st.selectbox,
        "grids_move_to",
        (targets or codes)[0],
        label=tr("grids_move_to"),
        options=targets or codes,
        format_func=label,
        placeholder=tr("grids_placeholder_one"),
    )
    return {"block_ids": block_ids, "to_code": to_code}


def _form(page: GridsPage, kind: str, mine: gpd.GeoDataFrame, target: str | None) -> dict | None:
    """The edit's form; its arguments for :func:`views.edit` when submitted, else None."""
    area = page.area
    codes = area["grid_code"].astype(str).tolist()
    names = dict(zip(codes, area.get("name", pd.Series(codes)), strict=True))

    def label(c: str) -> str:
        return f"{names.get(c, c)} ({c[-6:]})"

    with st.form("grids_edit_form", border=True):
        args: dict[str, Any] = {}
        if kind == "merge":
            args["codes"] = kept(
                st.multiselect,
                "grids_merge_codes",
                [],
                label=tr("grids_merge_codes"),
                options=codes,
                format_func=label,
                select_all=False,  # picking "Select all" merged the whole community
                placeholder=tr("grids_placeholder_many"),
            )
        elif kind == "move":
            args = _move_inputs(page, mine, codes, label)
        elif kind == "split_streets":
            grid_row = area[area["grid_code"].astype(str) == target]
            args["codes"] = [target]
            args["names"] = kept(
                st.multiselect,
                "grids_split_streets",
                [],
                label=tr("grids_split_streets"),
                options=views.street_names(page.streets, grid_row),
                select_all=False,
                placeholder=tr("grids_placeholder_many"),
            )
        else:
            args["codes"] = [target]
            args["line_text"] = kept(
                st.text_area,
                "grids_split_line",
                "",
                label=tr("grids_split_line"),
                help=tr("grids_split_line_help"),
            )
        submitted = st.form_submit_button(tr("grids_preview_button"), key="grids_edit_submit")
    return args if submitted else None


def _preview(page: GridsPage, kind: str, all_blocks: gpd.GeoDataFrame, args: dict) -> None:
    """Preview the submitted edit (or say why it is refused)."""
    started = time.perf_counter()
    try:
        crs = all_blocks.crs
        if kind == "split_streets":
            grid_row = page.area[page.area["grid_code"].astype(str) == args["codes"][0]]
            args["segments"] = views.street_segments(page.streets, args.pop("names"), grid_row, crs)
        if kind == "split_line":
            args["line"] = views.parse_line(args.pop("line_text"), crs)
        preview = views.edit(kind, page.grids, all_blocks, lang=page.language, **args)
    except ValidationError as exc:
        page.drop_preview()
        st.error(tr("grids_refused", reason=say(exc)))
    else:
        page.set_preview(preview)
        st.caption(tr("grids_preview_time", ms=f"{(time.perf_counter() - started) * 1000:.0f}"))


def edit_view(page: GridsPage) -> None:
    """The manual edits: pick the kind, give its inputs, preview over the map, commit."""
    kind = kept(
        st.radio,
        "grids_edit_kind",
        "merge",
        label=tr("grids_edit_kind"),
        options=views.EDITS,
        format_func={k: tr(f"grids_edit_{k}") for k in views.EDITS}.get,
        horizontal=True,
    )
    all_blocks = blocks()
    area = page.area
    codes = area["grid_code"].astype(str).tolist()
    names = dict(zip(codes, area.get("name", pd.Series(codes)), strict=True))
    mine = all_blocks[all_blocks["grid_code"].astype(str).str.startswith(page.code).to_numpy()]
    if kind == "draw":
        draw_split(page, all_blocks)
    elif kind == "move":
        picked = take_clicks(page, mine)
        # The blocks map goes here, drawn once the form's preview is made (to lay it over).
        slot = st.container()
    target = None
    if kind in ("split_streets", "split_line"):
        target = kept(
            st.selectbox,
            "grids_split_grid",
            codes[0],
            label=tr("grids_split_grid"),
            options=codes,
            format_func=lambda c, n=names: f"{n.get(c, c)} ({c[-6:]})",
            placeholder=tr("grids_placeholder_one"),
        )
    if kind != "draw":
        args = _form(page, kind, mine, target)
        if args is not None:
            _preview(page, kind, all_blocks, args)
    if kind == "move":
        with slot:
            click_blocks(page, all_blocks, mine, picked)
    elif kind != "draw":
        # The area's map, the preview laid over it once there is one.
        page.map(
            area,
            "grids_edit_map",
            shows="edit",
            overlay=lambda shift: [page.preview_layer(shift)],
            overlay_shows=page.preview_shows(),
        )
    method_help("edit")
    page.commit_box("grids_edit")
