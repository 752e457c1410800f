"""Masking of personal data typed in full-width digits or kept in number columns, and the
scope rule a scoped write keeps (grid codes or location)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gridmap.access import AccessDeniedError, mask_columns, mask_personal_data, scoped
from gridmap.access._masking import mask_number
from gridmap.access._scoped import personal_columns
from gridmap.store import GeoPackageStore, PostGISStore, WorkspaceStore
from tests.test_access import COMMUNITY, OTHER, office, sample, viewer  # noqa: F401 - fixtures
from tests.test_heatmap_store import grids, incidents
from tests.test_scoped_summary import scoped as scoped_store
from tests.test_store import postgres_url


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("报警电话１３８１２３４５６７８", "报警电话１３８****５６７８"),
        ("座机０１０-６２３４５６７８", "座机０１０-******７８"),
        ("身份证号１１０１０５１９４９１２３１００２Ｘ", "身份证号１１０１０５********００２Ｘ"),
        ("手机＋８６　１５９００００１１１１", "手机＋８６　１５９****１１１１"),
        ("电话138１２３４5678", "电话138****5678"),  # mixed widths
        ("网格９９０１０１００１００２００３", None),  # a grid code in full width
    ],
)
def test_full_width_digits_are_masked_as_written(text: str, masked: str | None) -> None:
    assert mask_personal_data(text) == (masked or text)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (13812345678, "138****5678"),
        (np.int64(13812345678), "138****5678"),
        (13812345678.0, "138****5678"),
        (8613812345678, "86138****5678"),
        (110105198001011238, "110105********1238"),  # check digit right
        (110105198001011230, None),  # wrong: not an ID card
        (110105198001011238.0, "110105********1232"),  # a float's rounded last digits
        (1062345678, "106-*****78"),  # 010-62345678 without its leading 0
        (990101001002003, None),  # a grid code
        (2000, None),
        (2000.5, None),
        (True, None),
    ],
)
def test_numbers_that_look_personal_are_masked(value: object, masked: str | None) -> None:
    assert mask_number(value) == (value if masked is None else masked)


def test_number_columns_are_masked_only_when_they_hold_personal_numbers() -> None:
    frame = pd.DataFrame(
        {
            "电话": pd.array([13812345678, None, 5], dtype="Int64"),
            "金额": [1.5, 2.0, 3.0],
            "身份证": [110105198001011238.0, np.nan, 7.0],
            "备注": ["x", 13987654321, None],  # numbers among text
        }
    )
    masked = mask_columns(frame, list(frame.columns))
    assert masked["电话"].tolist()[::2] == ["138****5678", "5"]
    assert masked["金额"].dtype == np.float64  # nothing personal: still numbers
    assert masked["身份证"].tolist()[::2] == ["110105********1232", "7"]
    assert masked["备注"].tolist()[:2] == ["x", "139****4321"]


def test_personal_columns_of_incidents_include_number_columns_that_look_personal() -> None:
    rows = incidents(3)
    rows["报警电话"] = [13812345678, 1, 2]
    rows["份数"] = [1, 2, 3]
    rows["核实"] = [True, False, True]
    chosen = personal_columns(rows, "incidents")
    assert "报警电话" in chosen
    assert "份数" not in chosen
    assert "核实" not in chosen


def test_a_number_column_is_never_grouped_or_filtered_in_the_database() -> None:
    """A masked number column is counted from the masked rows, as a text one is."""
    store = PostGISStore(postgres_url())
    try:
        rows = incidents(300)
        rows["报警电话"] = [13800130000 + i for i in range(len(rows))]
        store.write("grids", grids(), message="grids")
        store.write("incidents", rows, message="incidents")
        mine = scoped_store(store, "110105001002", "viewer")  # no personal-data right
        got = mine.count_by("incidents", ["报警电话"])
        want = WorkspaceStore.count_by(mine, "incidents", ["报警电话"])
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        assert not got["报警电话"].astype(str).str.contains("13800130").any()
        hits = mine.count_by("incidents", [], where={"报警电话": [13800130000]})
        assert int(hits["count"].sum()) == 0  # no oracle on the unmasked numbers
    finally:
        store.drop()


def _sample_incidents(store: WorkspaceStore, sample_path: Path) -> None:
    store.write("incidents", GeoPackageStore(sample_path).read("incidents"), message="sample")


def test_a_write_without_codes_into_a_coded_layer_gets_the_scopes_codes(
    office: WorkspaceStore,  # noqa: F811
    sample: Path,  # noqa: F811
) -> None:
    rows = GeoPackageStore(sample).read("incidents")
    everyone = scoped(office, viewer(prefix="", role="administrator"))
    area = everyone.read("grids")
    coded = gpd.sjoin(rows, area[["grid_code", "geometry"]], predicate="within")
    coded = coded.drop(columns="index_right").drop_duplicates("incident_id")
    office.write("incidents", coded, message="coded incidents")
    analyst = scoped(office, viewer(role="analyst"))
    mine = analyst.read("incidents")
    before_other = len(scoped(office, viewer(prefix=OTHER)).read("incidents"))
    analyst.write("incidents", mine.drop(columns="grid_code"), message="without codes")
    after = office.read("incidents")
    assert after["grid_code"].notna().all()
    assert len(analyst.read("incidents")) == len(mine)
    assert len(scoped(office, viewer(prefix=OTHER)).read("incidents")) == before_other


def test_a_write_with_codes_into_a_located_layer_stays_by_location(
    office: WorkspaceStore,  # noqa: F811
    sample: Path,  # noqa: F811
) -> None:
    _sample_incidents(office, sample)
    analyst = scoped(office, viewer(role="analyst"))
    mine = analyst.read("incidents")
    mine["grid_code"] = COMMUNITY + "001"
    analyst.write("incidents", mine, message="with codes")
    assert "grid_code" not in office.read("incidents").columns
    # a row claiming the community's code but lying in another one is refused
    theirs = scoped(office, viewer(prefix=OTHER)).read("incidents").head(1)
    theirs["grid_code"] = COMMUNITY + "001"
    with pytest.raises(AccessDeniedError, match="outside your scope"):
        analyst.write("incidents", theirs, message="take over")
