"""Shared sidebar and cached access to the workspace for every page (UI glue only)."""

from __future__ import annotations

import json
import numbers
import os
import re
import string
import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gridmap import GridmapError
from gridmap.access import ScopedStore, Session, record_export, scoped
from gridmap.editors import check_editor_name
from gridmap.grids import dissolve_level
from gridmap.i18n import LANGUAGES, MESSAGES, Message, t
from gridmap.overview import workspace_credit
from gridmap.store import (
    WORKSPACE_ENV,
    WorkspaceStore,
    check_workspace_name,
    is_database_url,
    list_workspaces,
    open_workspace,
    workspace_label,
    workspace_location,
)
from gridmap.uploads import UploadFolder, sweep

K = TypeVar("K", bound=Hashable)


def lang() -> str:
    """The interface language chosen in the sidebar ("zh" or "en")."""
    return st.session_state.get("lang", "zh")


def tr(key: str, **values: object) -> str:
    """Interface text in the chosen language."""
    return t(key, lang(), **values)


def choice(
    label: str,
    options: Sequence[K],
    *,
    key: str,
    format_func: Callable[[Any], str] = str,
    default: K | None = None,
    widget: Callable[..., Any] | None = None,
    **kwargs: Any,
) -> K:
    """A selectbox (or radio: `widget`) whose value is always one of `options`, never a label.

    The browser keeps what a select widget *shows*: after 中文 → English → 中文 it sent
    back the old label of a widget with the same key ('网格' for ``grids``), Streamlit
    passed the label through as the value, and the page failed (``layer must be one of
    grids…; got '网格'``). Here the widget's key carries the language, so a switch mounts
    a new widget, and the chosen option lives under the plain session key `key`, which
    outlives it (and that AppTest and other code may set). `format_func` shows labels.
    """
    options = list(options)
    value = st.session_state.get(key, default)
    if value not in options:
        value = default if default in options else options[0]
    draw = widget or st.selectbox
    picked = draw(
        label,
        options,
        index=options.index(value),
        format_func=format_func,
        key=f"{key}.{lang()}",
        **kwargs,
    )
    if picked not in options:  # cannot happen with a fresh widget; never pass a label on
        picked = value
    st.session_state[key] = picked
    return picked


#: Every ASCII punctuation character: CommonMark lets a backslash make each of them
#: literal, which covers Markdown (``![](…)``, links, emphasis), raw HTML (``<img>``,
#: entities) and Streamlit's extensions (``:red[…]``, ``:material/…:``, ``$…$`` maths).
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
#: GitHub-style autolinks (``http://…``, ``www.…``, ``a@b.cn``) are found in the text
#: *after* escapes are resolved, so backslashes do not stop them: an invisible word
#: joiner after ``:`` in ``://``, after ``www`` and after ``@`` does (seen in Chromium:
#: a category ``http://example.invalid`` became a link in a warning).
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?i:(?<=www))(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def md(text: object) -> str:
    r"""`text` (a file, column, category, sheet or workspace name …) as literal Markdown.

    ``st.warning``, ``st.error``, ``st.markdown``, ``st.caption`` and the like render
    Markdown, so a file named ``![](http://host/x.png)`` made the browser fetch an outside
    image. Every string a user controls goes through here (or :func:`say`) before it
    reaches one of them. Line breaks and other control characters become spaces, so a
    value cannot start a heading or a list of its own; web and e-mail addresses get an
    invisible :data:`WORD_JOINER`, so they do not become links.

    >>> print(md("![x](x.png) <img src=x> 朝阳_1"))
    \!\[x\]\(x\.png\) \<img src\=x\> 朝阳\_1
    >>> md("http://example.invalid") == "http\\:" + WORD_JOINER + "\\/\\/example\\.invalid"
    True
    """
    plain = "".join(ch if ch.isprintable() else " " for ch in str(text))
    plain = _AUTOLINK.sub(WORD_JOINER, plain)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain)


