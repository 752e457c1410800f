"""Grid codes, hierarchy dissolves and reading-order numbering."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from gridmap import ValidationError
from gridmap.grids import (
    GridCode,
    code_at_level,
    dissolve_level,
    invalid_grid_codes,
    next_grid_codes,
    number_grids,
)


def square_grid(rows: int, cols: int) -> gpd.GeoDataFrame:
    cells = [shapely.box(c, -r - 1, c + 1, -r) for r in range(rows) for c in range(cols)]
    return gpd.GeoDataFrame({"households": range(rows * cols)}, geometry=cells, crs=3857)


def test_numbering_reads_rows_north_to_south_then_west_to_east() -> None:
    grids = square_grid(2, 3).sample(frac=1.0, random_state=1)  # shuffled on purpose
    grids["grid_code"] = number_grids(grids, community_code="110101001002")
    by_code = grids.sort_values("grid_code")
    xy = [(round(g.centroid.x, 1), round(g.centroid.y, 1)) for g in by_code.geometry]
    assert xy == [(0.5, -0.5), (1.5, -0.5), (2.5, -0.5), (0.5, -1.5), (1.5, -1.5), (2.5, -1.5)]
    assert by_code["grid_code"].iloc[0] == "110101001002001"


def test_numbering_tolerates_wobbly_rows() -> None:
    cells = [shapely.box(0, 0, 1, 1), shapely.box(1, 0.2, 2, 1.2), shapely.box(0, -1, 1, 0)]
    grids = gpd.GeoDataFrame(geometry=cells)
    codes = number_grids(grids, community_code="110101001002").tolist()
    assert codes == ["110101001002001", "110101001002002", "110101001002003"]


def test_code_validation() -> None:
    assert invalid_grid_codes(
        [
            "110101001002003",
            "11010100100200X",
            "010101001002003",
            "110101000002003",
            110101001002003,
        ]
    ) == ["11010100100200X", "010101001002003", "110101000002003", "110101001002003"]
    with pytest.raises(ValidationError, match="15 digits"):
        GridCode.parse("123")
    assert str(GridCode.parse("110101001002003")) == "110101001002003"
    with pytest.raises(ValidationError, match="`community_code`"):
        number_grids(square_grid(1, 1), community_code="12")
    with pytest.raises(ValidationError, match="`level`"):
        code_at_level(gpd.GeoSeries([]).astype(str), "county")  # type: ignore[arg-type]


def test_next_codes_continue_after_the_highest() -> None:
    assert next_grid_codes("110101001002", [], 1) == ["110101001002001"]
    with pytest.raises(ValidationError, match="no free grid numbers"):
        next_grid_codes("110101001002", ["110101001002998"], 3)


def test_dissolve_by_prefix_sums_households() -> None:
    grids = square_grid(2, 2)
    grids["grid_code"] = [
        "110101001001001",
        "110101001001002",
        "110101001002001",
        "110101002001001",
    ]
    grids["community"] = ["A", "A", "B", "C"]
    communities = dissolve_level(grids, "community")
    assert communities["code"].tolist() == ["110101001001", "110101001002", "110101002001"]
    assert communities["households"].tolist() == [0 + 1, 2, 3]
    assert communities["name"].tolist() == ["A", "B", "C"]
    assert communities.geometry.iloc[0].area == pytest.approx(2.0)
    streets = dissolve_level(grids, "street")
    assert streets["n_grids"].tolist() == [3, 1]
    assert streets["name"].tolist() == ["110101001", "110101002"]  # no street names given
