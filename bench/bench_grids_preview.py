"""Time the Grids page from a click to the preview drawn on screen, in a real Chromium.

Starts the app on the bundled sample (``tests/browser.py``'s ``running_app``, offline),
opens the Grids page's manual edits and, alternating between two edits so that every
preview differs from the one on screen:

- **merge**: two neighbouring grids typed into the merge picker, then the preview button;
- **drawn split**: a line drawn with the mouse (Leaflet.draw) across a grid, ended by a
  click on its last point.

The time runs from the click (the preview button; the line's last click) until the
browser has drawn the preview: the changed grids, and only they, are polygons Leaflet
has projected (``_parts``) in the layer laid over the map. Which grids change is worked
out beforehand with the library on the same workspace, so the check cannot pass on a
stale preview.

The same measurement runs twice: with the page's maps built once per what they show
(the page's default) and with ``GRIDMAP_GRIDS_MAP_CACHE=0`` (every map built, rendered
and sent again on every rerun: the peer). Target (issue #9): ≤ 300 ms, median. A drawn
line has a floor of its own: streamlit-folium's browser side sends a drawing 250 ms after
the last drawing event (an underscore ``debounce``), before the app hears of it.

    .venv/bin/python bench/bench_grids_preview.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridmap import ValidationError  # noqa: E402
from gridmap.grids import views  # noqa: E402
from gridmap.grids.blocks import grid_blocks  # noqa: E402
from gridmap.store import GeoPackageStore, install_sample_workspace  # noqa: E402
from tests.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    MAP_IFRAME,
    chromium_path,
    running_app,
    wait_until_idle,
)

#: Keys of the red (changed) grids Leaflet has drawn in a map frame: projected polygons
#: (``_parts``) filled with the preview colour, whether laid over the map or on a map of
#: their own (as the page drew previews before), so both pages are timed alike.
RED_KEYS_JS = """() => {
  const map = Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded);
  if (!map) return [];
  return Object.values(map._layers).filter(
    l => l.feature && l.feature.properties && l.feature.properties.key
         && l.options && l.options.fillColor === '#d7301f' && l._parts && l._parts.length
  ).map(l => l.feature.properties.key).sort();
}"""
#: Page-independent pixel position (inside the map frame) of WGS-84 points.
TO_PIXELS_JS = """(points) => {
  const map = Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded);
  return points.map(([lng, lat]) => {
    const p = map.latLngToContainerPoint(L.latLng(lat, lng));
    return [p.x, p.y];
  });
}"""


def _merges(grids: Any, blocks: Any, street: str) -> list[tuple[list[str], list[str]]]:
    """Two merges of neighbouring grids of `street`: (codes, changed codes) each."""
    codes = sorted(c for c in grids["grid_code"].astype(str) if c.startswith(street))
    found = []
    for a, b in itertools.pairwise(codes):
        if found and a in found[-1][0]:
            continue
        try:
            preview = views.edit("merge", grids, blocks, codes=[a, b], lang="zh")
        except ValidationError:
            continue
        found.append(([a, b], sorted(preview.changed)))
        if len(found) == 2:
            return found
    raise SystemExit("the sample has no two merges of neighbouring grids")


def _lines(grids: Any, blocks: Any, street: str) -> list[tuple[list[list[float]], list[str]]]:
    """Two north-south lines that split a grid of `street`: (coordinates, changed codes)."""
    found = []
    for geom in views.area_grids(grids, street).geometry:
        west, south, east, north = geom.bounds
        x = (west + east) / 2
        coords = [[x, south - 0.0003], [x, (south + north) / 2], [x, north + 0.0003]]
        drawing = [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords}}]
        try:
            preview = views.drawn_split(grids, blocks, drawing, code=street)
        except ValidationError:
            continue
        if preview is not None:
            found.append((coords, sorted(preview.changed)))
        if len(found) == 2:
            return found
    raise SystemExit("the sample has no two grids a line through their middle splits")


def _drawn(page: Any, expected: list[str], timeout: float = 60.0) -> float:
    """Wait until some map frame draws exactly `expected` in its overlay; the time then."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for frame in page.frames[1:]:
            try:
                if frame.evaluate(RED_KEYS_JS) == expected:
                    return time.perf_counter()
            except Exception:  # a frame being replaced: look again
                continue
        time.sleep(0.005)
    msg = f"the preview of {expected} never showed"
    raise TimeoutError(msg)


