"""Tests of gridmap.hotspots.filters and .temporal: the selection every view starts from, and
the hour × weekday matrix checked against a brute-force minute-by-minute aoristic allocation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from shapely import box

from gridmap._errors import ValidationError
from gridmap.hotspots.filters import filter_incidents, incident_grids
from gridmap.hotspots.temporal import aoristic_weights, hour_weekday_matrix, plot_hour_weekday

# --- data -----------------------------------------------------------------------------------


def random_incidents(n: int, seed: int, *, crs: str = "EPSG:3857") -> gpd.GeoDataFrame:
    """Incidents on whole minutes, a third with a range of up to 30 hours."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 60 * 24 * 60, n), "min")
    span = pd.to_timedelta(rng.integers(1, 30 * 60, n), "min")
    ranged = rng.random(n) < 0.35
    end = pd.Series(start + span).where(ranged)
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"I{i:04d}" for i in range(n)],
            "category": rng.choice(["theft", "fight", "dispute"], n),
            "source": rng.choice(["110", "12345", "网格员"], n),
            "occurred_at": start,
            "occurred_to": end.to_numpy(),
        },
        geometry=gpd.points_from_xy(rng.uniform(0, 2000, n), rng.uniform(0, 1000, n)),
        crs=crs,
    )


def brute_force_minutes(frame: pd.DataFrame) -> np.ndarray:
    """(n, 168) weights by walking every minute of every range (Ratcliffe's even spread)."""
    out = np.zeros((len(frame), 168))
    for row, (start, end) in enumerate(
        zip(frame["occurred_at"], frame["occurred_to"], strict=True)
    ):
        if pd.isna(end) or end <= start:
            minutes = pd.DatetimeIndex([start])
        else:
            minutes = pd.date_range(start, end, freq="min", inclusive="left")
        cells = minutes.day_of_week * 24 + minutes.hour
        np.add.at(out[row], np.asarray(cells), 1.0 / len(minutes))
    return out


# --- filters --------------------------------------------------------------------------------


def test_filter_each_condition_matches_a_plain_pandas_mask():
    inc = random_incidents(400, 1)
    t = inc["occurred_at"]
    got = filter_incidents(inc, start="2024-03-10", end="2024-04-01")
    pd.testing.assert_frame_equal(got, inc[(t >= "2024-03-10") & (t < "2024-04-01")])
    got = filter_incidents(inc, hours=(22, 6))
    assert set(got.index) == set(inc.index[(t.dt.hour >= 22) | (t.dt.hour < 6)])
    got = filter_incidents(inc, hours=(9, 17), weekdays=[5, 6])
    mask = (t.dt.hour >= 9) & (t.dt.hour < 17) & (t.dt.day_of_week >= 5)
    assert set(got.index) == set(inc.index[mask])
    got = filter_incidents(inc, categories=["盗窃", "Fight"], sources=["110"])
    mask = inc["category"].isin(["theft", "fight"]) & (inc["source"] == "110")
    assert set(got.index) == set(inc.index[mask])
    assert len(filter_incidents(inc, hours=(0, 24))) == len(inc)


def test_every_hour_span_including_night_shifts_matches_a_brute_force_clock():
    from gridmap.hotspots.views import Selection, hour_span

    inc = random_incidents(600, 11)
    clock = [t.hour for t in inc["occurred_at"]]
    for start in range(24):
        for end in range(25):
            hours = hour_span(start, end)
            # brute force: walk the clock from `start` until `end` (a full turn if equal)
            shift = []
            h = start
            while True:
                shift.append(h)
                h = (h + 1) % 24
                if h == end % 24:
                    break
            want = [i for i, hour in zip(inc.index, clock, strict=True) if hour in shift]
            options = Selection(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-01-01"), hours=hours)
            got = filter_incidents(inc, **options.options())
            assert sorted(got.index) == want, (start, end, hours)
            assert options.wraps_midnight == (start > end % 24 and end % 24 != 0), (start, end)
    # the night shift 22:00-02:00 keeps 22:xx, 23:xx, 00:xx and 01:xx only
    night = filter_incidents(inc, hours=hour_span(22, 2))
    assert set(night["occurred_at"].dt.hour) == {22, 23, 0, 1}


def test_filter_area_prefix_places_incidents_in_grids():
    inc = random_incidents(300, 2)
    grids = gpd.GeoDataFrame(
        {"grid_code": ["110101001001001", "110101001002001"], "name": ["a", "b"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs=inc.crs,
    )
    got = filter_incidents(inc, area_prefix="110101001002", grids=grids)
    assert len(got)
    assert (got.geometry.x >= 1000).all()
    assert len(filter_incidents(inc, area_prefix="110101", grids=grids)) == len(inc)
    # A grid_code column is used as it is, without the layer.
    inc["grid_code"] = incident_grids(inc, grids=grids)
    assert filter_incidents(inc, area_prefix="110101001002").index.equals(got.index)


def test_filter_empty_selection_is_an_empty_frame():
    inc = random_incidents(50, 3)
    got = filter_incidents(inc, categories=["fraud"])
    assert got.empty
    assert list(got.columns) == list(inc.columns)
    got = filter_incidents(inc.iloc[:0], start="2024-01-01", hours=(22, 2), weekdays=[0])
    assert got.empty


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"hours": (3, 3)}, "`hours`"),
        ({"hours": (0, 25)}, "`hours`"),
        ({"weekdays": [7]}, "`weekdays`"),
        ({"categories": "theft"}, "`categories`"),
        ({"start": "not a date"}, "`start`"),
        ({"end": pd.Timestamp("2024-01-01", tz="UTC")}, "`end`"),
        ({"area_prefix": "11a"}, "`area_prefix`"),
        ({"area_prefix": "110"}, "`grids`"),
    ],
)
def test_filter_bad_arguments_are_named(kwargs, argument):
    inc = random_incidents(10, 4).drop(columns="geometry")
    with pytest.raises(ValidationError, match=argument):
        filter_incidents(pd.DataFrame(inc), **kwargs)


