"""Cold start of the app to the first map on the bundled sample (target ≤ 5 s).

Measures, in Debian's chromium driven by Playwright with every outside request blocked:
  * cold: from launching ``streamlit run`` (fresh GRIDMAP_HOME, so the sample workspace is
    installed too) until Leaflet has drawn the grid polygons;
  * warm: a page reload on the running server until the polygons are drawn again.
Prints both, and the ratio of each to the 5 s target.

Run: python bench/bench_coldstart.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    block_outside_requests,
    chromium_path,
    map_frame,
    running_app,
)

TARGET_S = 5.0


def one_run(pw) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    try:
        with tempfile.TemporaryDirectory() as home:
            start = time.perf_counter()
            with running_app(Path(home)) as url:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                outside: list[str] = []
                block_outside_requests(context, outside)
                page = context.new_page()
                page.goto(url)
                map_frame(page, timeout_ms=60_000)
                cold = time.perf_counter() - start
                start = time.perf_counter()
                page.reload()
                map_frame(page, timeout_ms=60_000)
                warm = time.perf_counter() - start
                if outside:
                    msg = f"the app reached outside: {outside[:3]}"
                    raise RuntimeError(msg)
    finally:
        browser.close()
    return cold, warm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if chromium_path() is None:
        print("chromium not installed (apt-get install chromium)")
        return 1
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        results = [one_run(pw) for _ in range(args.runs)]
    cold = min(r[0] for r in results)
    warm = min(r[1] for r in results)
    cold_median = statistics.median(r[0] for r in results)
    print(
        f"cold start to first map: best {cold:.2f} s, median {cold_median:.2f} s of "
        f"{args.runs} (all: {', '.join(f'{r[0]:.2f}' for r in results)}); "
        f"ratio to the {TARGET_S:.0f} s target {cold / TARGET_S:.2f} (median "
        f"{cold_median / TARGET_S:.2f})"
    )
    print(f"warm reload to map:      best {warm:.2f} s; ratio to target {warm / TARGET_S:.2f}")
    return 0 if cold <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
