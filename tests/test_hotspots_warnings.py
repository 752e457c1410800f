"""Tests of gridmap.hotspots.warnings on constructed weekly series, cross-checked with
scipy.stats.poisson / nbinom / binomtest computed independently here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gridmap._errors import ValidationError
from gridmap.hotspots.warnings import change_table, early_warnings, poisson_binomial_p

NOW = pd.Timestamp("2025-06-30 00:00")


def weekly(series: dict[tuple[str, str], list[int]]) -> pd.DataFrame:
    """Incidents from weekly counts per (grid, category): counts[0] is the recent week,
    counts[1:] the weeks before; each incident in the middle of its week."""
    rows = []
    for (grid, category), counts in series.items():
        for week, n in enumerate(counts):
            for i in range(n):
                when = NOW - pd.Timedelta(days=7 * week + 3.5) + pd.Timedelta(minutes=i)
                rows.append((grid, category, when))
    return pd.DataFrame(rows, columns=["grid_code", "category", "occurred_at"])


def test_poisson_p_values_and_levels_match_scipy():
    series = {
        ("g1", "dispute"): [8, 2, 3, 2, 3, 2, 3, 2, 3],  # mean 2.5, var 0.29: Poisson
        ("g2", "theft"): [4, 2, 2, 2, 2, 2, 2, 2, 2],  # mean 2: p = P(X>=4) = 0.14 → none
        ("g3", "fight"): [2, 0, 0, 0, 0, 0, 0, 0, 0],  # 0 → 2: below the minimum count
        ("g4", "noise"): [1, 0, 0, 0, 0, 0, 0, 0, 0],  # 0 → 1: never a warning
    }
    got = early_warnings(weekly(series), now=NOW, include_all=True).set_index("grid_code")
    assert got.loc["g1", "p_value"] == pytest.approx(stats.poisson.sf(7, 2.5))
    assert got.loc["g1", "level"] == "red"
    assert got.loc["g1", "model"] == "poisson"
    assert got.loc["g1", "change_pct"] == pytest.approx(220)
    assert got.loc["g1", "reason_zh"] == "矛盾纠纷 较前8周基线 +220%，p<0.01"
    assert got.loc["g1", "reason_en"] == "Dispute +220% vs 8-week baseline, p<0.01"
    assert got.loc["g2", "p_value"] == pytest.approx(stats.poisson.sf(3, 2.0))
    assert got.loc["g2", "level"] is None
    # A zero baseline counts as one incident in 8 weeks: λ = 1/8.
    assert got.loc["g3", "p_value"] == pytest.approx(stats.poisson.sf(1, 1 / 8))
    assert got.loc["g3", "p_value"] < 0.01
    assert got.loc["g3", "level"] is None
    assert got.loc["g4", "level"] is None
    warned = early_warnings(weekly(series), now=NOW)
    assert warned["grid_code"].tolist() == ["g1"]


def test_orange_yellow_and_the_red_minimum():
    series = {
        ("a", "theft"): [6, 2, 2, 2, 2, 2, 2, 2, 2],  # p = 0.0166: orange
        ("b", "theft"): [4, 1, 1, 1, 1, 1, 1, 1, 1],  # p = 0.019: orange (red needs ≥ 5)
        ("c", "theft"): [5, 2, 2, 2, 2, 2, 2, 2, 2],  # p = 0.053: yellow
        ("d", "theft"): [4, 1, 0, 0, 0, 0, 0, 0, 0],  # p < 0.01 but 4 < 5: orange
    }
    got = early_warnings(weekly(series), now=NOW, include_all=True).set_index("grid_code")
    for grid, lam in [("a", 2), ("b", 1), ("c", 2), ("d", 1 / 8)]:
        n = {"a": 6, "b": 4, "c": 5, "d": 4}[grid]
        assert got.loc[grid, "p_value"] == pytest.approx(stats.poisson.sf(n - 1, lam))
    assert got["level"].to_dict() == {"a": "orange", "d": "orange", "b": "orange", "c": "yellow"}
    assert got.index[0] == "d"  # most improbable first within a level


def test_negative_binomial_on_an_over_dispersed_baseline():
    series = {("g", "fight"): [9, 0, 8, 1, 0, 7, 0, 6, 2]}  # mean 3, var 12.3
    history = np.array([0, 8, 1, 0, 7, 0, 6, 2], dtype=float)
    m, v = history.mean(), history.var(ddof=1)
    r = m * m / (v - m)
    expected = stats.nbinom.sf(8, r, r / (r + m))
    auto = early_warnings(weekly(series), now=NOW, include_all=True).iloc[0]
    assert auto["model"] == "negbin"
    assert auto["p_value"] == pytest.approx(expected)
    assert auto["p_value"] > 0.05
    assert auto["level"] == "yellow"  # Poisson alone would say red
    poisson = early_warnings(weekly(series), now=NOW, model="poisson").iloc[0]
    assert poisson["p_value"] == pytest.approx(stats.poisson.sf(8, 3.0))
    assert poisson["level"] == "red"


def test_window_edges_and_all_incidents_together():
    frame = pd.DataFrame(
        {
            "grid_code": ["g"] * 4,
            "category": ["theft", "fight", "theft", "fight"],
            "occurred_at": [NOW, NOW - pd.Timedelta(days=7), NOW + pd.Timedelta(seconds=1), NOW],
        }
    )
    got = early_warnings(frame, now=NOW, by=None, include_all=True, min_count=1)
    # `now` is in the window, `now - 7 days` in the first baseline week, the future nowhere.
    assert got["observed"].tolist() == [2]
    assert got["expected"].tolist() == [1 / 8]
    assert got["reason_en"].iloc[0].startswith("All incidents +1500% vs 8-week baseline")


def test_warning_arguments():
    frame = weekly({("g", "theft"): [1, 1]})
    with pytest.raises(ValidationError, match="`baseline_days`"):
        early_warnings(frame, now=NOW, baseline_days=30)
    with pytest.raises(ValidationError, match="`model`"):
        early_warnings(frame, now=NOW, model="normal")
    with pytest.raises(ValidationError, match="`grids`"):
        early_warnings(frame.drop(columns="grid_code"), now=NOW)
    with pytest.raises(ValidationError, match="`now`"):
        early_warnings(frame, now=NOW.tz_localize("UTC"))
    assert early_warnings(frame.iloc[:0], now=NOW).empty


def test_change_table_uses_an_exact_conditional_test():
    series = {("g1", "x"): [4, 2], ("g2", "x"): [20, 5], ("g3", "x"): [1, 12], ("g4", "x"): [0, 0]}
    got = change_table(weekly(series), now=NOW)
    assert got.loc["g1", "change_pct"] == pytest.approx(100)
    assert not got.loc["g1", "significant"]  # 2 → 4 is not alarming
    for grid, (cur, prev) in {"g1": (4, 2), "g2": (20, 5), "g3": (1, 12)}.items():
        assert got.loc[grid, "p_value"] == pytest.approx(
            stats.binomtest(cur, cur + prev, 0.5).pvalue
        )
    assert got["direction"].to_dict() == {"g1": "", "g2": "up", "g3": "down"}
    assert "g4" not in got.index


def test_binomial_p_matches_scipy_over_a_range():
    cur, prev = np.meshgrid(np.arange(0, 25), np.arange(0, 25))
    got = poisson_binomial_p(cur.ravel(), prev.ravel())
    expected = [
        stats.binomtest(c, c + p, 0.5).pvalue if c + p else 1.0
        for c, p in zip(cur.ravel(), prev.ravel(), strict=True)
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-9)