def _in_code(text: object) -> str:
    # Inside a template's `code span` nothing is Markdown; only a backtick could end it.
    plain = "".join(ch if ch.isprintable() else " " for ch in str(text))
    return plain.replace("`", "'")


def _message_markdown(message: Message, language: str) -> str:
    zh, en = MESSAGES[message.key]
    template = zh if language == "zh" else en
    parts: list[str] = []
    in_code = False
    for literal, field, spec, conversion in string.Formatter().parse(template):
        parts.append(literal)
        in_code ^= literal.count("`") % 2 == 1
        if field is None:
            continue
        value = message.values[field]
        if isinstance(value, Message):
            value = value.text(language)
        elif conversion == "r":
            value = repr(value)
        elif conversion is not None or not isinstance(value, numbers.Number):
            value = str(value)
        text = format(value, spec or "")
        parts.append(_in_code(text) if in_code else md(text))
    return "".join(parts)


def say(message: object) -> str:
    """A library :class:`~gridmap.i18n.Message` (or an error raised with one) as Markdown.

    Like :func:`gridmap.i18n.localize`, in the chosen language, but the message's values
    (file and column names, categories …) are escaped with :func:`md`; the template,
    ours, keeps its formatting. Text that is not a Message is escaped as a whole.
    """
    if isinstance(message, BaseException):
        message = message.args[0] if len(message.args) == 1 else str(message)
    if isinstance(message, Message):
        return _message_markdown(message, lang())
    return md(message)


@st.cache_resource
def _store(location: str) -> WorkspaceStore:
    # open_workspace picks the backend from the location, so pages never name one.
    return open_workspace(location)


# -- accounts (gridmap.access) ---------------------------------------------------------------
# The one place pages get their store: as the signed-in account may see it (its area scope,
# personal data masked for roles without the right, writes audited); with no accounts in
# the workspace, the store itself (the single-user laptop mode).
def signed_in() -> Session | None:
    """The signed-in account's session, None in the laptop mode (no accounts)."""
    return st.session_state.get("access_session")


def store() -> WorkspaceStore:
    """The workspace chosen in the sidebar, as the signed-in account may see it."""
    location = st.session_state["workspace"]
    session = signed_in()
    if session is None:
        return _store(location)
    kept = st.session_state.get("access_store")
    if kept is None or kept[0] != (location, session):
        kept = st.session_state["access_store"] = (
            (location, session),
            scoped(_store(location), session),
        )
    return kept[1]


#: Layers the pages read, shared by every session: (store location, layer) → (version,
#: frame), least recently used first. Not st.cache_data, which would unpickle a fresh copy
#: of every layer on every rerun (seconds for a million incidents); versions are
#: immutable, so one shared frame per version is safe as long as nothing mutates it, and
#: gridmap's functions never do (tests/test_overview.py checks it). Keyed on the store's
#: location, which names the scope of a scoped store, so one area's rows are never served
#: to another. Only a layer's latest version read is kept: a bound on entries (st.cache_
#: resource's max_entries) either kept old versions of large layers or, with 20 accounts
#: of 16 scopes reading 6 layers each, evicted every layer before its next use, and the
#: server read them again on every page (bench/bench_load.py --accounts).
_LAYERS: OrderedDict[tuple[str, str], tuple[int, gpd.GeoDataFrame]] = OrderedDict()
#: Entries kept: a street office's scopes (street, communities, grids; with and without
#: personal data) times its layers, with room to spare.
MAX_LAYERS = 512
_LAYERS_LOCK = threading.Lock()
#: One lock per (location, layer): sessions arriving at once read a layer once.
_READING: dict[tuple[str, str], threading.Lock] = {}


def _kept(key: tuple[str, str], tag: Hashable) -> gpd.GeoDataFrame | None:
    with _LAYERS_LOCK:
        held = _LAYERS.get(key)
        if held is None or held[0] != tag:
            return None
        _LAYERS.move_to_end(key)
        return held[1]


