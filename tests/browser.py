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
    home: Path, *, timeout: float = 60.0, workspace: Path | None = None
) -> Iterator[str]:
    """Run ``streamlit run streamlit_app.py`` with workspaces under `home`; yield its URL.

    With `workspace`, the app opens that file (``GRIDMAP_WORKSPACE``) instead of the sample.
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
        str(ROOT / "streamlit_app.py"),
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
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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


#: Counts the grid polygons Leaflet has drawn (the map renders on a canvas, so the DOM holds
#: no path per polygon; the layers themselves are the evidence).
GRID_POLYGONS_JS = """() => {
  const map = Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded);
  if (!map) return 0;
  return Object.values(map._layers).filter(
    l => l.feature && l.feature.properties && l.feature.properties.key
         && l.feature.geometry.type.includes('Polygon') && l._parts && l._parts.length).length;
}"""

#: How much of the map's width and height the drawn grid polygons span (0–1 each).
GRID_EXTENT_JS = """() => {
  const map = Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded);
  const grids = Object.values(map._layers).filter(
    l => l.feature && l.feature.properties && l.feature.properties.key && l.getBounds);
  const bounds = grids.reduce((b, l) => b.extend(l.getBounds()), L.latLngBounds([]));
  const nw = map.latLngToContainerPoint(bounds.getNorthWest());
  const se = map.latLngToContainerPoint(bounds.getSouthEast());
  const size = map.getSize();
  return [(se.x - nw.x) / size.x, (se.y - nw.y) / size.y];
}"""


MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"


def _map_frame_when(page, condition_js: str, arg: object, timeout_ms: int, what: str):  # type: ignore[no-untyped-def]
    """The current map frame once `condition_js` holds in it.

    Waits inside the browser (``wait_for_function``) on the frame the map iframe shows
    now, and looks it up again when the map is re-mounted: a plain ``evaluate`` on a frame
    being replaced can hang until Playwright's own time-out.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while (left := deadline - time.monotonic()) > 0:
        try:
            handle = page.locator(MAP_IFRAME).first.element_handle(timeout=left * 1000)
            frame = handle.content_frame() if handle else None
            if frame is not None:
                frame.wait_for_function(condition_js, arg=arg, timeout=min(left, 2.0) * 1000)
                return frame
        except Exception:  # not there yet, replaced meanwhile, or not yet true: look again
            time.sleep(0.05)
    msg = f"{what} never showed on the map"
    raise TimeoutError(msg)


def map_frame(page, *, timeout_ms: int = 30_000):  # type: ignore[no-untyped-def]
    """The streamlit-folium frame once Leaflet has drawn grid polygons in it."""
    condition = f"() => ({GRID_POLYGONS_JS})() > 0"
    return _map_frame_when(page, condition, None, timeout_ms, "grid polygons")


def wait_until_idle(page, *, timeout_ms: int = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app's script has finished its run, so a click starts a fresh one
    instead of racing the run in progress."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms
    )


def wait_for_map_text(page, text: str, *, timeout_ms: int = 30_000):  # type: ignore[no-untyped-def]
    """The map frame once `text` shows in it (the map is re-mounted when its content
    changes, so the frame is looked up afresh)."""
    condition = "(text) => document.body && document.body.innerText.includes(text)"
    return _map_frame_when(page, condition, text, timeout_ms, repr(text))
