"""Cells read as what they say: text as the user sees it, numbers and coordinates.

Spreadsheet cells arrive as Excel numbers, dates or text; :func:`as_text` shows them as
the user typed them. :func:`parse_numbers` reads coordinates (and other numbers) in the
forms people write: thousands separators, decimal commas, degrees-minutes-seconds with a
hemisphere. Everything works on whole columns.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from gridmap.io._times import blank_mask


def cell_text(value: object) -> object:
    """One spreadsheet cell as text (None when empty), as a user would read it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def as_text(values: pd.Series) -> pd.Series:
    """Values as strings: Excel numbers without a spurious ``.0``, missing as NA."""
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return values
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype("str")
    if pd.api.types.is_float_dtype(values.dtype):
        v = values.to_numpy(dtype=float, na_value=np.nan)
        if np.all(np.isnan(v) | (v == np.floor(v))):
            return values.astype("Int64").astype("str")
    return values.map(cell_text).astype("str")


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates as floats, with masks of blank and of non-numeric values."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        v = values.to_numpy(dtype=float, na_value=np.nan)
        return v, np.isnan(v), np.zeros(len(v), dtype=bool)
    blank = blank_mask(values)
    numbers = pd.to_numeric(values.where(~blank), errors="coerce")
    v = np.array(numbers.to_numpy(dtype=float, na_value=np.nan))
    failed = np.isnan(v) & ~blank
    if failed.any():
        v[failed] = _lenient_numbers(as_text(values[failed]))
    return v, blank, np.isnan(v) & ~blank


#: A coordinate written with degrees, minutes, seconds and/or a hemisphere, before or after
#: the number, once :func:`_plain_marks` has reduced its marks to ``°``, ``'``, ``"``:
#: "116°23'45.6"E", "116 23 45.6 E", "116:23:45.6", "E116 23.76", "116.404E", "N39.926",
#: "东经116.404", "北纬39度54分36秒".
_DEGREES = re.compile(
    r"^(?P<before>[NSEWnsew]|[东西]经|[南北]纬)?\s*[:：]?\s*"
    r"(?P<deg>[+-]?\d+(?:\.\d+)?)\s*"
    r"(?:(?P<dmark>°|度|:|\s)\s*"
    r"(?:(?P<min>\d+(?:\.\d+)?)\s*(?:'|分|:|\s)?\s*"
    r"(?:(?P<sec>\d+(?:\.\d+)?)\s*(?:\"|秒)?)?)?)?"
    r"\s*(?P<after>[NSEWnsew东西南北])?$"
)
_SOUTH_WEST = frozenset({"S", "s", "W", "w", "南", "西", "南纬", "西经"})
# Marks people type for degrees, minutes and seconds, and what each stands for. The
# ordinal indicator º and ring ˚ are common for ° (Spanish/Portuguese keyboards, Word's
# autocorrect); curly quotes, primes and accents for ' and "; two single marks for ".
_MARKS = (
    (r"[º˚]", "°"),
    (r"[′’‘´`ʹ]", "'"),
    (r"[″”“ʺ]", '"'),
    (r"''", '"'),
    ("[−–]", "-"),
)
# Thousands separators in metres: "4,419,624.325", "448,475", "4 419 624", "4.419.624,3".
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_THOUSANDS_SPACE = re.compile(r"^[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?$")
_THOUSANDS_DOTS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+,\d+$")


def _plain_marks(text: pd.Series) -> pd.Series:
    """Full-width forms, the many degree/minute/second marks and minus signs made plain."""
    t = text.str.replace(_MARKS[0][0], _MARKS[0][1], regex=True)  # before NFKC turns º to o
    t = t.str.normalize("NFKC").str.strip()
    for pattern, plain in _MARKS[1:]:
        t = t.str.replace(pattern, plain, regex=True)
    return t


def _separated_thousands(t: pd.Series) -> pd.Series:
    """Numbers written with thousands separators, NaN elsewhere.

    A single comma group ("448,475") is thousands only when the number before it cannot
    be degrees (over 180); "24,940" stays a decimal comma (24.94).
    """
    commas = t.str.fullmatch(_THOUSANDS).fillna(False)
    whole = pd.to_numeric(t.str.replace(",", "", regex=False).where(commas), errors="coerce")
    one_group = t.str.count(",").eq(1) & ~t.str.contains(".", regex=False)
    head = pd.to_numeric(t.str.extract(r"^[+-]?(\d+),")[0], errors="coerce").abs()
    whole = whole.where(~(one_group & head.le(180).fillna(False)))
    spaced = t.str.fullmatch(_THOUSANDS_SPACE).fillna(False)
    dotted = t.str.fullmatch(_THOUSANDS_DOTS).fillna(False)
    alternatives = (
        pd.to_numeric(t.str.replace(" ", "", regex=False).where(spaced), errors="coerce"),
        pd.to_numeric(
            t.str.replace(".", "", regex=False).str.replace(",", ".").where(dotted),
            errors="coerce",
        ),
    )
    for values in alternatives:
        whole = whole.fillna(values)
    return whole


def _lenient_numbers(text: pd.Series) -> np.ndarray:
    """Thousands separators, decimal commas, degrees-minutes-seconds and hemispheres.

    Runs only on the values a plain number parse could not read (the fast path stays
    :func:`pandas.to_numeric`), vectorised with pandas string methods. Reads
    "4,419,624.325" (metres), "24,94" (decimal comma), "116°23'45.6"E" with any of the
    marks people type (º, ˚, curly quotes, primes, ``''``), "116 23 45.6 E",
    "116:23:45.6", "E116 23.76" (degrees and decimal minutes), "北纬39度54分36秒". E and N
    (东经, 北纬) are positive, W and S (西经, 南纬) negative. Minutes and seconds must be
    below 60, and only the last part may have decimals; a number with a hemisphere on
    both sides is not read.

    >>> values = ["116º23′45.6″E", "E116 23.76", "39:54:36", "4,419,624", "116 75 E"]
    >>> _lenient_numbers(pd.Series(values)).round(3).tolist()
    [116.396, 116.396, 39.91, 4419624.0, nan]
    """
    t = _plain_marks(text)
    thousands = _separated_thousands(t)
    comma = pd.to_numeric(t.str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True), errors="coerce")
    parts = t.str.extract(_DEGREES)
    deg, minutes, seconds = (
        pd.to_numeric(parts[k], errors="coerce") for k in ("deg", "min", "sec")
    )
    hemisphere = parts["before"].notna() != parts["after"].notna()
    marked = (
        parts["dmark"].isin(["°", "度", ":"])
        | (minutes.notna() & parts["dmark"].notna())
        | hemisphere
    )
    whole_deg = deg.eq(np.floor(deg)) | minutes.isna()
    whole_min = minutes.eq(np.floor(minutes)) | seconds.isna()
    valid = (
        marked
        & whole_deg
        & whole_min
        & minutes.fillna(0).lt(60)
        & seconds.fillna(0).lt(60)
        & deg.abs().le(180)
    )
    dms = deg.abs() + minutes.fillna(0) / 60 + seconds.fillna(0) / 3600
    negative = deg.lt(0) | parts["before"].isin(_SOUTH_WEST) | parts["after"].isin(_SOUTH_WEST)
    dms = dms.where(~negative.fillna(False), -dms).where(valid.fillna(False))
    out = thousands.fillna(comma).fillna(dms)
    return out.to_numpy(dtype=float, na_value=np.nan)
