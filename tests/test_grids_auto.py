"""Automatic plans on the sample reach what its rebuilt grids reach; the Grids page's pickers.

Issue #9's walk: at the default settings the page's plans of Kamppi were ±17 % off while
today's grids are ±4 %; households per worker read 287.4 in one column and 359.25 in
another; the merge picker offered "Select all". The figures here are checked against
independent counts (buildings joined to the plans' grids, workers counted with a set).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap import ValidationError
from gridmap.grids import views
from gridmap.grids.auto import divide_heavy_blocks, too_coarse
from gridmap.grids.blocks import grid_blocks
from gridmap.grids.metrics import plan_metrics
from gridmap.i18n import t
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app

PAGE = "app_pages/grids.py"
KAMPPI = "990101001001"
#: The page's defaults: 5 grids (the community's today), ±5 %, spanning-tree start, 3 plans.
DEFAULTS = {"k": 5, "households": None, "tolerance": 0.05, "method": "tree", "seeds": range(3)}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    path = tmp_path_factory.mktemp("sample") / "sample.gpkg"
    install_sample_workspace(path)
    return GeoPackageStore(path)


@pytest.fixture(scope="module")
def blocks(sample: GeoPackageStore) -> gpd.GeoDataFrame:
    return grid_blocks(
        sample.read("grids"), sample.read("streets"), buildings=sample.read("buildings")
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


def _today(sample: GeoPackageStore, code: str) -> gpd.GeoDataFrame:
    grids = sample.read("grids")
    return grids[grids["grid_code"].astype(str).str.startswith(code)].reset_index(drop=True)


def _deviation(households: np.ndarray) -> float:
    return float(np.abs(households / households.mean() - 1).max())


def _households_by_join(grids: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Households per grid from the buildings' representative points (independent count)."""
    b = buildings.to_crs(grids.crs)
    points = gpd.GeoDataFrame(
        {"households": b["households"].to_numpy()},
        geometry=shapely.point_on_surface(b.geometry.to_numpy()),
        crs=grids.crs,
    )
    joined = points.sjoin(grids[["grid_code", "geometry"]], predicate="within")
    joined = joined[~joined.index.duplicated()]
    totals = joined.groupby("grid_code")["households"].sum()
    return totals.reindex(grids["grid_code"].astype(str)).fillna(0).to_numpy(dtype=float)


def test_a_plan_at_the_default_settings_is_within_5_percent_and_no_worse_than_today(
    sample: GeoPackageStore, blocks: gpd.GeoDataFrame
) -> None:
    buildings = sample.read("buildings")
    today = _today(sample, KAMPPI)
    today_dev = _deviation(today["households"].to_numpy(dtype=float))
    assert today_dev == pytest.approx(0.0404, abs=5e-4)  # the walk's 4.04 %
    plans = views.plans_for(blocks, KAMPPI, buildings=buildings, **DEFAULTS)
    best = plans[0]
    assert best.grids is not None
    counted = _households_by_join(best.grids, buildings)
    # Independently: every grid within ±5 % of 1437 / 5 and no worse than today's grids.
    assert counted.sum() == pytest.approx(today["households"].sum(), abs=1)
    assert _deviation(counted) <= 0.05 + 1e-9
    assert _deviation(counted) <= today_dev
    assert _deviation(counted) == pytest.approx(best.max_deviation, abs=1e-6)
    # One piece per grid, together exactly the community.
    assert (shapely.get_num_geometries(best.grids.geometry.to_numpy()) == 1).all()
    outline = shapely.union_all(today.to_crs(best.grids.crs).geometry.to_numpy())
    union = shapely.union_all(best.grids.geometry.to_numpy())
    assert shapely.area(shapely.symmetric_difference(union, outline)) < 1e-3 * outline.area
    # It says that blocks were divided, and claims no coarseness it did not meet.
    keys = [n.key for n in best.notes]
    assert "grids_blocks_divided" in keys
    assert "grids_blocks_too_coarse" not in keys


