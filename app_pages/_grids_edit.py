"""The Grids page's manual edits: merge, move blocks, split along streets or a line.

The edit's map stays on screen while the planner works: a preview is laid over it as a
layer (see :mod:`app_pages._grids_maps`), picked blocks too, so the browser never loads a
new map for a preview. Every edit's map is the page's own component
(:mod:`app_pages._edit_map`), which sends a drawn line or a click at once; the
view is a fragment, so a click reruns it alone; a click on a block previews its move.
"""

from __future__ import annotations

import json
import time
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages import _edit_map as edit_map
from app_pages._common import say, tr
from app_pages._grids_common import GridsPage, blocks, method_help
from app_pages._grids_maps import show_edit_map
from app_pages._street_office import kept
from gridmap import ValidationError
from gridmap.grids import views

DRAWN = "grids_drawn"
MOVED = "grids_moved"
DRAW_MAP = "grids_draw_map"
BLOCKS_MAP = "grids_blocks_map"
EDIT_MAP = "grids_edit_map"


def pick_blocks(picked: list[int], language: str) -> None:
    """Make `picked` the picked blocks, in the session and in the browser's multiselect.

    Assigning the widget's key (before it is drawn) makes Streamlit send the value to the
    browser; dropping the key instead left the browser showing, and submitting, its old
    choice.
    """
    st.session_state["grids_move_blocks"] = picked
    st.session_state[f"grids_move_blocks.{language}"] = picked


def _line_for_now(page: GridsPage, drawings: Any) -> Any:
    """`drawings`, unless they are the line previewed on an older version of the grids
    (committed since: the map is drawn without it and it is not split again)."""
    seen = json.dumps(drawings, sort_keys=True) if drawings else None
    held = st.session_state.get(DRAWN)
    if seen and held and held["line"] == seen and held["version"] != page.grids_version:
        return None
    return drawings


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


def _area_map(page: GridsPage, **options: Any) -> Any:
    return views.grids_map(
        page.area, lang=page.language, streets=page.streets, **options, **page.basemap
    )


def draw_split(page: GridsPage, all_blocks: gpd.GeoDataFrame) -> None:
    """Draw → preview at once: the line's GeoJSON comes back from Leaflet.draw."""
    st.caption(tr("grids_draw_hint"))
    # The line is in the session before this run draws the map (the map sends it the
    # moment it is drawn), so the preview is made first and laid over the map in this run.
    drawings = _line_for_now(page, edit_map.sent(DRAW_MAP)["drawings"])
    _drawn(page, all_blocks, drawings)
    show_edit_map(
        DRAW_MAP,
        lambda: _area_map(page, draw_line=True),
        shows=page.shows(DRAW_MAP),
        overlay=lambda shift: [page.preview_layer(shift)],
        overlay_shows=page.preview_shows(),
        draw=True,
        drawings=drawings,
    )
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


def take_clicks(page: GridsPage, mine: gpd.GeoDataFrame) -> list[int]:
    """The picked blocks, with the map's last click taken (before the pickers are drawn).

    The click is in the session before this run draws anything (the map's callback), so
    the pickers show it and its preview is laid over the map in the same run.
    """
    picked = [
        b for b in st.session_state.get("grids_move_blocks", []) if b in set(mine["block_id"])
    ]
    click = edit_map.sent(BLOCKS_MAP)["clicked"]
    if click:
        edit_map.forget_click(BLOCKS_MAP)
        feature = {"properties": {"key": click.get("key")}}
        where = {"lat": click.get("lat"), "lng": click.get("lng")}
        block = views.clicked_block(mine, feature, where)
        if block is not None:
            picked = views.toggle(picked, block)
            pick_blocks(picked, page.language)
    return picked


def click_blocks(
    page: GridsPage, all_blocks: gpd.GeoDataFrame, mine: gpd.GeoDataFrame, picked: list[int]
) -> None:
    """Click blocks to pick or drop them; the picked ones are laid over the map in red."""
    st.caption(tr("grids_move_click_hint") + " " + tr("grids_blocks_hint"))
    show_edit_map(
        BLOCKS_MAP,
        lambda: views.blocks_map(
            all_blocks, page.area, lang=page.language, streets=page.streets, **page.basemap
        ),
        shows=page.shows(BLOCKS_MAP),
        overlay=lambda shift: [
            views.picked_overlay(mine, picked, lang=page.language, shift=shift),
            page.preview_layer(shift),
        ],
        overlay_shows=(tuple(picked), page.preview_shows()),
        clicks=True,
    )
    st.caption(tr("grids_move_picked", n=len(picked)))
    if picked:
        st.button(
            tr("grids_move_clear"),
            key="grids_move_clear",
            on_click=pick_blocks,
            args=([], page.language),
        )


