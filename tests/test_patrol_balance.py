"""Balanced patrol routes: every unit used, the longest route shorter, the rules still held.

Minimising travel alone lets one unit take every stop when its shift has room. With
``balance`` the longest route (the last unit back) is shortened instead; the separate
simulator (:func:`gridmap.patrol.simulate.check_plan`) checks every timetable, window and
dwell of the balanced plans.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridmap import ValidationError
from gridmap.i18n import t
from gridmap.patrol import route_views
from gridmap.patrol.network import street_graph
from gridmap.patrol.routing import plan_patrol_routes
from gridmap.patrol.simulate import check_plan
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app
from tests.test_patrol_routing import assert_valid, city

SHIFT_MIN = 240
SCHOOLS = ("08:00", "16:00")


@pytest.fixture(scope="module")
def sample() -> dict:
    from gridmap import datasets

    store = GeoPackageStore(datasets.get_path("helsinki"))
    layers = {n: store.read(n) for n in ("streets", "posts", "sites")}
    layers["walk"] = street_graph(layers["streets"], mode="walk", crs=store.working_crs())
    layers["stops"] = route_views.candidate_stops(
        sites=layers["sites"], site_kinds=["school", "mall"], school_hours=SCHOOLS
    )
    return layers


def three_units(sample: dict, *, balance: bool) -> route_views.RoutePlan:
    """The seeded sample instance: three walking units from post P01, schools and malls."""
    return route_views.plan_routes(
        sample["walk"],
        sample["posts"],
        sample["stops"],
        start_posts=["P01"],
        units=3,
        shift_minutes=SHIFT_MIN,
        shift_start="08:00",
        time_limit=2,
        seed=0,
        balance=balance,
    )


def test_balanced_sample_routes_use_every_unit_and_end_sooner(sample: dict) -> None:
    plain = three_units(sample, balance=False).plan
    result = three_units(sample, balance=True)
    plan = result.plan
    assert plan.info["balanced"]
    assert [len(r.stops) > 0 for r in plan.routes] == [True, True, True]
    assert plan.makespan < plain.makespan
    # no stop is given up for the balance
    assert plan.dropped_value <= plain.dropped_value
    assert len(plan.dropped) <= len(plain.dropped)
    # the simulator agrees with every timetable, school window, dwell and the shift
    stops = sample["stops"]
    frame = pd.DataFrame(
        {
            "stop": stops["stop"],
            "node": np.flatnonzero(result.places.table["kind"] != "post"),
            "open": np.maximum((stops["opens"] - 8 * 60) * 60, 0),
            "close": np.minimum((stops["closes"] - 8 * 60) * 60, SHIFT_MIN * 60),
        }
    ).fillna({"open": 0.0, "close": SHIFT_MIN * 60.0})
    frame = frame[~frame["stop"].isin(result.dropped["stop"])]
    times = result.places.times
    assert check_plan(plan, times, frame, shift=SHIFT_MIN * 60, dwell=12 * 60) == []
    assert (plan.timetable()["dwell"].iloc[1:-1].isin([0.0, 12 * 60.0])).all()
    assert plan.makespan == max(r.timetable["arrive"].iloc[-1] for r in plan.routes)


def test_balance_keeps_required_stops_windows_and_own_dwells() -> None:
    _, times = city(16, seed=5, side=2000.0)
    rng = np.random.default_rng(5)
    opens = rng.uniform(0, 3600, 14)
    stops = pd.DataFrame(
        {
            "stop": [f"S{i}" for i in range(2, 16)],
            "node": range(2, 16),
            "dwell": rng.choice([300.0, 600.0, 900.0], 14),
            "open": opens,
            "close": opens + 5400,
        }
    )
    units = pd.DataFrame({"unit": ["A", "B", "C"], "start": [0, 0, 1]})
    shift = 8 * 3600
    plain = plan_patrol_routes(times, stops, units, shift=shift, time_limit=0.6)
    plan = plan_patrol_routes(times, stops, units, shift=shift, time_limit=0.6, balance=True)
    assert_valid(plan, times, stops, shift=shift)
    assert plan.dropped == []  # every stop is required
    assert plan.makespan <= plain.makespan + 1e-6
    assert all(r.stops for r in plan.routes)
    with pytest.raises(ValidationError, match="`balance`"):
        plan_patrol_routes(times, stops, units, shift=shift, balance="yes")  # type: ignore[arg-type]


def test_the_page_has_the_balance_box_and_plans_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    app = run_app(
        "app_pages/patrol_routes.py",
        pr_use_hotspots=False,
        pr_site_kinds=["school", "mall"],
        pr_starts=["P01"],
        pr_units=3,
        pr_balance=True,
    )
    box = app.checkbox(key="pr_balance.zh")
    assert box.label == "均衡分配各组任务"
    assert box.value
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["pr_routes_args"][2][-1] is True
    summary = next(d.value for d in app.dataframe if len(d.value) == 3)
    assert (summary[t("pr_col_stops", "zh")] > 0).all(), summary  # every unit has stops


def test_gridmap_patrol_route_balance(tmp_path: Path) -> None:
    workspace = install_sample_workspace(tmp_path / "ws.gpkg")

    command = [sys.executable, "-m", "gridmap.cli", "-w", str(workspace), "patrol", "route"]
    stops = ["--no-hotspots", "--site-kind", "school", "--site-kind", "mall"]

    def longest(*extra: str) -> float:
        proc = subprocess.run(
            [
                *command,
                "--start",
                "P01",
                "--units",
                "3",
                *stops,
                "-o",
                str(tmp_path / "out"),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        return float(re.search(r"longest route (\d+) min", proc.stdout).group(1))  # type: ignore[union-attr]

    assert longest("--balance") < longest()
    assert len(list((tmp_path / "out").glob("route_U*.gpx"))) == 3  # one per unit


def test_a_cap_no_route_can_meet_gives_no_plan_and_no_warning() -> None:
    """The bisection probes caps that cannot hold; PyVRP then pushes its penalties to their
    bound and warns. The probe must answer "no plan" quietly (pytest turns warnings into
    errors, and the page showed PyVRP's warning as an error box)."""
    from gridmap.patrol._route_pyvrp import _solve_pyvrp
    from gridmap.patrol._route_stops import _Stops

    tt = np.array([[0.0, 600.0, 900.0], [600.0, 0.0, 500.0], [900.0, 500.0, 0.0]])
    st = _Stops(
        ids=["a", "b"],
        node=np.array([1, 2]),
        dwell=np.array([60.0, 60.0]),
        priority=np.array([np.nan, np.nan]),  # both required
        open=np.array([0.0, 0.0]),
        close=np.array([7200.0, 7200.0]),
    )
    orders = _solve_pyvrp(tt, st, [0, 1], np.zeros(2), [0], [0], 7200.0, 0.5, 0, max_duration=60.0)
    assert orders == [[]]