def test_whole_blocks_say_the_balance_they_reach_and_that_today_is_more_even(
    sample: GeoPackageStore, blocks: gpd.GeoDataFrame
) -> None:
    buildings = sample.read("buildings")
    today_dev = _deviation(_today(sample, KAMPPI)["households"].to_numpy(dtype=float))
    # METIS's start on whole blocks: the walk's settings (±17.2 %).
    walk = DEFAULTS | {"method": "metis"}
    plans = views.plans_for(blocks, KAMPPI, buildings=buildings, divide=False, **walk)
    # The plan from today's grids comes first, as even as today; the seeds' plans follow.
    assert plans[0].method == "current"
    assert plans[0].max_deviation <= today_dev + 1e-9
    assert [n.key for n in plans[0].notes] == ["grids_plan_from_current"]
    seeded = [p for p in plans if p.method != "current"]
    assert seeded[0].max_deviation == pytest.approx(0.172, abs=5e-4)
    for plan in seeded:
        assert plan.grids is not None
        reached = _deviation(_households_by_join(plan.grids, buildings))
        notes = {n.key: n for n in plan.notes}
        assert not plan.within_tolerance  # whole blocks cannot reach ±5 % here
        coarse = notes["grids_blocks_too_coarse"]
        # The balance stated is the one this plan reached with the blocks it used.
        assert coarse.values["achieved"] == f"{reached:.1%}"
        # Today's grids are more even, and the plan says so in both languages.
        assert today_dev < reached
        better = notes["grids_current_better"]
        assert better.values["current"] == f"{today_dev:.1%}" == "4.0%"
        assert "现状网格更均衡" in better.text("zh")
        assert "current grids are more even" in better.text("en")


@pytest.mark.parametrize("community", [f"990101001{n:03d}" for n in range(1, 7)])
def test_every_communitys_best_plan_is_at_least_as_even_as_today(
    sample: GeoPackageStore, blocks: gpd.GeoDataFrame, community: str
) -> None:
    """Issue #9: community 005's best plan was ±4.78 % against ±4.43 % for today's grids."""
    buildings = sample.read("buildings")
    today = _today(sample, community)
    today_dev = _deviation(today["households"].to_numpy(dtype=float))
    plans = views.plans_for(blocks, community, buildings=buildings, **DEFAULTS)
    assert len(plans) == len(DEFAULTS["seeds"])
    best = plans[0]
    assert best.grids is not None
    # Counted independently, from the buildings inside the plan's grids.
    reached = _deviation(_households_by_join(best.grids, buildings))
    assert reached <= today_dev + 1e-9, (community, reached, today_dev)
    assert best.within_tolerance
    assert "grids_current_better" not in [n.key for n in best.notes]
    # One piece per grid.
    assert (shapely.get_num_geometries(best.grids.geometry.to_numpy()) == 1).all()


def test_a_plan_from_today_never_is_less_even_than_today(
    sample: GeoPackageStore, blocks: gpd.GeoDataFrame
) -> None:
    """The start plan alone: whole blocks of community 005, today's grids as the start."""
    from gridmap.grids.partition import partition_blocks

    code = "990101001005"
    mine = blocks[blocks["grid_code"].astype(str).str.startswith(code).to_numpy()]
    mine = mine.reset_index(drop=True)
    today_dev = _deviation(_today(sample, code)["households"].to_numpy(dtype=float))
    plans = partition_blocks(
        mine, k=5, method="metis", seeds=(0,), start=mine["grid_code"].astype(str).to_numpy()
    )
    current = next(p for p in plans if p.method == "current")
    assert current.max_deviation <= today_dev + 1e-9
    with pytest.raises(ValidationError, match="`start`"):
        partition_blocks(mine, k=5, seeds=(0,), start=["x"])
    # A start with another number of grids gives no plan of its own.
    other = partition_blocks(mine, k=4, method="metis", seeds=(0,), start=mine["grid_code"])
    assert [p.method for p in other] == ["metis"]