def _merge_times(page: Any, merges: list, repeats: int) -> list[float]:
    page.get_by_text("合并相邻网格", exact=True).click()
    wait_until_idle(page, timeout_ms=120_000)
    times = []
    for n in range(repeats):
        codes, changed = merges[n % 2]
        picker = page.locator("[data-testid='stMultiSelect'] input").first
        picker.click()
        for _ in range(3):
            picker.press("Backspace")
        for code in codes:
            picker.type(f"({code[-6:]})")
            picker.press("Enter")
        picker.press("Escape")
        button = page.get_by_role("button", name="预览", exact=True)
        started = time.perf_counter()
        button.click()
        times.append(_drawn(page, changed) - started)
        wait_until_idle(page)
    return times


def _draw_times(page: Any, lines: list, repeats: int) -> list[float]:
    page.get_by_text("在地图上画线拆分", exact=True).click()
    page.get_by_text("尚未画线").wait_for(timeout=120_000)
    times = []
    for n in range(repeats):
        coords, changed = lines[n % 2]
        iframe = page.locator(MAP_IFRAME).first
        iframe.scroll_into_view_if_needed()
        frame = iframe.element_handle().content_frame()
        frame.wait_for_selector(".leaflet-draw-draw-polyline", timeout=60_000)
        frame.locator(".leaflet-draw-draw-polyline").click()
        box = iframe.bounding_box()
        points = [(box["x"] + x, box["y"] + y) for x, y in frame.evaluate(TO_PIXELS_JS, coords)]
        for x, y in points:
            page.mouse.click(x, y)
            page.wait_for_timeout(300)
        started = time.perf_counter()
        page.mouse.click(*points[-1])
        times.append(_drawn(page, changed) - started)
        wait_until_idle(page)
    return times


def measure(home: Path, *, cache: bool, repeats: int) -> dict[str, list[float]]:
    """Click-to-preview times (s) for merges and drawn splits, with maps kept or not."""
    from playwright.sync_api import sync_playwright

    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    blocks = grid_blocks(grids, store.read("streets"), buildings=store.read("buildings"))
    street = grids["grid_code"].iloc[0][:9]
    merges, lines = _merges(grids, blocks, street), _lines(grids, blocks, street)
    os.environ["GRIDMAP_GRIDS_MAP_CACHE"] = "1" if cache else "0"
    with running_app(home) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1500, "height": 1100}).new_page()
        page.goto(f"{url}/grids")
        page.get_by_role("heading", name="网格调整").wait_for(timeout=120_000)
        wait_until_idle(page, timeout_ms=120_000)
        page.get_by_text("手动调整", exact=True).click()
        wait_until_idle(page, timeout_ms=120_000)
        out = {"merge": _merge_times(page, merges, repeats)}
        out["drawn split"] = _draw_times(page, lines, repeats)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if chromium_path() is None:
        raise SystemExit("needs Debian's chromium")
    results = {}
    for cache in (True, False):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            install_sample_workspace(home / "sample.gpkg")
            results[cache] = measure(home, cache=cache, repeats=args.repeats)
    print(f"click → preview on screen, median of {args.repeats} (ms); load {os.getloadavg()}")
    print(f"{'edit':<12} {'maps kept':>10} {'peer: rebuilt':>14} {'ratio':>6}  (all kept runs)")
    for edit in results[True]:
        kept = statistics.median(results[True][edit]) * 1000
        peer = statistics.median(results[False][edit]) * 1000
        runs = " ".join(f"{t * 1000:.0f}" for t in results[True][edit])
        print(f"{edit:<12} {kept:>10.0f} {peer:>14.0f} {peer / kept:>6.1f}  ({runs})")


if __name__ == "__main__":
    main()
