"""Checks of arguments that more than one module takes.

Each raises :class:`~gridmap._errors.ValidationError` with a message naming the argument
as the caller spells it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import pyproj

from gridmap._errors import ValidationError


def check_positive(value: Any, name: str, *, allow_none: bool = False) -> float | None:
    """`value` as a float if it is a finite positive real number, else ValidationError.

    >>> check_positive(250, "cell_size")
    250.0
    >>> check_positive(-3, "bandwidth")
    Traceback (most recent call last):
    ...
    gridmap._errors.ValidationError: `bandwidth` must be positive; got -3
    """
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or float(value) <= 0
    ):
        msg = f"`{name}` must be positive; got {value!r}"
        raise ValidationError(msg)
    return float(value)


def check_metric_crs(crs: Any, name: str = "crs") -> pyproj.CRS:
    """`crs` as a projected pyproj CRS in metres (a workspace's working CRS), else error."""
    try:
        out = pyproj.CRS.from_user_input(crs)
    except (pyproj.exceptions.CRSError, TypeError):
        msg = f"`{name}` must be a CRS (EPSG code, string or pyproj.CRS); got {crs!r}"
        raise ValidationError(msg) from None
    unit = out.axis_info[0].unit_name if out.axis_info else ""
    if not out.is_projected or unit not in ("metre", "meter"):
        msg = (
            f"`{name}` must be a projected CRS in metres (the workspace's working CRS); "
            f"got {out.name!r}"
        )
        raise ValidationError(msg)
    return out


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