def test_heavy_blocks_are_divided_between_buildings_conserving_households(
    sample: GeoPackageStore, blocks: gpd.GeoDataFrame
) -> None:
    buildings = sample.read("buildings")
    mine = blocks[blocks["grid_code"].str.startswith(KAMPPI)].reset_index(drop=True)
    assert too_coarse(mine["households"], k=5, tolerance=0.05)
    limit = 0.05 * mine["households"].sum() / 5
    divided = divide_heavy_blocks(mine, buildings, max_households=limit)
    assert divided["divided"].sum() > 0
    assert divided["block_id"].is_unique
    assert divided["households"].sum() == pytest.approx(mine["households"].sum())
    before = shapely.union_all(mine.geometry.to_numpy())
    after = shapely.union_all(divided.geometry.to_numpy())
    assert shapely.area(shapely.symmetric_difference(before, after)) < 1e-3 * before.area
    assert divided.geometry.area.sum() == pytest.approx(mine.geometry.area.sum(), rel=1e-6)
    # Each piece over the limit is a single building (a building is never cut).
    points = shapely.point_on_surface(buildings.to_crs(mine.crs).geometry.to_numpy())
    heavy = divided[divided["households"] > limit + 1e-9]
    for piece in heavy.geometry:
        assert shapely.contains(piece, points).sum() == 1
    # Grids of the pieces are their blocks' grids.
    assert set(divided["grid_code"]) == set(mine["grid_code"])


def test_too_coarse_is_against_tolerance_times_target() -> None:
    assert too_coarse(np.array([10.0, 10.0, 10.6]), k=1, tolerance=0.3) is True
    assert too_coarse(np.array([10.0, 10.0, 9.0]), k=1, tolerance=0.5) is False
    with pytest.raises(ValueError, match="`tolerance`"):
        too_coarse(np.ones(3), k=1, tolerance=0)


def test_households_per_worker_counts_distinct_named_workers() -> None:
    squares = [shapely.box(i * 100, 0, i * 100 + 100, 100) for i in range(4)]
    plan = gpd.GeoDataFrame(
        {
            "grid_code": [f"99010100100100{i}" for i in range(1, 5)],
            "households": [100, 200, 300, 400],
            "worker": ["甲", "乙", None, " "],
        },
        geometry=squares,
        crs=32635,
    )
    # Two named workers: 1000 / 2. A worker of two grids counts once.
    assert plan_metrics(plan)["households_per_worker"] == 500
    assert (
        plan_metrics(plan.assign(worker=["甲", "甲", "乙", "乙"]))["households_per_worker"] == 500
    )
    # No worker named, or no column: one per grid.
    assert plan_metrics(plan.assign(worker=None))["households_per_worker"] == 250
    assert plan_metrics(plan.drop(columns="worker"))["households_per_worker"] == 250


def test_plans_with_5_grids_keep_5_workers_so_per_worker_figures_agree(
    sample: GeoPackageStore, blocks: gpd.GeoDataFrame
) -> None:
    today = _today(sample, KAMPPI)
    plans = views.plans_for(
        blocks, KAMPPI, buildings=sample.read("buildings"), divide=False, **DEFAULTS
    )
    layers = [views.plan_layer(p, today) for p in plans]
    for layer in layers:
        assert len(set(layer["worker"])) == 5  # each of today's workers to one new grid
        assert set(layer["worker"]) == set(today["worker"])
    table = views.compare_table(today, layers, "zh")
    row = table.loc[t("grids_metric_households_per_worker", "zh")]
    for frame, value in zip([today, *layers], row, strict=True):
        named = {w for w in frame["worker"] if isinstance(w, str) and w.strip()}
        assert value == pytest.approx(round(frame["households"].sum() / len(named), 2))
    assert row.iloc[0] == pytest.approx(287.4)  # 1437 / 5


