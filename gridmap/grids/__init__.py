"""Planners' grids: codes and hierarchy, blocks, topology, edits, balanced partitions.

The codes module was ``gridmap/grids.py``; every public name of it is re-exported here so
``from gridmap.grids import dissolve_level, number_grids …`` keeps working.
"""

from __future__ import annotations

from gridmap.grids.codes import (
    LEVEL_DIGITS,
    LEVEL_NAME_COLUMNS,
    GridCode,
    Level,
    code_at_level,
    dissolve_level,
    invalid_grid_codes,
    is_valid_grid_code,
    next_grid_codes,
    number_grids,
    reading_order,
)

__all__ = [
    "LEVEL_DIGITS",
    "LEVEL_NAME_COLUMNS",
    "GridCode",
    "Level",
    "code_at_level",
    "dissolve_level",
    "invalid_grid_codes",
    "is_valid_grid_code",
    "next_grid_codes",
    "number_grids",
    "reading_order",
]
