"""Start the app and a real Chromium for end-to-end tests and the cold-start benchmark.

Playwright drives Debian's chromium (`executable_path`), never a downloaded browser, and
every request that leaves localhost is blocked, so a test passes only if the app works
fully offline.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's chromium, or $GRIDMAP_CHROMIUM, if installed."""
    env = os.environ.get("GRIDMAP_CHROMIUM")
    if env and Path(env).exists():
        return env
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_app(
    home: Path, *, timeout: float = 60.0, workspace: Path | None = None, root: Path = ROOT
) -> Iterator[str]:
    """Run ``streamlit run streamlit_app.py`` with workspaces under `home`; yield its URL.

    With `workspace`, the app opens that file (``GRIDMAP_WORKSPACE``) instead of the sample;
    with `root`, the app of another source tree (a benchmark's peer: an older commit).
    """
    port = free_port()
    env = {**os.environ, "GRIDMAP_HOME": str(home), "PYTHONWARNINGS": "ignore"}
    env.pop("GRIDMAP_WORKSPACE", None)
    if workspace is not None:
        env["GRIDMAP_WORKSPACE"] = str(workspace)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(root / "streamlit_app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    log = open(home / "streamlit.log", "w")  # noqa: SIM115 - closed below
    if root != ROOT:  # its own packages before the installed (editable) gridmap
        env["PYTHONPATH"] = str(root)
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                msg = f"streamlit did not start:\n{(home / 'streamlit.log').read_text()[-3000:]}"
                raise RuntimeError(msg)
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def block_outside_requests(context, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Abort every request not to localhost, remembering it in `seen`."""

    def handle(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if url.startswith(
            ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:")
        ):
            route.continue_()
        else:
            seen.append(url)
            route.abort()

    context.route("**/*", handle)


#: The Leaflet map of a frame: one of ours drawn in the page itself (app_pages/_edit_map:
#: its element, ``.gridmap-map``, keeps it as ``gridmapMap``; one marked ``data-old`` is a
#: map a benchmark has seen already), else the map a streamlit-folium iframe's script left
#: on ``window``.
FIND_MAP_JS = """(() => {
  const own = [...document.querySelectorAll('.gridmap-map:not([data-old])')]
    .find(e => e.gridmapMap && e.gridmapMap._loaded);
  if (own) return own.gridmapMap;
  return Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded) || null;
})()"""

#: Counts the grid polygons Leaflet has drawn (the map renders on a canvas, so the DOM holds
#: no path per polygon; the layers themselves are the evidence).
GRID_POLYGONS_JS = f"""() => {{
  const map = {FIND_MAP_JS};
  if (!map) return 0;
  return Object.values(map._layers).filter(
    l => l.feature && l.feature.properties && l.feature.properties.key
         && l.feature.geometry.type.includes('Polygon') && l._parts && l._parts.length).length;
}}"""

#: How much of the map's width and height the drawn grid polygons span (0–1 each).
GRID_EXTENT_JS = f"""() => {{
  const map = {FIND_MAP_JS};
  const grids = Object.values(map._layers).filter(
    l => l.feature && l.feature.properties && l.feature.properties.key && l.getBounds);
  const bounds = grids.reduce((b, l) => b.extend(l.getBounds()), L.latLngBounds([]));
  const nw = map.latLngToContainerPoint(bounds.getNorthWest());
  const se = map.latLngToContainerPoint(bounds.getSouthEast());
  const size = map.getSize();
  return [(se.x - nw.x) / size.x, (se.y - nw.y) / size.y];
}}"""


MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
#: A map in the page itself (app_pages/_edit_map), as the page's DOM holds it.
OWN_MAP = ".gridmap-map"
#: Any map of a page: in streamlit-folium's iframe or in the page itself.
ANY_MAP = f"{MAP_IFRAME}, {OWN_MAP}"


def _map_frame_when(page, condition_js: str, arg: object, timeout_ms: int, what: str):  # type: ignore[no-untyped-def]
    """The frame of the current map once `condition_js` holds in it.

    A map drawn in the page itself (:data:`OWN_MAP`) is in the page's main frame, which is
    returned then; a streamlit-folium map is in its iframe. Waits inside the browser
    (``wait_for_function``) on the frame the map iframe shows now, and looks it up again
    when the map is re-mounted: a plain ``evaluate`` on a frame being replaced can hang
    until Playwright's own time-out.
    """
    # In the main frame the condition counts only with one of our maps on the page: the
    # page's own text is not the map's.
    own = f"(arg) => !!document.querySelector({OWN_MAP!r}) && ({condition_js})(arg)"
    deadline = time.monotonic() + timeout_ms / 1000
    while (left := deadline - time.monotonic()) > 0:
        try:
            page.main_frame.wait_for_function(own, arg=arg, timeout=min(left, 0.5) * 1000)
            return page.main_frame
        except Exception:  # no map of ours (yet), or not yet true: try an iframe
            pass
        try:
            handle = page.locator(MAP_IFRAME).first.element_handle(timeout=min(left, 0.5) * 1000)
            frame = handle.content_frame() if handle else None
            if frame is not None:
                frame.wait_for_function(condition_js, arg=arg, timeout=min(left, 2.0) * 1000)
                return frame
        except Exception:  # not there yet, replaced meanwhile, or not yet true: look again
            time.sleep(0.05)
    msg = f"{what} never showed on the map"
    raise TimeoutError(msg)


def map_frame(page, *, timeout_ms: int = 30_000):  # type: ignore[no-untyped-def]
    """The frame of the map (the page's, or streamlit-folium's iframe) once Leaflet has
    drawn grid polygons in it."""
    condition = f"() => ({GRID_POLYGONS_JS})() > 0"
    return _map_frame_when(page, condition, None, timeout_ms, "grid polygons")


def wait_until_idle(page, *, timeout_ms: int = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app's script has finished its run, so a click starts a fresh one
    instead of racing the run in progress."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms
    )


def wait_for_map_text(page, text: str, *, timeout_ms: int = 30_000):  # type: ignore[no-untyped-def]
    """The map's frame once `text` shows in the map (the map is re-mounted when its
    content changes, so the frame is looked up afresh)."""
    # A map of ours: its element's text; an iframe's: the whole document is the map.
    condition = f"""(text) => {{
      const own = [...document.querySelectorAll({OWN_MAP!r})];
      return (own.length ? own : [document.body]).some(e => e && e.innerText.includes(text));
    }}"""
    return _map_frame_when(page, condition, text, timeout_ms, repr(text))


# -- what the server sent: the app's data wherever the page draws it ------------------------


def record_server_messages(page) -> list[bytes]:  # type: ignore[no-untyped-def]
    """Collect, from now on, every binary frame the app's websocket delivers to `page`.

    Streamlit sends each element as a protobuf ``ForwardMsg`` on ``/_stcore/stream``: a
    table as Arrow bytes (``st.dataframe`` then draws it on a canvas, so the DOM holds no
    cell), a map as streamlit-folium's arguments (its script, run inside an iframe), a
    download button as the URL of its file. The frames are where a page's data reaches
    the browser; :func:`server_text` turns them into text.
    """
    frames: list[bytes] = []

    def on_frame(payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            frames.append(payload)

    def on_websocket(ws) -> None:  # type: ignore[no-untyped-def]
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", on_frame)

    page.on("websocket", on_websocket)
    return frames


def _arrow_text(data: bytes) -> str | None:
    """An Arrow IPC stream's table as CSV text, or None if `data` is no such stream."""
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    except (pa.ArrowInvalid, OSError):
        return None
    # every cell on a line of its own: codes and ids never run into their neighbours
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return "\n".join([*table.column_names, *(str(v) for column in columns for v in column)])


