"""Tests of gridmap.hotspots.report: the workbook read back with openpyxl and checked against
an independent pandas groupby; hostile text stays text; maps exist and are not blank."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely import LineString, box

from gridmap._errors import ValidationError
from gridmap.hotspots.report import REPORT_SHEETS, weekly_report

WEEK_END = pd.Timestamp("2025-06-30")
HOSTILE = '=HYPERLINK("http://x")'
# Four grids of ~1 km near Chengdu (lon/lat): nothing here assumes Helsinki.
LON, LAT, STEP = 104.06, 30.66, 0.01


def workspace(seed: int = 0) -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    cells = [
        box(LON + i * STEP, LAT + j * STEP, LON + (i + 1) * STEP, LAT + (j + 1) * STEP)
        for j in range(2)
        for i in range(2)
    ]
    codes = [f"510104001001{k + 1:03d}" for k in range(4)]
    grids = gpd.GeoDataFrame(
        {"grid_code": codes, "name": ["一网格", "二网格", HOSTILE, "四网格"]},
        geometry=cells,
        crs="EPSG:4326",
    )
    lines = [
        LineString([(LON, LAT + f * STEP), (LON + 2 * STEP, LAT + f * STEP)]) for f in (0.5, 1.5)
    ]
    lines += [
        LineString([(LON + f * STEP, LAT), (LON + f * STEP, LAT + 2 * STEP)]) for f in (0.5, 1.5)
    ]
    streets = gpd.GeoDataFrame({"highway": ["residential"] * 4}, geometry=lines, crs="EPSG:4326")
    n = 900
    days = rng.uniform(0, 63, n)
    category = rng.choice(["theft", "dispute", "request-complaint", HOSTILE], n)
    x = LON + rng.uniform(0, 2 * STEP, n)
    y = LAT + rng.uniform(0, 2 * STEP, n)
    # A burst of disputes in grid 1 this week: a red warning.
    burst = 25
    days = np.concatenate([days, rng.uniform(0.1, 6.9, burst)])
    category = np.concatenate([category, ["dispute"] * burst])
    x = np.concatenate([x, LON + rng.uniform(0.001, STEP - 0.001, burst)])
    y = np.concatenate([y, LAT + rng.uniform(0.001, STEP - 0.001, burst)])
    occurred = WEEK_END - pd.to_timedelta(days, unit="D")
    source = np.where(category == "request-complaint", "12345", "110")
    handled = pd.Series(occurred + pd.Timedelta(hours=30)).where((source == "12345") & (days > 3))
    incidents = gpd.GeoDataFrame(
        {
            "incident_id": [f"E{i:05d}" for i in range(len(days))],
            "category": category,
            "occurred_at": occurred,
            "source": source,
            "status": "x",
            "handled_at": handled.to_numpy(),
            "description": HOSTILE,
        },
        geometry=gpd.points_from_xy(x, y),
        crs="EPSG:4326",
    )
    return {"incidents": incidents, "grids": grids, "streets": streets}


def table_of(sheet) -> pd.DataFrame:
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_weekly_report_workbook(tmp_path, lang):
    layers = workspace()
    out = weekly_report(layers, week_end=WEEK_END, path=tmp_path / "week.xlsx", lang=lang)
    book = openpyxl.load_workbook(out)
    assert tuple(book.sheetnames) == REPORT_SHEETS[lang]
    sheets = REPORT_SHEETS[lang]

    # Summary counts against an independent groupby.
    inc = layers["incidents"]
    t = inc["occurred_at"]
    this_week = (
        inc[(t > WEEK_END - pd.Timedelta(days=7)) & (t <= WEEK_END)].groupby("category").size()
    )
    last_week = inc[(t > WEEK_END - pd.Timedelta(days=14)) & (t <= WEEK_END - pd.Timedelta(days=7))]
    last_week = last_week.groupby("category").size()
    summary = table_of(book[sheets[0]])
    key = "代码" if lang == "zh" else "Key"
    current = "本周" if lang == "zh" else "This week"
    previous = "上周" if lang == "zh" else "Last week"
    got = summary.set_index(key)
    for category in this_week.index:
        assert got.loc[category, current] == this_week[category]
        assert got.loc[category, previous] == last_week.get(category, 0)
    assert got.loc["total", current] == this_week.sum()

    # The hostile category and names are plain strings, never formulas.
    cells = [c for row in book[sheets[0]].iter_rows() for c in row if c.value == HOSTILE]
    assert cells
    assert all(c.data_type == "s" for c in cells)
    changes = book[sheets[1]]
    names = [c for row in changes.iter_rows() for c in row if c.value == HOSTILE]
    assert names
    assert all(c.data_type == "s" for c in names)
    overdue = book[sheets[4]]
    descriptions = [c for row in overdue.iter_rows() for c in row if c.value == HOSTILE]
    assert descriptions
    assert all(c.data_type == "s" for c in descriptions)

    # Changes per grid against a groupby of the grid each point falls in.
    changes_table = table_of(changes)
    code = "网格编码" if lang == "zh" else "Grid code"
    assert changes_table[code].tolist() == layers["grids"]["grid_code"].tolist()
    week = inc[(t > WEEK_END - pd.Timedelta(days=7)) & (t <= WEEK_END)]
    joined = gpd.sjoin(week, layers["grids"], predicate="within")
    expected = (
        joined.groupby("grid_code").size().reindex(layers["grids"]["grid_code"], fill_value=0)
    )
    assert changes_table[current].tolist() == expected.tolist()

    # The constructed burst is a red warning on grid 1, with its reason.
    warnings = table_of(book[sheets[2]])
    first = warnings.iloc[0]
    assert first.iloc[0] == ("红色预警" if lang == "zh" else "Red")
    assert first.iloc[1] == "510104001001001"
    assert ("矛盾纠纷" if lang == "zh" else "Dispute") in first.iloc[-1]

    # Request SLA rows per grid; maps beside the workbook and in it.
    assert len(table_of(book[sheets[3]])) >= 1
    pngs = sorted((tmp_path / "week_maps").glob("*.png"))
    assert [p.name for p in pngs][:2] == ["overview.png", "warning_1.png"]
    assert all(p.stat().st_size > 20_000 for p in pngs)
    assert len(book[sheets[5]]._images) == len(pngs)


def test_weekly_report_arguments(tmp_path):
    layers = workspace()
    with pytest.raises(ValidationError, match="`path`"):
        weekly_report(layers, week_end=WEEK_END, path=tmp_path / "week.csv")
    with pytest.raises(ValidationError, match="`lang`"):
        weekly_report(layers, week_end=WEEK_END, path=tmp_path / "w.xlsx", lang="fr")
    with pytest.raises(ValidationError, match="grids"):
        weekly_report(
            {"incidents": layers["incidents"]}, week_end=WEEK_END, path=tmp_path / "w.xlsx"
        )
    with pytest.raises(ValidationError, match="`week_end`"):
        weekly_report(layers, week_end="someday", path=tmp_path / "w.xlsx")


# --- the maps credit the workspace's own data --------------------------------------------


def _drawn_credits(monkeypatch) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The figure texts (besides titles) of every map the report saves."""
    from gridmap.hotspots import report

    seen: list[list[str]] = []
    save = report._save

    def spy(fig, path):  # type: ignore[no-untyped-def]
        seen.append([t.get_text() for t in fig.texts])
        return save(fig, path)

    monkeypatch.setattr(report, "_save", spy)
    return seen