def _move_inputs(page: GridsPage, mine: gpd.GeoDataFrame, codes: list[str], label: Any) -> dict:
    """The move's pickers: the blocks (clicked or chosen) and the grid they go to.

    Not in a form: a click on the map or a change here previews the move at once.
    """
    language = page.language
    ids = [int(b) for b in mine["block_id"]]
    where = dict(zip(ids, mine["grid_code"].astype(str), strict=True))
    # Set through the widget's own key (see pick_blocks), so the browser shows the blocks
    # clicked on the map.
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
    return {"block_ids": block_ids, "to_code": to_code if targets else None}


def _move_preview(page: GridsPage, all_blocks: gpd.GeoDataFrame, args: dict) -> None:
    """Preview the move of the picked blocks as soon as they and a target are chosen.

    Made once per blocks, target and grids version (and again when another edit's
    preview replaced it); a refusal is said until the choice changes.
    """
    wanted = (tuple(args["block_ids"]), args["to_code"], page.grids_version)
    held = st.session_state.get(MOVED)
    if not args["block_ids"] or args["to_code"] is None:
        if held is not None:  # the move shown before: no longer what is picked
            st.session_state.pop(MOVED)
            if held["serial"] == page.preview_shows():
                page.drop_preview()
        return
    if held is None or held["wanted"] != wanted or held["serial"] != page.preview_shows():
        started = time.perf_counter()
        refused = None
        try:
            preview = views.edit("move", page.grids, all_blocks, lang=page.language, **args)
        except ValidationError as exc:
            page.drop_preview()
            refused = exc
        else:
            page.set_preview(preview)
        held = {
            "wanted": wanted,
            "refused": refused,
            "ms": (time.perf_counter() - started) * 1000,
            "serial": page.preview_shows(),
        }
        st.session_state[MOVED] = held
    if held["refused"] is not None:
        st.error(tr("grids_refused", reason=say(held["refused"])))
    else:
        st.caption(tr("grids_preview_time", ms=f"{held['ms']:.0f}"))


def _form(page: GridsPage, kind: str, target: str | None) -> dict | None:
    """The edit's form; its arguments for :func:`views.edit` when submitted, else None."""
    area = page.area
    codes = area["grid_code"].astype(str).tolist()
    label = _label(area)
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


def _label(area: gpd.GeoDataFrame) -> Any:
    codes = area["grid_code"].astype(str).tolist()
    names = dict(zip(codes, area.get("name", pd.Series(codes)), strict=True))
    return lambda c: f"{names.get(c, c)} ({c[-6:]})"


@st.fragment
def edit_view(page: GridsPage) -> None:
    """The manual edits: pick the kind, give its inputs, preview over the map, commit.

    A fragment: a click, a line or a preview reruns only this view, not the page around
    it (a commit reruns the whole page, :meth:`GridsPage._commit`).
    """
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
    mine = all_blocks[all_blocks["grid_code"].astype(str).str.startswith(page.code).to_numpy()]
    if kind == "draw":
        draw_split(page, all_blocks)
    elif kind == "move":
        take_clicks(page, mine)
        # The blocks map goes here, drawn once the move's preview is made (to lay it over).
        slot = st.container()
        args = _move_inputs(page, mine, codes, _label(area))
        _move_preview(page, all_blocks, args)
        with slot:
            click_blocks(page, all_blocks, mine, args["block_ids"])
    else:
        target = None
        if kind in ("split_streets", "split_line"):
            target = kept(
                st.selectbox,
                "grids_split_grid",
                codes[0],
                label=tr("grids_split_grid"),
                options=codes,
                format_func=_label(area),
                placeholder=tr("grids_placeholder_one"),
            )
        args = _form(page, kind, target)
        if args is not None:
            _preview(page, kind, all_blocks, args)
        # The area's map, the preview laid over it once there is one: an edit map (no
        # iframe), so a preview sends the browser the changed grids, not the map again.
        show_edit_map(
            EDIT_MAP,
            lambda: _area_map(page),
            shows=page.shows(EDIT_MAP),
            overlay=lambda shift: [page.preview_layer(shift)],
            overlay_shows=page.preview_shows(),
        )
    method_help("edit")
    page.commit_box("grids_edit")