def _read(
    location: str,
    layer: str,
    version: int,
    source: WorkspaceStore,
    grids_version: int | None = None,
) -> gpd.GeoDataFrame:
    """`layer` at `version` from `source`, read once for every session.

    `grids_version`: for a scoped store, the grids' version its scope was drawn from, since
    it filters layers without grid codes by location against the current grids (a grid
    re-coded into another community takes its incidents with it).
    """
    key, tag = (location, layer), (version, grids_version)
    frame = _kept(key, tag)
    if frame is not None:
        return frame
    with _LAYERS_LOCK:
        reading = _READING.setdefault(key, threading.Lock())
    with reading:
        frame = _kept(key, tag)
        if frame is None:
            frame = source.read(layer, version=version)
            with _LAYERS_LOCK:
                _LAYERS[key] = (tag, frame)  # an older version's frame goes
                _LAYERS.move_to_end(key)
                while len(_LAYERS) > MAX_LAYERS:
                    _LAYERS.popitem(last=False)
    return frame


def layer(name: str) -> gpd.GeoDataFrame | None:
    """The current version of layer `name` (cached by version), None if absent."""
    current = store()
    version = current.current_version(name)
    if version is None:
        return None
    scope_drawn_from = (
        current.current_version("grids") if isinstance(current, ScopedStore) else None
    )
    return _read(str(current.location), name, version, current, scope_drawn_from)


def workspace_name() -> str:
    """The chosen workspace's short name: a file's stem, a PostGIS workspace's schema.

    Never the location itself: a ``postgresql://`` URL may carry a password.
    """
    return workspace_label(st.session_state["workspace"])


def may(right: str) -> bool:
    """Whether the signed-in role has `right` (``export``, ``edit`` …); always in laptop mode."""
    session = signed_in()
    return session is None or session.can(right)


def audited(data: bytes | str, layer: str | None, detail: str) -> Callable[[], bytes | str]:
    """A download button's `data`, handed over only when the button is clicked and
    recorded in the audit log then (with `layer`'s current version and `detail`).

    Streamlit sends a download's bytes to the browser when the button is drawn only for
    bytes given as they are; anyone with the page could then fetch the file's URL without
    the click a record was tied to. A callable is run on the click itself (Streamlit's
    deferred download), so no file reaches a browser unrecorded. The store is taken now,
    in the page's run: the callable runs outside it. Use with ``on_click="ignore"``.
    """
    current = store()
    version = current.current_version(layer) if layer else None

    def handed_over() -> bytes | str:
        record_export(current, layer=layer, version=version, detail=detail)
        return data

    return handed_over


# -- end of accounts ------------------------------------------------------------------------


def area_prefix() -> str:
    """Grid-code prefix of the area chosen in the sidebar ("" for everything)."""
    return st.session_state.get("area_prefix", "")


def _started_with() -> str:
    # The workspace the server was started with (GRIDMAP_WORKSPACE: a URL, a .gpkg path
    # or a bare name, resolved as `gridmap -w` resolves it). One that does not exist is
    # not created: a mistyped name gets the store's message listing the workspaces there
    # are, and the app stops there, never with a traceback.
    try:
        location = workspace_location()
        named = os.environ.get(WORKSPACE_ENV) and not is_database_url(location)
        if named and not Path(location).exists():
            open_workspace(create=False)  # raises WorkspaceNotFoundError
    except GridmapError as exc:
        st.error(say(exc))
        st.stop()
    return location


def _workspace_choices() -> list[str]:
    # Only the workspaces in the workspace folder, plus the one the server was started
    # with (a path is the machine owner's choice: command line or GRIDMAP_WORKSPACE).
    return sorted({str(p) for p in list_workspaces()} | {_started_with()})