def _own_workspace(path, **settings):  # type: ignore[no-untyped-def]
    from gridmap.store import GeoPackageStore

    store = GeoPackageStore(path)
    for name, layer in workspace(2).items():
        store.write(name, layer, author="test", message="a city's own data")
    if settings:
        store.update_settings(**settings)
    return store


@pytest.mark.parametrize(
    ("settings", "lang", "want"),
    [
        ({"credit": "数据：成都市某街道办 $5 <b>"}, "zh", "数据：成都市某街道办 $5 <b>"),
        ({}, "en", "Data: chengdu"),
        ({"attribution": "© OpenStreetMap contributors (ODbL)"}, "en", "OpenStreetMap"),
    ],
)
def test_report_maps_credit_the_workspace(tmp_path, monkeypatch, settings, lang, want):
    seen = _drawn_credits(monkeypatch)
    store = _own_workspace(tmp_path / "chengdu.gpkg", **settings)
    weekly_report(store, week_end=WEEK_END, path=tmp_path / "w.xlsx", lang=lang)
    assert len(seen) >= 2  # the overview and at least one warning map
    for texts in seen:
        assert len(texts) == 1
        assert want in texts[0]
        if "attribution" not in settings:
            assert "OpenStreetMap" not in texts[0]


def test_report_of_layers_credits_only_what_it_is_told(tmp_path, monkeypatch):
    seen = _drawn_credits(monkeypatch)
    weekly_report(workspace(2), week_end=WEEK_END, path=tmp_path / "a.xlsx")
    assert seen
    assert all(texts == [] for texts in seen)
    seen.clear()
    weekly_report(workspace(2), week_end=WEEK_END, path=tmp_path / "b.xlsx", credit="数据：本市")
    assert all(texts == ["数据：本市"] for texts in seen)


def test_cli_report_credits_the_workspace(tmp_path, monkeypatch):
    from gridmap.cli import main

    seen = _drawn_credits(monkeypatch)
    path = tmp_path / "chengdu.gpkg"
    _own_workspace(path, credit="数据：成都市公安局")
    out = tmp_path / "week.xlsx"
    args = ["-w", str(path), "report", "--week-end", "2025-06-29", "--output", str(out)]
    assert main(args) == 0
    assert out.is_file()
    assert seen
    assert all(texts == ["数据：成都市公安局"] for texts in seen)
