"""From a file into a workspace: appended rows keep every column's type."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridmap import ValidationError
from gridmap.datasets import get_path
from gridmap.ingest import combine_rows, commit_import, read_into_workspace
from gridmap.store import GeoPackageStore


@pytest.fixture
def sample(tmp_path: Path) -> GeoPackageStore:
    path = tmp_path / "sample.gpkg"
    shutil.copyfile(get_path("helsinki"), path)
    return GeoPackageStore(path, create=False)


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_appending_a_file_without_optional_columns_keeps_the_stored_types(
    sample: GeoPackageStore, tmp_path: Path
) -> None:
    before = sample.read("incidents")
    assert before["synthetic"].dtype == bool
    csv = write_csv(
        tmp_path / "calls.csv",
        "id,time,lon,lat,category\nN1,2026-10-01 10:00,24.94,60.17,theft\n",
    )
    commit_import(sample, read_into_workspace(sample, csv, "incidents"))
    after = sample.read("incidents")
    assert len(after) == len(before) + 1
    # Old rows keep their flags; the imported row is real data, not synthetic.
    assert after["synthetic"].dtype == bool
    assert int(after["synthetic"].sum()) == len(before) == 24_000
    new = after[after["incident_id"] == "N1"].iloc[0]
    assert not new["synthetic"]
    for column in ("occurred_at", "handled_at"):
        assert pd.api.types.is_datetime64_any_dtype(after[column])
    assert new["occurred_at"] == pd.Timestamp("2026-10-01 10:00")
    assert pd.isna(new["handled_at"])
    pd.testing.assert_series_equal(
        after["handled_at"].iloc[: len(before)], before["handled_at"], check_dtype=False
    )
    assert after["source"].iloc[: len(before)].tolist() == before["source"].tolist()


def test_integer_columns_with_gaps_become_nullable_integers(
    sample: GeoPackageStore, tmp_path: Path
) -> None:
    before = sample.read("posts")
    assert before["staff"].dtype == "int64"
    csv = write_csv(tmp_path / "post.csv", "post_id,name,lon,lat\nP-new,新岗,24.94,60.17\n")
    commit_import(sample, read_into_workspace(sample, csv, "posts"))
    after = sample.read("posts")
    assert after["staff"].dtype == "Int64"
    assert after["staff"].iloc[: len(before)].tolist() == before["staff"].tolist()
    assert after["staff"].iloc[-1] is pd.NA
    assert after["mode"].iloc[-1] == "walk"  # the documented default of a post


def test_extra_columns_of_either_side_are_kept(sample: GeoPackageStore, tmp_path: Path) -> None:
    first = write_csv(
        tmp_path / "a.csv",
        "id,time,lon,lat,category,警员\nA1,2026-10-01 10:00,24.94,60.17,theft,张三\n",
    )
    commit_import(sample, read_into_workspace(sample, first, "incidents"))
    second = write_csv(
        tmp_path / "b.csv",
        "id,time,lon,lat,category,金额,synthetic\nA2,2026-10-02 10:00,24.94,60.17,fraud,100,否\n",
    )
    commit_import(sample, read_into_workspace(sample, second, "incidents"))
    after = sample.read("incidents").set_index("incident_id")
    assert after.loc["A1", "警员"] == "张三"
    assert pd.isna(after.loc["A2", "警员"])
    assert pd.isna(after.loc["A1", "金额"])
    assert str(after.loc["A2", "金额"]) == "100"
    assert after["synthetic"].dtype == bool
    assert not after.loc[["A1", "A2"], "synthetic"].any()
    assert int(after["synthetic"].sum()) == 24_000


def test_replacing_a_layer_marks_user_rows_as_real(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "w.gpkg")
    csv = write_csv(
        tmp_path / "calls.csv",
        "id,time,lon,lat,category,synthetic\n"
        "R1,2026-10-01 10:00,24.94,60.17,theft,是\n"
        "R2,2026-10-01 11:00,24.94,60.17,theft,\n",
    )
    commit_import(store, read_into_workspace(store, csv, "incidents"), mode="replace")
    back = store.read("incidents")
    assert back["synthetic"].dtype == bool
    assert back["synthetic"].tolist() == [True, False]


def points(n: int, **columns: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=shapely.points([24.94] * n, [60.17] * n), crs=4326)


def test_combine_rows_gives_each_column_one_kind() -> None:
    stored = points(
        2,
        incident_id=["I1", "I2"],
        occurred_at=pd.to_datetime(["2026-01-01", "2026-01-02"]).astype("datetime64[ms]"),
        count=[1, 2],
        flag=[True, False],
        synthetic=["True", "False"],  # as a layer written before this fix holds it
    )
    imported = points(
        1,
        incident_id=["N1"],
        occurred_at=pd.to_datetime(["2026-02-01"]).astype("datetime64[ms]"),
        count=[2.5],
    )
    combined = combine_rows([stored, imported], "incidents")
    assert list(combined.columns) == [
        "incident_id",
        "occurred_at",
        "count",
        "flag",
        "synthetic",
        "geometry",
    ]
    assert combined["occurred_at"].dtype == "datetime64[ms]"
    assert combined["count"].tolist() == [1.0, 2.0, 2.5]
    assert combined["flag"].dtype == "boolean"
    assert combined["flag"].tolist() == [True, False, pd.NA]
    assert combined["synthetic"].tolist() == [True, False, False]
    assert combined.crs == stored.crs


def test_combine_rows_refuses_text_in_a_date_column() -> None:
    stored = points(1, incident_id=["I1"], occurred_at=["not a date"])
    imported = points(1, incident_id=["N1"], occurred_at=pd.to_datetime(["2026-02-01"]))
    with pytest.raises(ValidationError, match="occurred_at"):
        combine_rows([stored, imported], "incidents")


def _calls(n_far: int, n_near: int) -> str:
    rows = [f"F{i},2026-10-01 10:00,{116.39 + i / 1000:.4f},39.91,theft" for i in range(n_far)]
    rows += [f"N{i},2026-10-01 10:00,24.94,{60.16 + i / 1000:.4f},theft" for i in range(n_near)]
    return "id,time,lon,lat,category\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("n_far", "n_near", "expected"), [(10, 0, True), (8, 2, True), (7, 3, False), (0, 5, False)]
)
def test_a_file_mostly_far_outside_the_workspace_is_recognised(
    sample: GeoPackageStore, tmp_path: Path, n_far: int, n_near: int, expected: bool
) -> None:
    csv = write_csv(tmp_path / "calls.csv", _calls(n_far, n_near))
    result = read_into_workspace(sample, csv, "incidents", crs="wgs84")
    assert result.n_far_outside == n_far
    assert result.mostly_far_outside is expected  # FAR_OUTSIDE_SHARE = 80 %


def test_a_new_workspace_takes_the_whole_file_or_nothing(
    sample: GeoPackageStore, tmp_path: Path
) -> None:
    from gridmap._errors import StoreError
    from gridmap.ingest import commit_to_new_workspace, read_for_new_workspace

    csv = write_csv(tmp_path / "calls.csv", _calls(10, 0))
    result = read_for_new_workspace(csv, "incidents", crs="wgs84")
    assert (len(result.data), len(result.rejected)) == (10, 0)  # no bounds to be far from
    version = commit_to_new_workspace(tmp_path / "beijing.gpkg", result, author="王警官")
    assert (version.layer, version.n_features, version.author) == ("incidents", 10, "王警官")
    with pytest.raises(StoreError, match="already exists"):  # never overwritten
        commit_to_new_workspace(sample.location, result)
    assert len(sample.read("incidents")) == 24_000
    # No half-built workspace is left (lock files are the store's, kept by design).
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))
    assert left == ["beijing.gpkg", "calls.csv", "sample.gpkg"]


def test_every_layer_has_a_default_import_mode() -> None:
    # The Data page looks the mode up for the layer chosen: Hot spots raised KeyError.
    from gridmap.ingest import DEFAULT_MODE
    from gridmap.schema import LAYERS

    assert set(DEFAULT_MODE) == set(LAYERS)