def _workspace_picker() -> None:
    # The chosen workspace lives under a plain session key, not the widget's key, so it
    # survives reruns in which the sidebar is not drawn.
    if "workspace" not in st.session_state:
        st.session_state["workspace"] = str(open_workspace().location)
    options = _workspace_choices()
    current = st.session_state["workspace"]
    if current not in options:  # the picker opens only workspaces it lists
        current = st.session_state["workspace"] = str(open_workspace().location)
        options = _workspace_choices()
    st.session_state["workspace"] = st.selectbox(
        tr("workspace"),
        options,
        index=options.index(current),
        key=f"workspace_picker_{current}",
        format_func=workspace_label,
    )
    with st.popover(tr("new_workspace")):
        name = st.text_input(
            tr("new_workspace"), key="new_workspace_name", help=tr("new_workspace_help")
        )
        if st.button(tr("create"), key="new_workspace_create"):
            # A plain name only: typed text must never reach a path (../x, /tmp/x, x.gpkg
            # created files elsewhere or opened any GeoPackage on the server).
            try:
                created = open_workspace(check_workspace_name(name))
            except GridmapError as exc:
                st.error(say(exc))
            else:
                st.session_state["workspace"] = str(created.location)
                st.rerun()


EDITOR_COOKIE = "gridmap_editor"


def editor() -> str | None:
    """The editor's name typed in the sidebar, None until one is given.

    Every write from a page passes it as ``author=`` (the store marks it unverified); a
    page refuses to write without it rather than record the server's account. Signed in,
    the account's name (the scoped store records it as the author).
    """
    session = signed_in()
    if session is not None:
        return session.display_name or session.user
    return st.session_state.get("editor") or None


def _editor_from_cookie() -> str | None:
    # Remembered per browser: the cookie comes with the page's request, so a reload or a
    # new tab starts with the name typed before.
    raw = st.context.cookies.get(EDITOR_COOKIE)
    if not raw:
        return None
    try:
        return check_editor_name(urllib.parse.unquote(raw))
    except GridmapError:
        return None


def _editor_changed() -> None:
    typed = st.session_state.get("editor_input", "")
    st.session_state.pop("editor_error", None)
    if not typed.strip():
        st.session_state["editor"] = None
        return
    try:
        st.session_state["editor"] = check_editor_name(typed)
    except GridmapError as exc:
        st.session_state["editor_error"] = exc


def _remember_editor(name: str | None) -> None:
    """Set (or clear) the editor cookie in this browser: a few lines of local JavaScript.

    Streamlit cannot set cookies from the server. The name is JSON with ``<`` escaped, so
    it cannot end the script; nothing is loaded from anywhere.
    """
    value = json.dumps(urllib.parse.quote(name or "", safe="")).replace("<", "\\u003c")
    age = 400 * 24 * 3600 if name else 0
    st.html(
        "<script>document.cookie = "
        f'"{EDITOR_COOKIE}=" + {value} + "; path=/; max-age={age}; SameSite=Strict";'
        "</script>",
        unsafe_allow_javascript=True,
    )


def _editor_input() -> None:
    if "editor" not in st.session_state:
        st.session_state["editor"] = _editor_from_cookie()
    st.text_input(
        tr("editor"),
        value=st.session_state["editor"] or "",
        key="editor_input",
        help=tr("editor_help"),
        on_change=_editor_changed,
        max_chars=60,
    )
    if "editor_error" in st.session_state:
        st.error(say(st.session_state["editor_error"]))
    if st.session_state["editor"] != _editor_from_cookie():
        _remember_editor(st.session_state["editor"])


@st.cache_data(max_entries=64, show_spinner=False)
def _area_units(location: str, version: int, prefix: str, level: str) -> dict[str, str]:
    # Once per grids version, not on every rerun of every page (~20 ms a level).
    grids = layer("grids")
    units = dissolve_level(grids[grids["grid_code"].str.startswith(prefix)], level)
    return dict(zip(units["code"], units["name"], strict=True))


def _area_picker() -> None:
    grids = layer("grids")
    if grids is None or not len(grids):
        st.session_state["area_prefix"] = ""
        return
    st.caption(tr("area"))
    # format_func runs after the run too (AppTest, without the session): fix the words.
    everything = tr("all")
    prefix = ""
    for level, label in (("street", "street"), ("community", "community"), ("grid", "grid")):
        current = store()
        names = _area_units(
            str(current.location), current.current_version("grids") or 0, prefix, level
        )
        options = ["", *names]
        picked = choice(
            tr(label),
            options,
            format_func=lambda c, n=names: everything if c == "" else f"{n[c]} ({c[-3:]})",
            key=f"area_{level}_{prefix}",
        )
        if not picked:
            break
        prefix = picked
    st.session_state["area_prefix"] = prefix


