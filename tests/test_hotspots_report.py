"""Tests of gridmap.hotspots.report: the workbook read back with openpyxl and checked against
an independent pandas groupby; hostile text stays text; maps exist and are not blank."""

from __future__ import annotations

import itertools
import re

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
    label = "类别" if lang == "zh" else "Category"
    total = summary.iloc[-1]
    assert total[label] == ("合计" if lang == "zh" else "Total")
    assert pd.isna(total[key])
    assert total[current] == this_week.sum()
    assert total[previous] == last_week.sum()

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
    with pytest.raises(ValidationError, match="`categories`"):
        weekly_report(layers, week_end=WEEK_END, path=tmp_path / "w.xlsx", categories="theft")


# --- the maps credit the workspace's own data --------------------------------------------


def _drawn_credits(monkeypatch) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The figure texts (besides titles) of every map the report saves."""
    from gridmap.hotspots import _report_maps

    seen: list[list[str]] = []
    save = _report_maps._save

    def spy(fig, path):  # type: ignore[no-untyped-def]
        seen.append([t.get_text() for t in fig.texts])
        return save(fig, path)

    monkeypatch.setattr(_report_maps, "_save", spy)
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


# --- what a new user found in the report (#7) ------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def _rows(sheet) -> list[tuple]:  # type: ignore[no-untyped-def]
    return list(sheet.iter_rows(min_row=4))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_titles_name_the_seven_days_of_the_week(tmp_path, lang):
    out = weekly_report(workspace(), week_end=WEEK_END, path=tmp_path / "w.xlsx", lang=lang)
    # The week (WEEK_END - 7 days, WEEK_END] is the seven calendar days before WEEK_END.
    days = pd.date_range(end=WEEK_END - pd.Timedelta(days=1), periods=7, freq="D")
    first, last = f"{days[0]:%Y-%m-%d}", f"{days[-1]:%Y-%m-%d}"
    want = (
        f"网格事件周报 {first} 至 {last}"
        if lang == "zh"
        else (f"Weekly incident report {first} to {last}")
    )
    book = openpyxl.load_workbook(out)
    for sheet in book:
        assert sheet["A1"].value == want
        assert f"{WEEK_END:%Y-%m-%d}" not in sheet["A1"].value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_words_are_in_the_workbooks_language(tmp_path, lang):
    """No booleans, no "total" in a Chinese workbook, no Chinese in an English one (but
    the grids' own names); significance words cross-checked with scipy's binomtest."""
    from scipy.stats import binomtest

    out = weekly_report(workspace(), week_end=WEEK_END, path=tmp_path / "w.xlsx", lang=lang)
    book = openpyxl.load_workbook(out)
    yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
    english = {"total", "True", "False", "yes", "no", "up", "down", "Total"}
    grid_name = "网格名称" if lang == "zh" else "Grid"
    flags = []
    for sheet in book:
        header = [c.value for c in sheet[3]]
        assert not CJK.search(sheet["A1"].value) if lang == "en" else CJK.search(sheet["A1"].value)
        for row in _rows(sheet):
            for column, cell in zip(header, row, strict=False):
                assert cell.data_type != "b", (sheet.title, cell.coordinate, cell.value)
                if not isinstance(cell.value, str):
                    continue
                if lang == "zh":
                    assert cell.value not in english, (sheet.title, cell.coordinate)
                elif column != grid_name and cell.value != HOSTILE:
                    assert not CJK.search(cell.value), (sheet.title, cell.coordinate, cell.value)
        if lang == "en":
            assert not any(CJK.search(str(v)) for v in header)
    for sheet in book.worksheets[:2]:
        table = table_of(sheet)
        significant = table.iloc[:, 7]
        assert set(significant) <= {yes, no}
        p = [
            binomtest(int(c), int(c + q)).pvalue if c + q and c != q else 1.0
            for c, q in zip(table.iloc[:, 2], table.iloc[:, 3], strict=True)
        ]
        assert table.iloc[:, 6].tolist() == pytest.approx(np.round(p, 3), abs=1e-12)
        assert significant.tolist() == [yes if v < 0.05 else no for v in p]
        flags += significant.tolist()
    assert yes in flags  # the burst of disputes in grid 1
    assert no in flags
    summary = table_of(book.worksheets[0])
    assert summary.iloc[-1, 0] == ("合计" if lang == "zh" else "Total")


def test_every_chosen_category_gets_a_row(tmp_path):
    layers = workspace()
    chosen = ("fraud", "theft", "dispute")  # no fraud at all in this workspace
    out = weekly_report(
        layers, week_end=WEEK_END, path=tmp_path / "w.xlsx", lang="en", categories=chosen
    )
    book = openpyxl.load_workbook(out)
    summary = table_of(book["Summary"])
    assert summary["Key"].tolist()[:-1] == list(chosen)
    assert pd.isna(summary["Key"].iloc[-1])
    assert summary["Category"].tolist() == ["Fraud", "Theft", "Dispute", "Total"]
    inc = layers["incidents"]
    t = inc["occurred_at"]
    week = inc[(t > WEEK_END - pd.Timedelta(days=7)) & (t <= WEEK_END)]
    before = inc[(t > WEEK_END - pd.Timedelta(days=14)) & (t <= WEEK_END - pd.Timedelta(days=7))]
    current = week["category"].value_counts().reindex(list(chosen), fill_value=0)
    previous = before["category"].value_counts().reindex(list(chosen), fill_value=0)
    assert summary["This week"].tolist() == [*current, current.sum()]
    assert summary["Last week"].tolist() == [*previous, previous.sum()]
    fraud = summary.iloc[0]
    assert (fraud["Change"], fraud["p-value"], fraud["Significant"]) == (0, 1, "no")
    # The other sheets count the chosen categories only.
    assert table_of(book["Changes"])["This week"].sum() == current.sum()


def test_a_category_without_incidents_in_the_two_weeks_still_has_its_row(tmp_path):
    layers = workspace()
    inc = layers["incidents"]
    recent = (inc["category"] == "theft") & (inc["occurred_at"] > WEEK_END - pd.Timedelta(days=14))
    layers["incidents"] = inc[~recent]
    out = weekly_report(layers, week_end=WEEK_END, path=tmp_path / "w.xlsx", lang="zh")
    summary = table_of(openpyxl.load_workbook(out)["概况"]).set_index("代码")
    assert summary.loc["theft", ["类别", "本周", "上周", "变化", "显著"]].tolist() == [
        "盗窃",
        0,
        0,
        0,
        "否",
    ]
    assert set(summary.index[:-1]) == set(inc["category"])


def test_numbers_are_stored_as_they_are_shown(tmp_path):
    layers = workspace()
    out = weekly_report(layers, week_end=WEEK_END, path=tmp_path / "w.xlsx", lang="zh")
    book = openpyxl.load_workbook(out)
    for name in ("概况", "变化"):
        rows = _rows(book[name])
        pct = [r[5] for r in rows if r[5].value is not None]
        assert pct
        assert {c.number_format for c in pct} == {"0.0"}
        for r in rows:
            current, previous = r[2].value, r[3].value
            want = None if previous == 0 else round(100 * (current - previous) / previous, 1)
            assert r[5].value == want
        assert {r[6].number_format for r in rows} <= {"0.000", "General"}
        assert all(round(r[6].value, 3) == r[6].value for r in rows)
    rates = [c for r in _rows(book["诉求时效"]) for c in (r[4], r[5], r[7]) if c.value is not None]
    assert rates
    assert {c.number_format for c in rates} == {"0.0%"}
    assert all(round(c.value, 3) == c.value for c in rates)
    hours = [r[5] for r in _rows(book["超期诉求"])]
    assert hours
    assert {c.number_format for c in hours} == {"0.0"}
    assert all(round(c.value, 1) == c.value for c in hours)
    expected = [r[5] for r in _rows(book["预警"])]
    assert all(round(c.value, 2) == c.value for c in expected)


def _parse_class(label: str) -> tuple[int, int]:
    low, _, high = label.partition(" – ")
    return int(low), int(high or low)


def test_overview_map_has_whole_number_classes_and_fills_its_figure(tmp_path, monkeypatch):
    from PIL import Image

    from gridmap.hotspots import _report_maps

    legends: list[list[str]] = []
    save = _report_maps._save

    def spy(fig, path):  # type: ignore[no-untyped-def]
        legend = fig.axes[0].get_legend()
        legends.append([t.get_text() for t in legend.get_texts()] if legend else [])
        return save(fig, path)

    monkeypatch.setattr(_report_maps, "_save", spy)
    layers = workspace()
    weekly_report(layers, week_end=WEEK_END, path=tmp_path / "w.xlsx", credit="数据：本市")
    classes = [_parse_class(label) for label in legends[0]]  # ValueError on "1.25"
    # Each grid's count this week (an independent spatial join) is in exactly one class.
    inc = layers["incidents"]
    t = inc["occurred_at"]
    week = inc[(t > WEEK_END - pd.Timedelta(days=7)) & (t <= WEEK_END)]
    counts = gpd.sjoin(week, layers["grids"], predicate="within")["grid_code"].value_counts()
    counts = counts.reindex(layers["grids"]["grid_code"], fill_value=0)
    for n in counts:
        assert sum(low <= n <= high for low, high in classes) == 1

    # The map fills the picture: no blank band under (or over) the grids.
    image = np.asarray(Image.open(tmp_path / "w_maps" / "overview.png").convert("RGB"))
    height = image.shape[0]
    r, b = image[..., 0].astype(int), image[..., 2].astype(int)
    coloured = (r > 200) & (b < 180) & (r - b > 60)  # YlOrRd fills, not grey or white
    rows = np.flatnonzero(coloured.any(axis=1))
    assert rows[-1] > 0.95 * height
    assert rows[0] < 0.10 * height  # under the title only
    assert rows[-1] - rows[0] > 0.85 * height


def test_count_classes_on_many_counts():
    from gridmap.hotspots._report_maps import count_classes

    counts = np.random.default_rng(3).poisson(12, 200)
    classes, labels = count_classes(counts)
    ranges = [_parse_class(label) for label in labels]
    assert len(ranges) <= 5
    assert ranges[0][0] == counts.min()
    assert ranges[-1][1] == counts.max()
    for (_, high), (low, _) in itertools.pairwise(ranges):
        assert low == high + 1  # whole numbers, no gaps, no overlaps
    for n, k in zip(counts, classes, strict=True):
        low, high = ranges[k]
        assert low <= n <= high


def test_report_page_gives_every_chosen_category_a_row(tmp_path, monkeypatch):
    """The page's category filter reaches the workbook: disputes come only from grid
    workers in the sample, so with source 110 chosen they have no incidents, yet a row."""
    import io
    import zipfile

    from gridmap.store import install_sample_workspace
    from tests.test_app import run_app

    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    app = run_app(
        "app_pages/warnings_report.py",
        hs_report_view="report",
        hs_categories=["theft", "dispute"],
        hs_sources=["110"],
    )
    app.button(key="hs_report_prepare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    _, name, data = app.session_state["hs_report"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        book = openpyxl.load_workbook(io.BytesIO(archive.read(name)))
        assert f"{name.removesuffix('.xlsx')}_maps/overview.png" in archive.namelist()
    summary = table_of(book["概况"])
    assert summary["类别"].tolist() == ["盗窃", "矛盾纠纷", "合计"]
    dispute = summary.iloc[1]
    assert (dispute["本周"], dispute["上周"], dispute["显著"]) == (0, 0, "否")
    assert summary["本周"].iloc[-1] == summary["本周"].iloc[0] > 0
    # The title's last day is the page's "the week up to <day>".
    last_day = name.removeprefix("weekly-report-").removesuffix(".xlsx")
    assert book["概况"]["A1"].value.split(" (")[0].endswith(f"至 {last_day}")
