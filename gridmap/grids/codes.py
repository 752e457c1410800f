"""Grid hierarchy and codes: district → street → community → grid.

A grid code has 15 digits: 6-digit administrative district code (GB/T 2260), 3-digit
street (街道), 3-digit community (社区) and 3-digit grid (网格). The code prefix *is* the
hierarchy, so a community is the dissolve of its grids by the first 12 digits.
Within a community, grids are numbered in reading order: rows from north to south and,
within a row, from west to east.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap._errors import ValidationError

Level = Literal["district", "street", "community", "grid"]

#: Length of the code prefix that identifies each level.
LEVEL_DIGITS: dict[str, int] = {"district": 6, "street": 9, "community": 12, "grid": 15}

#: Optional name columns on the grids layer, one per level above the grid.
LEVEL_NAME_COLUMNS: dict[str, str] = {
    "district": "district",
    "street": "street",
    "community": "community",
    "grid": "name",
}


@dataclass(frozen=True)
class GridCode:
    """The four parts of a 15-digit grid code."""

    district: str
    street: str
    community: str
    grid: str

    @classmethod
    def parse(cls, code: str) -> GridCode:
        """Split a grid code into its parts.

        >>> GridCode.parse("110101001002003")
        GridCode(district='110101', street='001', community='002', grid='003')
        """
        text = str(code).strip()
        if not is_valid_grid_code(text):
            msg = f"`code` must be 15 digits (6+3+3+3); got {text!r}"
            raise ValidationError(msg)
        return cls(text[:6], text[6:9], text[9:12], text[12:])

    def __str__(self) -> str:
        return self.district + self.street + self.community + self.grid


def is_valid_grid_code(code: object) -> bool:
    """Whether `code` is a well-formed grid code.

    The district part must be six digits not starting with 0, and the street, community
    and grid parts must not be 000 (000 means "the level above" in these codes).

    >>> is_valid_grid_code("110101001002003"), is_valid_grid_code("110101001002000")
    (True, False)
    >>> is_valid_grid_code(110101001002003), is_valid_grid_code("11010100100200")
    (False, False)
    """
    if not isinstance(code, str) or len(code) != 15 or not code.isascii() or not code.isdigit():
        return False
    return code[0] != "0" and "000" not in (code[6:9], code[9:12], code[12:])


def invalid_grid_codes(codes: Iterable[object]) -> list[str]:
    """Return the codes in `codes` that are not well-formed grid codes, as strings."""
    return [str(c) for c in codes if not is_valid_grid_code(c)]


def code_at_level(codes: pd.Series, level: Level) -> pd.Series:
    """Truncate grid codes to the prefix identifying `level`.

    >>> code_at_level(pd.Series(["110101001002003"]), "community").tolist()
    ['110101001002']
    """
    if level not in LEVEL_DIGITS:
        msg = f"`level` must be one of {', '.join(LEVEL_DIGITS)}; got {level!r}"
        raise ValidationError(msg)
    return codes.astype(str).str.slice(0, LEVEL_DIGITS[level])


def dissolve_level(grids: gpd.GeoDataFrame, level: Level) -> gpd.GeoDataFrame:
    """Dissolve `grids` into the units of `level` (street, community …) by code prefix.

    Returns one row per unit with `code`, `name` (from the level's name column when the
    grids carry one, else the code), `n_grids` and summed `households`/`population`.
    """
    if "grid_code" not in grids.columns:
        msg = "`grids` must have a grid_code column"
        raise ValidationError(msg)
    frame = grids.assign(code=code_at_level(grids["grid_code"], level))
    sums = [c for c in ("households", "population") if c in frame.columns]
    name_col = LEVEL_NAME_COLUMNS[level]
    agg: dict[str, tuple[str, str]] = {"n_grids": ("grid_code", "count")}
    agg.update({c: (c, "sum") for c in sums})
    if name_col in frame.columns:
        agg["name"] = (name_col, "first")
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name)).groupby("code").agg(**agg)
    geometry = frame.groupby("code")[frame.geometry.name].agg(shapely.union_all)
    out = gpd.GeoDataFrame(table, geometry=geometry.reindex(table.index), crs=grids.crs)
    if "name" not in out.columns:
        out["name"] = out.index.astype(str)
    return out.reset_index()


def reading_order(polygons: gpd.GeoSeries | Sequence[shapely.Geometry]) -> np.ndarray:
    """Positions of `polygons` sorted north→south by rows, west→east within a row.

    Rows are bands as tall as the median polygon height, measured from the northern edge,
    so grids of one street block row share a row even when their centres wobble.
    """
    geoms = np.asarray(polygons, dtype=object)
    if not len(geoms):
        return np.array([], dtype=int)
    points = shapely.point_on_surface(geoms)
    x, y = shapely.get_x(points), shapely.get_y(points)
    bounds = shapely.bounds(geoms)
    band = float(np.median(bounds[:, 3] - bounds[:, 1])) or 1.0
    row = np.floor((np.nanmax(y) - y) / band)
    return np.lexsort((x, row))


def number_grids(grids: gpd.GeoDataFrame, *, community_code: str, start: int = 1) -> pd.Series:
    """Grid codes for `grids` of one community, numbered in reading order from `start`.

    Returns a Series aligned with `grids`. Use it after splitting or merging grids to
    renumber a community.
    """
    if len(community_code) != 12 or not community_code.isdigit():
        msg = f"`community_code` must be 12 digits; got {community_code!r}"
        raise ValidationError(msg)
    if len(grids) + start - 1 > 999:
        msg = "a community holds at most 999 grids"
        raise ValidationError(msg)
    order = reading_order(grids.geometry)
    numbers = np.empty(len(grids), dtype=int)
    numbers[order] = np.arange(start, start + len(grids))
    codes = [f"{community_code}{n:03d}" for n in numbers]
    return pd.Series(codes, index=grids.index, name="grid_code")


def next_grid_codes(community_code: str, existing: Iterable[str], n: int) -> list[str]:
    """The next `n` unused grid codes of a community (numbers after the highest in use).

    >>> next_grid_codes("110101001002", ["110101001002001", "110101001002004"], 2)
    ['110101001002005', '110101001002006']
    """
    used = [int(c[12:]) for c in existing if str(c).startswith(community_code)]
    first = max(used, default=0) + 1
    if first + n - 1 > 999:
        msg = f"community {community_code} has no free grid numbers left"
        raise ValidationError(msg)
    return [f"{community_code}{k:03d}" for k in range(first, first + n)]
