"""Tests of gridmap.hotspots.requests on a hand-made table of citizen requests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridmap._errors import ValidationError
from gridmap.hotspots.requests import overdue_requests, request_sla, sla_by_grid

AS_OF = pd.Timestamp("2025-03-10 12:00")
T = pd.Timestamp


def table() -> pd.DataFrame:
    rows = [
        # id, grid, source, received, handled, callback, type
        ("r1", "g1", "12345", "2025-03-01 09:00", "2025-03-01 20:00", "2025-03-01 09:10", "简单"),
        ("r2", "g1", "12345", "2025-03-01 09:00", "2025-03-03 09:00", "2025-03-01 09:30", "简单"),
        ("r3", "g1", "12345", "2025-03-05 09:00", "2025-03-07 08:00", "2025-03-05 09:05", "复杂"),
        ("r4", "g2", "12345", "2025-03-08 09:00", None, None, "complex"),  # due 11th: not yet
        ("r5", "g2", "12345", "2025-03-08 10:00", None, "2025-03-08 10:14", None),  # 1 d late
        ("r6", "g2", "12345", "2025-03-10 10:00", None, None, "simple"),  # callback missed
        ("r7", "g2", "12345", "2025-03-09 10:00", "2025-03-12 10:00", None, None),  # later: open
        ("p1", "g1", "110", "2025-03-01 09:00", None, None, None),  # not a request
        ("r8", "g1", "12345", "2025-03-11 09:00", None, None, None),  # after as_of
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "incident_id",
            "grid_code",
            "source",
            "occurred_at",
            "handled_at",
            "callback_at",
            "类型",
        ],
    )
    for column in ["occurred_at", "handled_at", "callback_at"]:
        frame[column] = pd.to_datetime(frame[column])
    return frame.set_index("incident_id")


def test_deadlines_and_outcomes_per_request():
    got = request_sla(table(), as_of=AS_OF)
    assert got.index.tolist() == ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]
    assert got["complex"].tolist() == [False, False, True, True, False, False, False]
    assert got.loc["r3", "deadline"] == T("2025-03-08 09:00")
    assert got.loc["r5", "deadline"] == T("2025-03-09 10:00")
    assert got["closed"].tolist() == [True, True, True, False, False, False, False]
    on_time = got["closed_on_time"].astype(object).where(got["closed_on_time"].notna(), None)
    assert on_time.tolist() == [True, False, True, None, False, None, False]
    assert got["overdue"].tolist() == [False, False, False, False, True, False, True]
    assert got.loc["r5", "hours_overdue"] == pytest.approx(26)
    callback = got["callback_on_time"].astype(object).where(got["callback_on_time"].notna(), None)
    # r4: due 09:15 on the 8th, none; r6: due 10:15 today, none, missed; r7: missed.
    assert callback.tolist() == [True, False, True, False, True, False, False]


def test_rates_per_grid_and_overdue_list():
    got = sla_by_grid(request_sla(table(), as_of=AS_OF))
    assert got["requests"].to_dict() == {"g1": 3, "g2": 4}
    assert got["closure_rate"].to_dict() == {"g1": 1.0, "g2": 0.0}
    assert got.loc["g1", "on_time_rate"] == pytest.approx(2 / 3)
    assert got.loc["g2", "on_time_rate"] == pytest.approx(0.0)  # r5, r7 decided and late
    assert got.loc["g1", "callback_rate"] == pytest.approx(2 / 3)
    assert got.loc["g2", "callback_rate"] == pytest.approx(1 / 4)
    assert got["overdue"].to_dict() == {"g1": 0, "g2": 2}
    late = overdue_requests(request_sla(table(), as_of=AS_OF))
    assert late.index.tolist() == ["r5", "r7"]


def test_without_optional_columns_everything_is_simple_and_callback_unknown():
    frame = table().drop(columns=["callback_at", "类型"])
    got = request_sla(frame, as_of=AS_OF)
    assert not got["complex"].any()
    assert got["callback_on_time"].isna().all()
    assert np.isnan(sla_by_grid(got)["callback_rate"]).all()
    # Closed only by status, at an unknown time: closed, timeliness unknown.
    status = frame.drop(columns="handled_at").assign(status="已办结 closed")
    got = request_sla(status, as_of=AS_OF)
    assert got["closed"].all()
    assert got["closed_on_time"].isna().all()


def test_request_sla_arguments():
    with pytest.raises(ValidationError, match="`as_of`"):
        request_sla(table(), as_of="soon")
    with pytest.raises(ValidationError, match="`simple_hours`"):
        request_sla(table(), as_of=AS_OF, simple_hours=0)
    assert request_sla(table().drop(columns="source"), as_of=AS_OF).empty  # none known
    assert request_sla(table(), as_of=AS_OF, sources=["none"]).empty


def test_incidents_without_a_source_column_have_no_requests_and_the_report_still_works(
    tmp_path: Path,
) -> None:
    # A city's own file rarely says which incidents came through the request channel.
    from gridmap.datasets import get_path
    from gridmap.hotspots.report import weekly_report
    from gridmap.store import GeoPackageStore

    store = GeoPackageStore(get_path("helsinki"), create=False)
    incidents = store.read("incidents").drop(columns=["source"])
    assert len(request_sla(incidents, as_of=incidents["occurred_at"].max())) == 0
    layers = {"incidents": incidents, "grids": store.read("grids"), "streets": None}
    week_end = incidents["occurred_at"].max().normalize()
    path = weekly_report(layers, week_end=week_end, path=tmp_path / "week.xlsx")
    assert Path(path).exists()
