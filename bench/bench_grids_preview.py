"""Time the Grids page from a click to the preview drawn on screen, in a real Chromium.

Starts the app on the bundled sample (``tests/browser.py``'s ``running_app``, offline),
opens the Grids page's manual edits and, alternating between two edits so that every
preview differs from the one on screen:

- **merge**: two neighbouring grids typed into the merge picker, then a click on the
  preview button (once the picker's menu has closed);
- **drawn split**: a line drawn with the mouse (Leaflet.draw) across a grid, ended by a
  click on its last point;
- **move**: a click on a block (none picked before): the block is picked and its move to
  the first grid bordering it previewed. The page as it was needed a second click, the
  form's preview button, once the pick had come back: its time is the sum of both waits
  (click → block picked on screen, button → preview on screen).

The time runs from the click until the browser has drawn the preview: the changed grids
(and the picked block), and only they, are polygons Leaflet has projected (``_parts``)
red on the map. Which grids change is worked out beforehand with the library on the
same workspace, so the check cannot pass on a stale preview.

The peer is the page as it was: the app of an older commit (``--peer``, by default where
this branch left ``main``), exported with ``git archive`` and run the same way, its maps
all ``st_folium`` (a drawing or a click sent 250 ms after the event, an underscore
``debounce`` in streamlit-folium's bundle; the map in an iframe). Target (issue #9):
≤ 300 ms, median.

    .venv/bin/python bench/bench_grids_preview.py [--repeats 7] [--peer COMMIT]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402

from gridmap import ValidationError  # noqa: E402
from gridmap.grids import views  # noqa: E402
from gridmap.grids.blocks import grid_blocks  # noqa: E402
from gridmap.store import GeoPackageStore, install_sample_workspace  # noqa: E402
from tests.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    chromium_path,
    running_app,
    wait_until_idle,
)

#: The Leaflet map of a frame: the page's own edit map (app_pages/_edit_map) or, in a
#: streamlit-folium iframe, the map its script left on ``window``.
FIND_MAP_JS = """(() => {
  const edit = document.querySelector('.gridmap-edit-map');
  if (edit && edit.gridmapMap) return edit.gridmapMap;
  if (window.parent === window) return null;
  return Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded) || null;
})()"""
#: Keys of the red (changed grids, picked blocks) features Leaflet has drawn on a map:
#: projected polygons (``_parts``) filled with the preview colour, laid over the map or on
#: it, so both pages are timed alike.
RED_KEYS_JS = f"""() => {{
  const map = {FIND_MAP_JS};
  if (!map) return null;
  return Object.values(map._layers).filter(
    l => l.feature && l.feature.properties && l.feature.properties.key !== undefined
         && l.options && l.options.fillColor === '#d7301f' && l._parts && l._parts.length
  ).map(l => String(l.feature.properties.key)).sort();
}}"""
#: The map is there and Leaflet has drawn its polygons (a click before finds no feature).
READY_JS = f"""(key) => {{
  const map = {FIND_MAP_JS};
  return !!map && Object.values(map._layers).some(l => l.feature && l._parts && l._parts.length
    && (key === null || String(l.feature.properties.key) === key));
}}"""
#: Scrolls the map to the middle of the window (from inside a map iframe too).
CENTRE_JS = """() => (document.querySelector('.gridmap-edit-map')
  || document.querySelector('.leaflet-container')).scrollIntoView({block: 'center'})"""
#: Where WGS-84 points are in the frame's viewport (pixels).
TO_PIXELS_JS = f"""(points) => {{
  const map = {FIND_MAP_JS};
  const box = map.getContainer().getBoundingClientRect();
  return points.map(([lng, lat]) => {{
    const p = map.latLngToContainerPoint(L.latLng(lat, lng));
    return [box.left + p.x, box.top + p.y];
  }});
}}"""


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


def _moves(grids: Any, blocks: Any, street: str) -> list[tuple[list[float], list[str], str]]:
    """Two blocks of `street` whose move to the first grid bordering them is allowed, with
    no bordering grid in common: (a WGS-84 point inside the block, the red keys then, the
    block's key).

    The page keeps the target chosen while it borders the blocks picked; with no grid in
    common (nor the first grid offered), each move goes to its block's first bordering grid.
    """
    mine = blocks[blocks["grid_code"].astype(str).str.startswith(street).to_numpy()]
    # The target the page offers first (before any block is picked): kept when it borders
    # the block, so neither block may border it.
    first = views.area_grids(grids, street)["grid_code"].astype(str).iloc[0]
    found: list[tuple[list[float], list[str], str, set[str]]] = []
    for row in mine.assign(size=mine.geometry.area).sort_values("size").iloc[::-1].itertuples():
        block = int(row.block_id)
        targets = views.neighbour_grids(mine, [block])
        if not targets or first in targets or (found and set(targets) & found[0][3]):
            continue
        try:
            preview = views.edit("move", grids, blocks, block_ids=[block], to_code=targets[0])
        except ValidationError:
            continue
        inside = gpd.GeoSeries([row.geometry.representative_point()], crs=blocks.crs)
        point = inside.to_crs(4326).iloc[0]
        keys = sorted([str(block), *preview.changed])
        found.append(([point.x, point.y], keys, str(block), set(targets)))
        if len(found) == 2:
            return [(p, keys, key) for p, keys, key, _ in found]
    raise SystemExit("the sample has no two blocks to move apart from each other")


def _map_frame(page: Any, timeout: float = 60.0, *, showing: str | None = None) -> Any:
    """The frame showing the map (the page itself: its edit map; or a map iframe), once
    Leaflet has drawn it (with a feature keyed `showing`: the map of the view, not the
    one it replaces)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate(READY_JS, showing):
                    return frame
            except Exception:  # a frame being replaced: look again
                continue
        time.sleep(0.02)
    raise TimeoutError("no map showed")


def _on_page(page: Any, frame: Any, coords: list[list[float]]) -> list[tuple[float, float]]:
    """Where WGS-84 `coords` on `frame`'s map are in the page (pixels)."""
    points = frame.evaluate(TO_PIXELS_JS, coords)
    if frame == page.main_frame:
        return [(x, y) for x, y in points]
    box = frame.frame_element().bounding_box()
    return [(box["x"] + x, box["y"] + y) for x, y in points]


def _drawn(page: Any, expected: list[str], timeout: float = 60.0) -> float:
    """Wait until some map draws exactly `expected` red; the time then."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate(RED_KEYS_JS) == expected:
                    return time.perf_counter()
            except Exception:  # a frame being replaced: look again
                continue
        time.sleep(0.005)
    msg = f"the preview of {expected} never showed"
    raise TimeoutError(msg)


def _press_preview(page: Any) -> float:
    """Click the form's preview button with the mouse, as a person would; the time then.

    The picker's menu is closed first and the button brought to the middle of the window:
    Playwright's ``click()`` would otherwise find the closing menu, then the page's
    sticky header, over the button and retry after 20, 100, 100 and 500 ms, timing its
    own waits (a merge measured ~0.9 s slower in about half the runs, all of it before
    the browser saw the click).
    """
    page.locator("[role='listbox']").wait_for(state="hidden", timeout=10_000)
    button = page.get_by_role("button", name="预览", exact=True)
    button.evaluate("b => b.scrollIntoView({block: 'center'})")
    box = button.bounding_box()
    started = time.perf_counter()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return started


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
        started = _press_preview(page)
        times.append(_drawn(page, changed) - started)
        wait_until_idle(page)
    return times


def _draw_times(page: Any, lines: list, repeats: int) -> list[float]:
    page.get_by_text("在地图上画线拆分", exact=True).click()
    page.get_by_text("尚未画线").wait_for(timeout=120_000)
    times = []
    for n in range(repeats):
        coords, changed = lines[n % 2]
        frame = _map_frame(page)
        tool = frame.locator(".leaflet-draw-draw-polyline")
        tool.wait_for(timeout=60_000)
        tool.scroll_into_view_if_needed()
        tool.click()
        points = _on_page(page, frame, coords)
        for x, y in points:
            page.mouse.click(x, y)
            page.wait_for_timeout(300)
        started = time.perf_counter()
        page.mouse.click(*points[-1])
        times.append(_drawn(page, changed) - started)
        wait_until_idle(page)
    return times


def _click_block(page: Any, point: list[float], block: str, picked: str) -> float:
    """Click the block at `point` until the page says `picked`; the time of the last click.

    A click while the map is still settling (its frame re-mounted, its view moving) can
    land beside the block and pick nothing; it is made again (at most twice more) and
    timed afresh, as a person would click again. A pick that never shows fails the bench.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        frame = _map_frame(page, showing=block)  # the blocks map, not the view's before
        frame.evaluate(CENTRE_JS)
        ((x, y),) = _on_page(page, frame, [point])
        started = time.perf_counter()
        page.mouse.click(x, y)
        try:
            page.get_by_text(picked).wait_for(timeout=10_000)
            return started
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            wait_until_idle(page)
    raise AssertionError("unreachable")


def _move_times(page: Any, moves: list, repeats: int, *, peer: bool) -> list[float]:
    page.get_by_text("移动街区", exact=True).click()
    page.get_by_text("已选街区：0 个").wait_for(timeout=120_000)
    wait_until_idle(page, timeout_ms=120_000)
    times = []
    for n in range(repeats):
        point, expected, block = moves[n % 2]
        started = _click_block(page, point, block, "已选街区：1 个")
        if peer:  # the pick comes back, then the form's preview button
            picked = time.perf_counter() - started
            wait_until_idle(page)
            started = _press_preview(page)
            times.append(picked + _drawn(page, expected) - started)
        else:
            times.append(_drawn(page, expected) - started)
        wait_until_idle(page)
        # Drop the block again: the next round starts with none picked.
        _click_block(page, point, block, "已选街区：0 个")
        wait_until_idle(page)
    return times


def measure(root: Path, home: Path, *, peer: bool, repeats: int) -> dict[str, list[float]]:
    """Click-to-preview times (s) of merges, drawn splits and moves on the app of `root`."""
    from playwright.sync_api import sync_playwright

    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    blocks = grid_blocks(grids, store.read("streets"), buildings=store.read("buildings"))
    street = grids["grid_code"].iloc[0][:9]
    merges, lines = _merges(grids, blocks, street), _lines(grids, blocks, street)
    moves = _moves(grids, blocks, street)
    with running_app(home, root=root) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1100})

        def edits() -> Any:  # a new session on the manual edits: no state of another's
            page = context.new_page()
            page.goto(f"{url}/grids")
            page.get_by_role("heading", name="网格调整").wait_for(timeout=120_000)
            wait_until_idle(page, timeout_ms=120_000)
            page.get_by_text("手动调整", exact=True).click()
            wait_until_idle(page, timeout_ms=120_000)
            return page

        page = edits()
        out = {"merge": _merge_times(page, merges, repeats)}
        out["drawn split"] = _draw_times(page, lines, repeats)
        page.close()
        out["move"] = _move_times(edits(), moves, repeats, peer=peer)
        browser.close()
    return out