def server_text(frames: list[bytes]) -> tuple[str, list[str]]:
    """Every text the server sent in `frames`, and the URLs of the download buttons.

    Walks each ``ForwardMsg`` field by field: strings as they are, Arrow tables cell by
    cell (see :func:`_arrow_text`), other bytes decoded as UTF-8. Text pieces are joined
    by new lines so that two values never read as one.
    """
    from google.protobuf.descriptor import FieldDescriptor
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    parts: list[str] = []
    urls: list[str] = []

    def walk(message) -> None:  # type: ignore[no-untyped-def]
        for field, value in message.ListFields():
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                parts.extend(f"{key}\n{value[key]}" for key in value)
                continue
            values = value if field.label == FieldDescriptor.LABEL_REPEATED else [value]
            for item in values:
                if field.type == FieldDescriptor.TYPE_MESSAGE:
                    walk(item)
                elif field.type == FieldDescriptor.TYPE_STRING:
                    parts.append(item)
                    if field.name == "url" and message.DESCRIPTOR.name == "DownloadButton":
                        urls.append(item)
                elif field.type == FieldDescriptor.TYPE_BYTES:
                    text = _arrow_text(item)
                    parts.append(item.decode("utf-8", "replace") if text is None else text)

    for frame in frames:
        message = ForwardMsg()
        message.ParseFromString(frame)
        walk(message)
    return "\n".join(parts), urls


def file_text(data: bytes) -> str:
    """The text in a downloaded file: a zip's members one by one (an ``.xlsx`` is a zip
    of XML, so a zipped report is read down to its cells), anything else as UTF-8."""
    import io
    import zipfile

    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(file_text(archive.read(name)) for name in archive.namelist())
    return data.decode("utf-8", "replace")
