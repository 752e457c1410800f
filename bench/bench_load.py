"""Many users at once: N concurrent browser sessions against one server (target p95 ≤ 3 s).

Starts one ``streamlit run`` on the bundled sample (or on ``--workspace``, a ``.gpkg`` path
or a ``postgresql://`` URL) and Debian's chromium, one browser context per session (each
its own Streamlit session and cookies). With ``--accounts``, each session signs in as a
different role and area scope (accounts made for the run in a copy of the workspace).
Two phases, each timed as "time to a drawn map" (Leaflet has drawn the grid polygons):

1. **Arrival**: all N sessions open the app at the same instant, cold (an empty browser
   cache each, so every one downloads and compiles Streamlit's frontend).
2. **Work**: the N sessions stay open and work for ``--work-seconds``: each, after a
   think time (exponential, mean ``--think`` seconds), goes to another page, and after
   another think time back to the Overview; the time from that click to the drawn map is
   one sample. This is N people using one server at once, as a load test counts users.

The browsers run on the same machine as the server, so their CPU time (printed, from
/proc) competes with the server's: on a small machine the arrival of N cold browsers at
once measures mostly the browsers. The peer is one session alone on the same server.

3. **The server alone**: N sessions without a browser (:mod:`bench._stream_client`,
   Streamlit's own websocket protocol) do the same work, so the server's share is
   measured without N browsers on its cores, as when every person has their own PC:
   the time from asking for the Overview to the server's last message of that run, which
   carries the map. With ``--accounts`` they sign in through a trusted single sign-on
   header, as behind an intranet's reverse proxy. ``--clients browser|server|both``.

Maps that only show are drawn in the page itself (app_pages/_maps.py); ``--iframe-maps``
runs the server with ``GRIDMAP_IFRAME_MAPS=1``, its maps in ``st_folium``'s iframes as
before (the peer of that change).

Run: python bench/bench_load.py [--sessions 20] [--workspace PATH_OR_URL] [--accounts]
     [--work-seconds 90] [--think 10] [--clients both] [--iframe-maps]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._procs import is_chromium, mine, processes  # noqa: E402
from gridmap.store import install_sample_workspace, is_database_url  # noqa: E402
from tests.browser import (  # noqa: E402
    ANY_MAP,
    CHROMIUM_ARGS,
    GRID_POLYGONS_JS,
    MAP_IFRAME,
    OWN_MAP,
    chromium_path,
    running_app,
)

TARGET_P95_S = 3.0
#: The single sign-on header the browser-less sessions sign in with (phase 3).
SSO_HEADER = "X-Gridmap-Load-User"
#: (until signed in, from signed in to the drawn map) of each session, seconds.
PHASES: list[tuple[float, float]] = []
#: CPU seconds used by the server and by the browsers, per phase.
CPU: dict[str, tuple[float, float]] = {}
#: Phase 3's peer: one browser-less session's return to the Overview, alone.
STREAM_ALONE: list[float] = []


async def _map_drawn(page, timeout_s: float) -> None:  # type: ignore[no-untyped-def]
    """Wait until a new map (none marked ``data-old``) shows drawn grid polygons.

    The map is drawn in the page itself (app_pages/_edit_map) or, with
    ``GRIDMAP_IFRAME_MAPS=1``, in streamlit-folium's iframe, looked up afresh.
    """
    deadline = time.monotonic() + timeout_s
    condition = f"() => ({GRID_POLYGONS_JS})() > 0"
    fresh = ", ".join(f"{selector}:not([data-old])" for selector in (MAP_IFRAME, OWN_MAP))
    while time.monotonic() < deadline:
        try:
            element = await page.wait_for_selector(fresh, timeout=2000)
            if element is not None and await element.evaluate(f"e => e.matches({OWN_MAP!r})"):
                # In the page: GRID_POLYGONS_JS finds the map its element keeps.
                await page.wait_for_function(condition, timeout=2000)
                return
            frame = await element.content_frame() if element else None
            if frame is not None:
                await frame.wait_for_function(condition, timeout=2000)
                return
        except Exception:  # not there yet, or re-mounted meanwhile
            await asyncio.sleep(0.05)
    msg = "the map was never drawn"
    raise TimeoutError(msg)


#: Pages a session leaves the Overview for, first that its role may open.
AWAY_PAGES = ("data", "warnings_report", "grids")


async def _open(browser, url: str, sign_in: Callable | None, who: int, timeout_s: float):  # type: ignore[no-untyped-def]
    """Open the app in a new context (cold cache), sign in, wait for the drawn map."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})

    async def local_only(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            await route.continue_()
        else:
            await route.abort()

    await context.route("**/*", local_only)
    page = await context.new_page()
    page.set_default_timeout(timeout_s * 1000)  # a loaded machine: not Playwright's 30 s
    start = time.perf_counter()
    await page.goto(url)
    signed = 0.0
    if sign_in is not None:
        await sign_in(page, who)
        signed = time.perf_counter() - start
    await _map_drawn(page, timeout_s)
    total = time.perf_counter() - start
    PHASES.append((signed, total - signed))
    return context, page, total


async def _nav_link(page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-testid=stSidebarNav] a[href$='/{name}']").first


async def _work(page, *, until: float, think_s: float, seed: int, timeout_s: float) -> list[float]:  # type: ignore[no-untyped-def]
    """Leave the Overview and come back, with think times, until `until`; the times back."""
    rng = random.Random(seed)
    away = None
    for name in AWAY_PAGES:
        if await (await _nav_link(page, name)).count():
            away = await _nav_link(page, name)
            break
    home = page.locator("[data-testid=stSidebarNav] a").first
    times: list[float] = []
    if away is None:
        return times
    while time.monotonic() < until:
        await asyncio.sleep(rng.expovariate(1 / think_s))
        await away.click()
        await page.locator(ANY_MAP).first.wait_for(state="detached", timeout=timeout_s * 1000)
        await asyncio.sleep(rng.expovariate(1 / think_s))
        # Any map the other page drew is marked, so only the Overview's new map counts.
        await page.evaluate(
            "sel => document.querySelectorAll(sel).forEach(f => f.dataset.old = '1')", ANY_MAP
        )
        start = time.perf_counter()
        await home.click()
        await _map_drawn(page, timeout_s)
        times.append(time.perf_counter() - start)
    return times


async def _run(url: str, sessions: int, sign_in: Callable | None, args):  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context, _, alone = await _open(browser, url, sign_in, 0, args.timeout)
            await context.close()
            before = _cpu_seconds()
            opened = await asyncio.gather(
                *(_open(browser, url, sign_in, i, args.timeout) for i in range(sessions)),
                return_exceptions=True,
            )
            arrivals = [o if isinstance(o, BaseException) else o[2] for o in opened]
            pages = [o[1] for o in opened if not isinstance(o, BaseException)]
            CPU["arrival"] = _minus(_cpu_seconds(), before)
            before = _cpu_seconds()
            until = time.monotonic() + args.work_seconds
            worked = await asyncio.gather(
                *(
                    _work(p, until=until, think_s=args.think, seed=i, timeout_s=args.timeout)
                    for i, p in enumerate(pages)
                ),
                return_exceptions=True,
            )
            CPU["working"] = _minus(_cpu_seconds(), before)
        finally:
            await browser.close()
    return alone, arrivals, worked


async def _stream_work(  # type: ignore[no-untyped-def]
    url: str, i: int, *, until: float, think_s: float, headers: dict[str, str]
) -> list[float]:
    """One browser-less session (:mod:`bench._stream_client`) doing what `_work` does.

    The time of each return to the Overview runs from asking for the page to the server's
    last message of the run, which carries the map; a run without a map, or with an
    error shown, fails the session.
    """
    from bench._stream_client import StreamSession

    rng = random.Random(i)
    times: list[float] = []
    async with StreamSession(url, headers=headers) as session:
        first = await session.run()
        if not first.maps or first.exceptions:
            msg = f"session {i}: the first Overview had no map or an error {first.exceptions}"
            raise RuntimeError(msg)
        away = next((p for p in AWAY_PAGES if p in session.pages), None)
        if away is None:
            return times
        while time.monotonic() < until:
            await asyncio.sleep(rng.expovariate(1 / think_s))
            await session.run(away)
            await asyncio.sleep(rng.expovariate(1 / think_s))
            back = await session.run("")
            if not back.maps or back.exceptions:
                msg = f"session {i}: the Overview came back without its map {back.exceptions}"
                raise RuntimeError(msg)
            times.append(back.seconds)
    return times


async def _run_streams(url: str, sessions: int, accounts: bool, args):  # type: ignore[no-untyped-def]
    """Phase 3: `sessions` browser-less sessions working at once (the server alone)."""
    from bench._load_accounts import account_name
    from bench._stream_client import StreamSession

    headers = {SSO_HEADER: account_name(0)} if accounts else {}
    async with StreamSession(url, headers=headers) as alone:
        await alone.run()
        await alone.run(next((p for p in AWAY_PAGES if p in alone.pages), ""))
        STREAM_ALONE.append((await alone.run()).seconds)
    before = _cpu_seconds()
    until = time.monotonic() + args.work_seconds
    worked = await asyncio.gather(
        *(
            _stream_work(
                url,
                i,
                until=until,
                think_s=args.think,
                headers={SSO_HEADER: account_name(i)} if accounts else {},
            )
            for i in range(sessions)
        ),
        return_exceptions=True,
    )
    CPU["server alone"] = _minus(_cpu_seconds(), before)
    return worked


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds so far of this process's descendants: (the server, the browsers).

    The server is the ``streamlit`` process, the browsers every Chromium process
    (Playwright's Chromium and its renderers).
    """
    procs = processes()
    server = browsers = 0.0
    for pid, (_, cmd, seconds) in procs.items():
        if not mine(procs, pid):
            continue
        if "streamlit" in cmd:
            server += seconds
        elif is_chromium(cmd):
            browsers += seconds
    return server, browsers


def _minus(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return a[0] - b[0], a[1] - b[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--workspace", help="a .gpkg path or a postgresql:// URL")
    parser.add_argument("--accounts", action="store_true", help="sign in as different roles")
    parser.add_argument("--timeout", type=float, default=120.0, help="per session, seconds")
    parser.add_argument("--work-seconds", type=float, default=90.0, help="phase 2 length")
    parser.add_argument("--think", type=float, default=10.0, help="mean think time, seconds")
    parser.add_argument(
        "--clients",
        choices=("browser", "server", "both"),
        default="both",
        help="browsers (phases 1-2), browser-less sessions (phase 3), or both",
    )
    parser.add_argument(
        "--iframe-maps",
        action="store_true",
        help="the server shows display maps in st_folium's iframe (GRIDMAP_IFRAME_MAPS=1)",
    )
    args = parser.parse_args()
    if args.iframe_maps:  # the server started below inherits this process's environment
        os.environ["GRIDMAP_IFRAME_MAPS"] = "1"
    if chromium_path() is None:
        print("chromium not installed (apt-get install chromium)")
        return 1
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as home:
        # The server opens a copy of a .gpkg (the accounts go into the copy), or the
        # PostGIS workspace itself (make a copy first with `gridmap copy`).
        workspace: Path | str
        if args.workspace and is_database_url(args.workspace):
            workspace = args.workspace
        elif args.workspace:
            workspace = Path(home) / Path(args.workspace).name
            shutil.copy(args.workspace, workspace)
        else:
            workspace = install_sample_workspace(Path(home) / "sample.gpkg")
        sign_in = None
        if args.accounts:
            from bench._load_accounts import prepare_accounts

            sign_in = prepare_accounts(workspace, args.sessions)
        if args.accounts and args.clients != "browser":
            # Trusted for the browser-less sessions, as an intranet's proxy would set it;
            # the browsers still sign in through the form.
            from gridmap.access._accounts import TRUSTED_HEADER_ENV

            os.environ[TRUSTED_HEADER_ENV] = SSO_HEADER
        streams: list = []  # type: ignore[type-arg]
        alone, arrivals, worked = 0.0, [], []  # type: ignore[var-annotated]
        with running_app(Path(home), workspace=workspace, timeout=120) as url:  # type: ignore[arg-type]
            if args.clients != "server":
                alone, arrivals, worked = asyncio.run(_run(url, args.sessions, sign_in, args))
            if args.clients != "browser":
                streams = asyncio.run(_run_streams(url, args.sessions, args.accounts, args))
    where = args.workspace or "the bundled sample"
    signed = " (signed in, several roles)" if args.accounts else ""
    after = os.getloadavg()[0]
    maps = "st_folium's iframes" if args.iframe_maps else "the page itself"
    print(f"{args.sessions} concurrent sessions on {where}{signed}, maps in {maps}:")
    ok = True
    if args.clients != "server":
        ok &= _report_browsers(args, alone, arrivals, worked)
    if args.clients != "browser":
        samples = [t for w in streams if isinstance(w, list) for t in w]
        peer = STREAM_ALONE[0] if STREAM_ALONE else float("nan")
        print(
            "  3. the server alone: browser-less sessions, the same work; time from asking"
            " for the Overview to the server's last message of it (the map's included)"
        )
        print(f"     one such session alone (the peer): {peer:.2f} s")
        ok &= _report(
            f"   working ({args.work_seconds:.0f} s, think time {args.think:.0f} s)",
            samples,
            streams,
            peer,
        )
        _print_cpu("server alone", len(samples))
    print(
        f"machine load (1-min average) {before:.1f} before, {after:.1f} after,"
        f" on {os.cpu_count()} cores"
    )
    return 0 if ok else 1


def _report_browsers(args, alone: float, arrivals: list, worked: list) -> bool:  # type: ignore[no-untyped-def, type-arg]
    """Phases 1 and 2: the time to a map drawn in the browsers."""
    print("  time to a drawn map in the browsers:")
    print(f"  one session alone (the peer): {alone:.2f} s")
    ok = True
    arrived = [r for r in arrivals if isinstance(r, float)]
    ok &= _report("1. arrival, all at once, cold", arrived, arrivals, alone)
    _print_cpu("arrival", len(arrived))
    if args.accounts and PHASES:
        before_map, to_map = zip(*PHASES, strict=True)
        print(
            f"     median until signed in {statistics.median(before_map):.2f} s,"
            f" then to the drawn map {statistics.median(to_map):.2f} s"
        )
    samples = [t for w in worked if isinstance(w, list) for t in w]
    ok &= _report(
        f"2. working ({args.work_seconds:.0f} s, think time {args.think:.0f} s)",
        samples,
        worked,
        alone,
    )
    _print_cpu("working", len(samples))
    return ok


def _print_cpu(phase: str, samples: int) -> None:
    if phase in CPU and samples:
        server, browsers = CPU[phase]
        if phase == "server alone":
            print(
                f"     server CPU per sample (the page away and back):"
                f" {server / samples:.2f} s ({server:.0f} s in all)"
            )
            return
        print(
            f"     CPU per drawn map: server {server / samples:.2f} s,"
            f" browsers {browsers / samples:.2f} s ({server:.0f} s and {browsers:.0f} s in all,"
            f" on {os.cpu_count()} cores)"
        )


def _report(title: str, times: list[float], results: list, alone: float) -> bool:  # type: ignore[type-arg]
    failed = [r for r in results if isinstance(r, BaseException)]
    if not times:
        print(f"  {title}: no sample; failed {len(failed)} {failed[:2]!r}")
        return False
    p50, p95 = statistics.median(times), _percentile(times, 95)
    print(
        f"  {title}: {len(times)} samples, p50 {p50:.2f} s, p95 {p95:.2f} s,"
        f" max {max(times):.2f} s; failed {len(failed)}; p95/alone {p95 / alone:.1f},"
        f" p95/target {p95 / TARGET_P95_S:.2f}"
    )
    for error in failed[:2]:
        print(f"     failed: {error!r}")
    return p95 <= TARGET_P95_S and not failed


if __name__ == "__main__":
    raise SystemExit(main())