BASEMAP_CHOICES = ("vector", "osm", "tianditu", "amap", "custom")


def basemap_options() -> dict[str, str | None]:
    """Keyword arguments for the map's basemap, as chosen in the sidebar.

    Until the key (Tianditu) or the URL (custom tiles) is typed, the offline vector
    basemap: an error for a key nobody could have typed yet was the first thing shown.
    """
    chosen = {
        "basemap": st.session_state.get("basemap", "vector"),
        "tile_url": st.session_state.get("tile_url") or None,
        "tile_key": st.session_state.get("tile_key") or None,
    }
    if _basemap_missing(chosen):
        return {"basemap": "vector", "tile_url": None, "tile_key": None}
    return chosen


def _basemap_missing(chosen: dict[str, str | None]) -> str | None:
    """The sidebar text asking for what the chosen basemap still needs, if anything."""
    if chosen["basemap"] == "tianditu" and not chosen["tile_key"]:
        return "tile_key_needed"
    if chosen["basemap"] == "custom" and not chosen["tile_url"]:
        return "tile_url_needed"
    return None


def _basemap_picker() -> None:
    with st.expander(tr("basemap")):
        names = {b: tr(f"basemap_{b}") for b in BASEMAP_CHOICES}
        choice(tr("basemap"), BASEMAP_CHOICES, key="basemap", format_func=names.get)
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
        missing = _basemap_missing(
            {
                "basemap": st.session_state["basemap"],
                "tile_url": st.session_state.get("tile_url") or None,
                "tile_key": st.session_state.get("tile_key") or None,
            }
        )
        if missing:
            st.caption(tr(missing))


def _language_changed(key: str) -> None:
    st.session_state["lang"] = st.session_state[key]


def language_picker() -> None:
    """The 中文 / English switch (the sidebar's first widget, also on the sign-in page)."""
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


def sidebar() -> None:
    """Language, workspace and area pickers shared by every page."""
    with st.sidebar:
        language_picker()
        if st.session_state.get("access_gate_closed"):  # accounts, nobody signed in yet
            return
        if signed_in() is None:  # an account belongs to its workspace and names its editor
            _workspace_picker()
            _editor_input()
        _area_picker()
        _basemap_picker()
        credit = workspace_credit(store().settings(), lang(), name=workspace_name())
        if credit:  # the workspace's own credit (a user's data is not OpenStreetMap's)
            st.caption(md(credit))
    sweep_uploads()


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def _session_ended(session_id: str) -> bool:
    # Streamlit has no session-end hook; its runtime knows which sessions still exist
    # (connected, or kept for a reconnect within server.disconnectedSessionTTL).
    try:
        from streamlit.runtime import Runtime

        return Runtime.exists() and Runtime.instance().get_app_session(session_id) is None
    except Exception:  # an internal API: if it changes, the age-based sweep remains
        return False


def upload_folder() -> UploadFolder:
    """This session's folder for upload copies; it is deleted when the session ends.

    The :class:`~gridmap.uploads.UploadFolder` lives in the session state, so when
    Streamlit drops an ended session the object is collected and its folder removed;
    :func:`sweep_uploads`, run by every page, removes those of sessions that ended but
    that Streamlit still holds.
    """
    folder = st.session_state.get("upload_folder")
    if folder is None or folder.closed:
        folder = st.session_state["upload_folder"] = UploadFolder(owner=_session_id())
    return folder


def sweep_uploads() -> None:
    """Remove upload folders of ended sessions and dead servers (cheap: one listing)."""
    mine = st.session_state.get("upload_folder")
    sweep(ended=_session_ended, keep=None if mine is None else mine.path)