# --- temporal -------------------------------------------------------------------------------


def test_aoristic_weights_equal_brute_force_minutes_and_sum_to_one():
    inc = random_incidents(150, 5)
    got = aoristic_weights(inc)
    np.testing.assert_allclose(got.to_numpy(), brute_force_minutes(inc), atol=1e-12)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)


def test_ranges_longer_than_a_week_wrap_around_it():
    frame = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(["2024-05-06 00:00", "2024-05-06 05:00"]),
            "occurred_to": pd.to_datetime(["2024-05-20 00:00", "2024-05-14 05:30"]),
        }
    )
    got = aoristic_weights(frame).to_numpy()
    np.testing.assert_allclose(got[0], 1 / 168)  # exactly two weeks: every hour alike
    np.testing.assert_allclose(got, brute_force_minutes(frame), atol=1e-12)


def test_matrix_by_category_adds_up_the_weights():
    inc = random_incidents(500, 6)
    inc.loc[inc.index[:5], "occurred_at"] = pd.NaT  # no time: left out
    weights = aoristic_weights(inc)
    matrix = hour_weekday_matrix(inc, by="category")
    assert matrix.shape == (21, 24)
    assert matrix.index.names == ["category", "weekday"]
    assert matrix.columns.name == "hour"
    for category in ["dispute", "fight", "theft"]:
        expected = weights[inc["category"] == category].sum().unstack("hour")
        np.testing.assert_allclose(matrix.loc[category].to_numpy(), expected.to_numpy())
    assert matrix.to_numpy().sum() == pytest.approx(495)
    single = hour_weekday_matrix(inc)
    assert single.shape == (7, 24)
    assert single.index.name == "weekday"
    np.testing.assert_allclose(single.to_numpy(), matrix.groupby(level="weekday").sum())


def test_non_aoristic_counts_at_the_start():
    inc = random_incidents(300, 7)
    got = hour_weekday_matrix(inc, aoristic=False)
    t = inc["occurred_at"]
    expected = pd.crosstab(t.dt.day_of_week, t.dt.hour).reindex(
        index=range(7), columns=range(24), fill_value=0
    )
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_time_zone_aware_times_use_their_wall_clock():
    inc = random_incidents(100, 8)
    aware = inc.assign(
        occurred_at=inc["occurred_at"].dt.tz_localize("Asia/Shanghai"),
        occurred_to=inc["occurred_to"].dt.tz_localize("Asia/Shanghai"),
    )
    np.testing.assert_allclose(hour_weekday_matrix(aware), hour_weekday_matrix(inc))


def test_without_occurred_to_column_and_empty():
    inc = random_incidents(20, 9).drop(columns="occurred_to")
    assert hour_weekday_matrix(inc).to_numpy().sum() == pytest.approx(20)
    assert hour_weekday_matrix(inc.iloc[:0]).to_numpy().sum() == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plot_hour_weekday_draws_labels(lang, tmp_path):
    matrix = hour_weekday_matrix(random_incidents(200, 10))
    fig = plot_hour_weekday(matrix, lang=lang, category="theft")
    assert isinstance(fig, Figure)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == ("周一" if lang == "zh" else "Mon")
    assert fig.axes[0].get_title().endswith("盗窃" if lang == "zh" else "Theft")
    fig.savefig(tmp_path / "m.png")  # no missing-glyph warning (warnings are errors)
    assert (tmp_path / "m.png").stat().st_size > 5000


def test_plot_rejects_wrong_shape_and_language():
    with pytest.raises(ValidationError, match="`matrix`"):
        plot_hour_weekday(pd.DataFrame(np.zeros((3, 3))))
    with pytest.raises(ValidationError, match="`lang`"):
        plot_hour_weekday(pd.DataFrame(np.zeros((7, 24))), lang="fr")
