"""Time the Coverage & posts page's refresh after a post is moved by a click, on the sample.

What the page does after the click (its caches warm: street graphs per mode, sites and
incidents snapped to each mode's streets, the report of the current posts, the map of the
current coverage in the browser): one :func:`gridmap.patrol.views.edit_what_if` and the
layer laid over the map (:func:`gridmap.patrol.views.what_if_overlay`) rendered to the
script ``st_folium`` sends. The peer is the same refresh without those caches: graphs built,
points snapped and both reports computed from the layers (``coverage.coverage_change``
straight on the streets), then the same map. Every move goes to a different intersection
(seeded), so no result is reused between rounds.

Target (issue "Police …"): refresh after moving a post on the sample ≤ 2 s. Wall and CPU
time are both printed: on a machine shared with other work the wall time grows with the
load average (printed too), the CPU time does not.

``--browser N`` then times the same refresh as a person sees it, in Debian's Chromium
(offline, ``tests/browser.py``): on the page's what-if view, "move a post" chosen, N clicks
on the map at seeded street intersections, each timed from the click until the map's
frame shows the moved post (the highlighted marker) at the new place — the page's rerun,
streamlit-folium's 250 ms wait before it reports a click, the new map sent and drawn.

    .venv/bin/python bench/bench_coverage_page.py [--rounds 5] [--browser 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import folium
import numpy as np
from streamlit_folium import _get_feature_group_string

from gridmap.datasets import get_path
from gridmap.patrol import coverage, views
from gridmap.patrol.network import street_graphs
from gridmap.store import GeoPackageStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--browser", type=int, default=0, help="clicks timed in Chromium")
    args = parser.parse_args()
    store = GeoPackageStore(get_path("helsinki"), create=False)
    layers = {n: store.read(n) for n in ("streets", "sites", "incidents", "grids", "buildings")}
    posts = store.read("posts")
    crs = store.working_crs()
    print(
        f"sample: {len(posts)} posts, {len(layers['sites'])} key sites, "
        f"{len(layers['incidents']):,} incidents, {len(layers['streets']):,} street rows"
    )

    start = time.perf_counter()
    graphs = views.build_graphs(layers["streets"], crs=crs)
    patrol = views.prepare(graphs, **layers, posts=posts)
    before = views.coverage(patrol, posts, "posts")
    print(f"page caches (once per layer version)  {time.perf_counter() - start:6.2f} s")

    nodes = views.intersections(patrol).to_crs("EPSG:4326")
    host = folium.Map(location=[0, 0], zoom_start=1, tiles=None)
    rng = np.random.default_rng(0)
    picks = rng.choice(len(nodes), size=2 * args.rounds, replace=False)
    ids = posts["post_id"].astype(str).tolist()
    cached, peer, sent, cpu, peer_cpu = [], [], [], [], []
    for r in range(args.rounds):
        post = ids[r % len(ids)]
        # The page: a click gives WGS-84 degrees; everything else is cached.
        point = nodes.geometry.iloc[picks[2 * r]]
        edit = views.Edit("posts", "move", post, (point.x, point.y))
        start, cpu_start = time.perf_counter(), time.process_time()
        result = views.edit_what_if(patrol, posts, "posts", edit, before=before)
        # The map of the current coverage is in the browser already: the what-if is a
        # layer laid over it, sent as st_folium's feature group.
        layer = views.what_if_overlay(patrol, before, result, edit, lang="zh")
        html = _get_feature_group_string(layer, map=host, idx=0)
        cached.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        sent.append(len(html.encode()) / 2**20)
        # The peer: the same kind of move, nothing cached.
        point = nodes.geometry.iloc[picks[2 * r + 1]]
        edit = views.Edit("posts", "move", post, (point.x, point.y))
        start, cpu_start = time.perf_counter(), time.process_time()
        fresh = street_graphs(layers["streets"], crs=crs, modes=views.TRAVEL_MODES)
        moved, _ = views.apply_edit(posts, edit)
        change = coverage.coverage_change(
            fresh,
            posts,
            move={post: moved.set_index("post_id").geometry[post]},
            sites=layers["sites"],
            incidents=layers["incidents"],
            grids=layers["grids"],
        )
        bare = views.Patrol(graphs=fresh, posts=posts, **layers)  # the map needs no snaps
        fmap = views.coverage_map(bare, change.after, posts, lang="zh", changed=change.posts)
        fmap.get_root().render()
        peer.append(time.perf_counter() - start)
        peer_cpu.append(time.process_time() - cpu_start)
        print(
            f"  round {r + 1}: page {cached[-1]:5.2f} s ({cpu[-1]:.2f} s CPU)   "
            f"without caches {peer[-1]:5.2f} s ({peer_cpu[-1]:.2f} s CPU)"
        )
    page_s, peer_s = statistics.median(cached), statistics.median(peer)
    page_cpu, bare_cpu = statistics.median(cpu), statistics.median(peer_cpu)
    print(
        f"refresh after moving a post (median of {args.rounds}): {page_s:.2f} s wall, "
        f"{page_cpu:.2f} s CPU (target ≤ 2 s), {statistics.median(sent):.2f} MB to the browser"
    )
    print(
        f"without the caches: {peer_s:.2f} s wall, {bare_cpu:.2f} s CPU — the page is "
        f"{peer_s / page_s:.1f}× faster (CPU {bare_cpu / page_cpu:.1f}×)"
    )
    # On a shared machine wall time grows with the load; CPU time is the work done.
    print(f"load average now: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if args.browser:
        times = browser_refresh(args.browser)
        runs = " ".join(f"{t * 1000:.0f}" for t in times)
        print(
            f"in Chromium, click on the map → moved post drawn (median of {len(times)}): "
            f"{statistics.median(times):.2f} s (target ≤ 2 s; runs ms: {runs}); "
            f"load {', '.join(f'{v:.1f}' for v in os.getloadavg())}"
        )


#: Where the highlighted (added or moved) post is on the map: [lat, lng], or null.
MOVED_JS = """() => {
  const map = Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded);
  if (!map) return null;
  const moved = Object.values(map._layers).filter(
    l => l instanceof L.CircleMarker && l.options.radius === 9);
  return moved.length === 1 ? [moved[0].getLatLng().lat, moved[0].getLatLng().lng] : null;
}"""


def browser_refresh(clicks: int) -> list[float]:
    """Seconds from a click on the what-if map to the moved post drawn, `clicks` times."""
    import sys
    import tempfile
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.browser import (
        CHROMIUM_ARGS,
        MAP_IFRAME,
        _map_frame_when,
        chromium_path,
        running_app,
        wait_until_idle,
    )

    if chromium_path() is None:
        raise SystemExit("--browser needs Debian's chromium")
    rng = np.random.default_rng(1)
    times = []
    with (
        tempfile.TemporaryDirectory() as work,
        running_app(Path(work)) as url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1500, "height": 1100}).new_page()
        page.goto(f"{url}/coverage")
        page.get_by_role("heading", name="覆盖与站点").wait_for(timeout=150_000)
        wait_until_idle(page, timeout_ms=150_000)
        page.get_by_text("假设调整岗位", exact=True).click()
        wait_until_idle(page, timeout_ms=150_000)
        page.get_by_text("移动岗位", exact=True).click()
        page.get_by_text("在左侧地图上点击新位置").wait_for(timeout=150_000)
        wait_until_idle(page, timeout_ms=150_000)
        last = None
        for _ in range(clicks):
            _map_frame_when(page, "() => true", None, 150_000, "the what-if map")
            box = page.locator(MAP_IFRAME).first.bounding_box()
            # Inside the map, away from its edges and controls; a new place each time.
            fx, fy = rng.uniform(0.3, 0.7, 2)
            started = time.perf_counter()
            page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            moved = (
                f"(last) => {{ const p = ({MOVED_JS})(); "
                "return !!p && JSON.stringify(p) !== JSON.stringify(last); }"
            )
            frame = _map_frame_when(page, moved, last, 150_000, "the moved post")
            times.append(time.perf_counter() - started)
            last = frame.evaluate(MOVED_JS)
            wait_until_idle(page, timeout_ms=150_000)
        browser.close()
    return times


if __name__ == "__main__":
    main()
