"""Randomised schedules: the constraints hold, days differ, visits follow risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridmap import ValidationError
from gridmap.patrol.routing import KOPER_WINDOW
from gridmap.patrol.schedules import (
    predictability,
    randomised_shift,
    randomised_week,
    schedule_gaps,
)

SHIFT = 8 * 3600


def setting(n: int = 6, seed: int = 0, side: float = 500.0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, side, (n + 1, 2))
    times = np.abs(xy[:, None] - xy[None]).sum(axis=2) / 1.3
    stops = pd.DataFrame(
        {
            "stop": [f"H{i}" for i in range(1, n + 1)],
            "node": range(1, n + 1),
            "risk": [4.0, 2.0, 1.0, 1.0, 1.0, 1.0][:n],
        }
    )
    return times, stops


def test_shift_keeps_gap_dwell_and_shift():
    times, stops = setting(4)
    visits = randomised_shift(times, stops, 0, shift=SHIFT, max_gap=7200, seed=3)
    assert schedule_gaps(visits, stops["stop"], shift=SHIFT, max_gap=7200) == []
    assert visits["dwell"].between(*KOPER_WINDOW).all()
    assert (visits["arrive"].diff().dropna() > 0).all()
    # legs are travel times: arrive = previous leave + travel
    prev = np.concatenate([[0], visits["node"].to_numpy()[:-1]])
    leave = np.concatenate([[0.0], visits["leave"].to_numpy()[:-1]])
    assert np.allclose(visits["arrive"], leave + times[prev, visits["node"]])
    back = visits["leave"].iloc[-1] + times[visits["node"].iloc[-1], 0]
    assert back <= SHIFT


def test_week_days_differ_and_are_seeded():
    times, stops = setting(4)
    a = randomised_week(times, stops, 0, days=7, seed=1, shift=SHIFT, max_gap=7200)
    b = randomised_week(times, stops, 0, days=3, seed=1, shift=SHIFT, max_gap=7200)
    pd.testing.assert_frame_equal(a[a["day"] < 3].reset_index(drop=True), b)
    orders = {tuple(g["stop"]) for _, g in a.groupby("day")}
    assert len(orders) == 7
    for _, day in a.groupby("day"):
        assert schedule_gaps(day, stops["stop"], shift=SHIFT, max_gap=7200) == []


def test_visits_follow_risk():
    times, stops = setting()
    week = randomised_week(times, stops, 0, days=7, seed=2, shift=SHIFT)
    counts = week["stop"].value_counts()
    share = counts / counts.sum()
    expected = stops.set_index("stop")["risk"] / stops["risk"].sum()
    assert share["H1"] > share["H2"] > share[["H3", "H4", "H5", "H6"]].max()
    assert np.abs(share.reindex(expected.index) - expected).max() < 0.08


def test_predictability_randomised_beats_fixed():
    times, stops = setting(4)
    week = randomised_week(times, stops, 0, days=7, seed=4, shift=SHIFT, max_gap=7200)
    fixed_day = week[week["day"] == 0]
    fixed = pd.concat([fixed_day.assign(day=d) for d in range(7)], ignore_index=True)
    score_random, per_stop = predictability(week, shift=SHIFT)
    score_fixed, _ = predictability(fixed, shift=SHIFT)
    assert 0 <= score_random < score_fixed <= 1
    assert set(per_stop["stop"]) == set(stops["stop"])
    same = pd.DataFrame({"stop": ["a"] * 5, "arrive": [600.0] * 5})
    assert predictability(same, shift=SHIFT)[0] == pytest.approx(1.0)
    spread = pd.DataFrame({"stop": ["a"] * 4, "arrive": [0.0, 3600, 7200, 10800]})
    assert predictability(spread, shift=SHIFT)[0] == pytest.approx(0.0)


def test_impossible_gap_is_an_error():
    times, stops = setting(6, side=6000)
    with pytest.raises(ValidationError, match=r"`max_gap` of 30 min cannot be kept"):
        randomised_shift(times, stops, 0, shift=SHIFT, max_gap=1800, seed=0)


def test_bad_stops():
    times, stops = setting()
    with pytest.raises(ValidationError, match="`risk` must be a positive"):
        randomised_shift(times, stops.assign(risk=0), 0)
    with pytest.raises(ValidationError, match="`node` must be rows"):
        randomised_shift(times, stops.assign(node=99), 0)


def test_an_unkept_two_hour_rule_is_said_in_chinese_too() -> None:
    # A new user read the reason in developer English inside a Chinese sentence.
    from gridmap.i18n import localize

    times, stops = setting(6, side=6000)
    with pytest.raises(ValidationError) as caught:
        randomised_shift(times, stops, 0, shift=SHIFT, max_gap=1800, seed=0)
    zh = localize(caught.value, "zh")
    assert "每 30 分钟至少被巡到一次" in zh
    assert "max_gap" not in zh
    assert "`max_gap` of 30 min cannot be kept" in localize(caught.value, "en")


def test_visits_spread_as_evenly_as_possible_score_zero_not_minus_zero() -> None:
    # five visits in five different 30-minute bins: entropy at its largest, and the
    # floating-point ratio is a hair above 1 (the CSV printed "-0.0")
    visits = pd.DataFrame({"stop": ["H1"] * 5, "arrive": np.arange(5) * 1800.0 + 60})
    score, per_stop = predictability(visits, shift=SHIFT)
    assert score == 0.0
    assert not np.signbit(score)
    assert str(round(score, 2)) == "0.0"
    assert per_stop["entropy"].iloc[0] == pytest.approx(1.0)
