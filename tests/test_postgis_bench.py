"""The short form of ``bench/bench_postgis.py`` (10,000 incidents): both pages run on a
PostGIS workspace and its GeoPackage peer and show the same figures (the bench checks
them). The 5,000,000-incident form is run by hand (see the bench's docstring)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.test_store import postgres_url

BENCH = Path(__file__).parent.parent / "bench"


def test_bench_short_form(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    postgres_url()  # skips, saying why, without a server
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setattr(sys, "argv", ["bench_postgis.py"])
    import bench_postgis

    assert bench_postgis.main(["--incidents", "10000"]) == 0
    out = capsys.readouterr().out
    assert "Overview opens: PostGIS" in out
    assert "Heatmaps first view: PostGIS" in out
    assert "GeoPackage" in out
