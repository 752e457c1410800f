"""What a page change costs the browser: the Overview's map in the page vs in an iframe.

Issue #10 "Load": with 20 browsers on the server's machine, the browsers' CPU decides the
time to a drawn map. A Streamlit page change costs Chromium about a second of CPU here,
most of it the Overview's folium map in streamlit-folium's iframe (a new document per
mount: Leaflet and every plugin parsed and compiled again). app_pages/_maps.py now draws
maps that only show in the page itself (app_pages/_edit_map.py).

Two servers on the bundled sample, one with ``GRIDMAP_IFRAME_MAPS=1`` (the peer: maps in
st_folium's iframe, as before) and one without, and one Chromium each. Each round, in
turn on each, one page change Overview → Data → Overview, after a warm-up round; the CPU
seconds of that browser (its processes, from /proc; also those of the way back to the
Overview alone) and of that server, and the time from the click back to the drawn map,
are one sample.

Run: python bench/bench_view_maps.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._procs import Processes, is_chromium, mine, processes  # noqa: E402
from tests.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    chromium_path,
    map_frame,
    running_app,
    wait_until_idle,
)

MODES = {"iframe (st_folium)": "1", "in the page": ""}


def _browser_cpu(procs: Processes) -> dict[int, float]:
    """CPU seconds of each Chromium of ours, by its browser process (the topmost chromium)."""
    totals: dict[int, float] = {}
    for pid, (_, cmd, seconds) in procs.items():
        if not is_chromium(cmd) or not mine(procs, pid):
            continue
        top = pid
        while procs.get(procs[top][0], (0, "", 0.0))[1] and is_chromium(procs[procs[top][0]][1]):
            top = procs[top][0]
        totals[top] = totals.get(top, 0.0) + seconds
    return totals


def _server_cpu(procs: Processes, port: str) -> float:
    return sum(
        s
        for pid, (_, cmd, s) in procs.items()
        if "streamlit" in cmd and f" {port} " in cmd and mine(procs, pid)
    )


@contextlib.contextmanager
def _server(home: Path, iframe: str) -> Iterator[str]:
    """The app under `home`, with ``GRIDMAP_IFRAME_MAPS`` set to `iframe` at its start."""
    before = os.environ.get("GRIDMAP_IFRAME_MAPS")
    os.environ["GRIDMAP_IFRAME_MAPS"] = iframe
    try:
        with running_app(home, timeout=120) as url:
            if before is None:
                os.environ.pop("GRIDMAP_IFRAME_MAPS")
            else:
                os.environ["GRIDMAP_IFRAME_MAPS"] = before
            yield url
    finally:
        if before is None:
            os.environ.pop("GRIDMAP_IFRAME_MAPS", None)


def _round(page, halfway: list | None = None) -> tuple[float, float]:  # type: ignore[no-untyped-def, type-arg]
    """Overview → Data → Overview; the seconds from the click back to the drawn map.

    `halfway` gets the processes' CPU once the Data page is shown.
    """
    page.get_by_role("link", name="数据").click()
    page.get_by_role("heading", name="上传文件").wait_for(timeout=60_000)
    wait_until_idle(page, timeout_ms=60_000)
    if halfway is not None:
        halfway.append(processes())
    start = time.perf_counter()
    page.get_by_role("link", name="总览").click()
    map_frame(page, timeout_ms=60_000)
    drawn = time.perf_counter() - start
    wait_until_idle(page, timeout_ms=60_000)
    return drawn, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if chromium_path() is None:
        print("chromium not installed (apt-get install chromium)")
        return 1
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()[0]
    samples: dict[str, list[tuple[float, float, float, float]]] = {mode: [] for mode in MODES}
    with contextlib.ExitStack() as stack:
        urls = {
            mode: stack.enter_context(
                _server(Path(stack.enter_context(tempfile.TemporaryDirectory())), flag)
            )
            for mode, flag in MODES.items()
        }
        pw = stack.enter_context(sync_playwright())
        pages, browsers = {}, {}
        for mode, url in urls.items():
            known = set(_browser_cpu(processes()))
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            (browsers[mode],) = set(_browser_cpu(processes())) - known
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            pages[mode] = context.new_page()
            pages[mode].goto(url)
            map_frame(pages[mode], timeout_ms=120_000)
            wait_until_idle(pages[mode], timeout_ms=120_000)
            _round(pages[mode])  # warm-up: the Data page's code compiled once
        for _ in range(args.rounds):
            for mode, page in pages.items():
                port = urls[mode].rsplit(":", 1)[1]
                before, halfway = processes(), []
                drawn, _ = _round(page, halfway)
                after = processes()
                cpu = [_browser_cpu(p)[browsers[mode]] for p in (before, halfway[0], after)]
                server_s = _server_cpu(after, port) - _server_cpu(before, port)
                samples[mode].append((cpu[2] - cpu[0], cpu[2] - cpu[1], server_s, drawn))
    print(
        f"Overview → Data → Overview on the sample, {args.rounds} rounds each, alternating"
        f" (1-min load {load:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores):"
    )
    for mode, rows in samples.items():
        browser_s, back_s, server_s, drawn = (sorted(c) for c in zip(*rows, strict=True))
        print(
            f"  {mode:20s} browser CPU median {statistics.median(browser_s):.2f} s"
            f" (min {browser_s[0]:.2f}, max {browser_s[-1]:.2f};"
            f" the way back to the Overview {statistics.median(back_s):.2f} s),"
            f" server CPU median {statistics.median(server_s):.2f} s,"
            f" back to the drawn map median {statistics.median(drawn):.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