def test_a_plan_with_more_grids_than_workers_leaves_the_new_ones_unstaffed(
    sample: GeoPackageStore, blocks: gpd.GeoDataFrame
) -> None:
    today = _today(sample, KAMPPI)
    plan = views.plans_for(
        blocks, KAMPPI, buildings=sample.read("buildings"), **(DEFAULTS | {"k": 6, "seeds": [0]})
    )[0]
    layer = views.plan_layer(plan, today)
    named = layer["worker"].dropna()
    assert len(layer) == 6
    assert len(named) == 5
    assert named.is_unique
    per_worker = plan_metrics(layer)["households_per_worker"]
    assert per_worker == pytest.approx(layer["households"].sum() / 5)


PLACEHOLDERS = {"zh": {"选择一项或多项", "请选择"}, "en": {"Choose one or more", "Choose one"}}


def _pickers(app) -> list:  # type: ignore[no-untyped-def]
    return list(app.multiselect) + list(app.selectbox)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_merge_picker_has_no_select_all_and_a_translated_placeholder(
    home: Path, lang: str
) -> None:
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="merge", lang=lang)
    picker = app.multiselect(key=f"grids_merge_codes.{lang}")
    assert picker.proto.select_all == 0
    assert picker.proto.placeholder == ("选择一项或多项" if lang == "zh" else "Choose one or more")
    assert picker.value == []
    # The top item is the first grid, not "Select all": picking it previews no merge of
    # the whole street, only the refusal that a merge needs two grids.
    assert picker.options[0] == "Kamppi 网格01 (001001)"
    first = GeoPackageStore(home / "sample.gpkg").read("grids")["grid_code"].iloc[0]
    picker.set_value([first])
    app.button(key="grids_edit_submit").click().run()
    assert app.multiselect(key=f"grids_merge_codes.{lang}").value == [first]
    assert any(("至少需要两个" if lang == "zh" else "two") in e.value for e in app.error)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    "state",
    [
        {"grids_view": "edit", "grids_edit_kind": "move"},
        {"grids_view": "edit", "grids_edit_kind": "split_streets"},
        {"grids_view": "edit", "grids_edit_kind": "split_line"},
        {"grids_view": "auto"},
        {"grids_view": "history"},
    ],
)
def test_every_picker_on_the_page_has_a_translated_placeholder(
    home: Path, lang: str, state: dict
) -> None:
    app = run_app(PAGE, lang=lang, **state)
    pickers = _pickers(app)
    assert pickers
    for widget in pickers:
        if widget.key and widget.key.startswith("grids"):
            assert widget.proto.placeholder in PLACEHOLDERS[lang], widget.key
    for widget in app.multiselect:
        assert widget.proto.select_all == 0, widget.key


def test_the_page_plans_kamppi_within_5_percent_at_its_defaults(home: Path) -> None:
    app = run_app(PAGE, grids_view="auto", grids_auto_community=KAMPPI, lang="zh")
    app.button(key="grids_auto_run").click().run()
    assert not app.exception, [e.value for e in app.exception]
    compared = next(d.value for d in app.dataframe if "现状" in d.value.columns)
    deviation = compared.loc["最大户数偏差（%）"]
    assert deviation["现状"] == pytest.approx(4.04, abs=0.01)
    assert deviation["方案 1"] <= 5.0
    assert deviation["方案 1"] <= deviation["现状"]
    per_worker = compared.loc["每名网格员户数"]
    assert per_worker.nunique() == 1
    assert per_worker.iloc[0] == pytest.approx(287.4)
    warnings = [w.value for w in app.warning]
    assert any("在建筑之间再分" in w for w in warnings)
    assert not any("最均衡的方案偏差为" in w for w in warnings)  # no plan is out of ±5 %
    # A plan less even than today's grids says so; none is claimed to be when it is not.
    plans = [c for c in compared.columns if c != "现状"]
    less_even = any(deviation[c] > deviation["现状"] for c in plans)
    assert less_even == any("现状网格更均衡" in w for w in warnings)