def _peer_tree(commit: str, into: Path) -> Path:
    """The source tree of `commit` (``git archive``), to run the page as it was."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


#: The last commit whose Grids page drew its edit maps with st_folium (the peer).
PEER_COMMIT = "6171cc92a24adc4cf47dd2b853df1f280e54a37d"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--peer",
        default=None,
        help="commit whose page is the peer (default: the last page on st_folium maps)",
    )
    args = parser.parse_args()
    if chromium_path() is None:
        raise SystemExit("needs Debian's chromium")
    peer = args.peer or PEER_COMMIT
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        roots = {False: ROOT, True: _peer_tree(peer, Path(tmp))}
        for is_peer, root in roots.items():
            with tempfile.TemporaryDirectory() as work:
                home = Path(work)
                install_sample_workspace(home / "sample.gpkg")
                results[is_peer] = measure(root, home, peer=is_peer, repeats=args.repeats)
    print(f"click → preview on screen, median of {args.repeats} (ms); load {os.getloadavg()}")
    print(f"peer: the page at {peer[:10]} (st_folium maps)")
    print(f"{'edit':<12} {'this page':>10} {'peer':>8} {'ratio':>6}  (all runs of this page)")
    for edit in results[False]:
        ours = statistics.median(results[False][edit]) * 1000
        theirs = statistics.median(results[True][edit]) * 1000
        runs = " ".join(f"{t * 1000:.0f}" for t in results[False][edit])
        print(f"{edit:<12} {ours:>10.0f} {theirs:>8.0f} {theirs / ours:>6.1f}  ({runs})")


if __name__ == "__main__":
    main()
