"""Checks of arguments that more than one module takes.

Each raises :class:`~gridmap._errors.ValidationError` with a message naming the argument
as the caller spells it.
"""

from __future__ import annotations

import math

from gridmap._errors import ValidationError


def check_lonlat_bounds(bounds: object, argument: str) -> tuple[float, float, float, float]:
    """`bounds` as (west, south, east, north) floats in degrees of longitude and latitude.

    >>> check_lonlat_bounds([24.9, "60.15", 24.98, 60.19], "bounds")
    (24.9, 60.15, 24.98, 60.19)
    >>> check_lonlat_bounds((25.0, 60.2, 24.9, 60.1), "bounds")
    Traceback (most recent call last):
    ...
    gridmap._errors.ValidationError: `bounds` must be (west, south, east, north) in degrees of longitude and latitude; got (25.0, 60.2, 24.9, 60.1)
    """  # noqa: E501
    try:
        west, south, east, north = (float(b) for b in bounds)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        west = south = east = north = math.nan
    if not (
        all(map(math.isfinite, (west, south, east, north)))
        and -180 <= west <= east <= 180
        and -90 <= south <= north <= 90
    ):
        msg = (
            f"`{argument}` must be (west, south, east, north) in degrees of longitude "
            f"and latitude; got {bounds!r}"
        )
        raise ValidationError(msg)
    return west, south, east, north
