"""Headers as field offices lay them out: on two rows, and date and time in two columns.

Excel ledgers often group columns under a merged cell: ``坐标`` over ``经度`` / ``纬度``
in a second header row, with ``编号`` and ``发生时间`` merged down over both rows. Read as
values (openpyxl's read-only mode does not report merged cells, and CSV has none) that is
a first row with blanks where the second row has names. :func:`find_header` recognises
the pattern and combines the two rows: the second row's name where it has one, else the
first row's.

Ledgers also keep the date and the time of day in two columns side by side (``日期`` |
``时间``). :func:`combine_date_time` joins them into the one date-time column the layer
needs, when the column detected for it holds only dates or only times of day and its
neighbour holds the other half.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import pandas as pd

from gridmap.i18n import Message
from gridmap.io._columns import header_score, match_columns

#: Rows looked at for the header (title rows above it are skipped).
SCAN_ROWS = 20
#: Values sampled to tell a date-only or time-only column.
_SAMPLE = 200

_TIME_ONLY = re.compile(
    r"^\s*(?:上午|下午|凌晨|早上|早晨|中午|晚上|夜间|夜里|深夜|半夜|傍晚)?\s*"
    r"\d{1,2}\s*(?:[:：]\s*\d{1,2}(?:\s*[:：]\s*\d{1,2}(?:\.\d+)?)?|时\s*(?:\d{1,2}\s*分?)?"
    r"(?:\s*\d{1,2}\s*秒)?)\s*(?:[AaPp]\.?\s?[Mm]\.?)?\s*$"
)
_DATE_ONLY = re.compile(
    r"^\s*(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{8}"
    r"|\d{1,2}/\d{1,2}/\d{4})\s*(?:0{1,2}[:：]00(?:[:：]00)?)?\s*$"
)

#: Text that is a value (a number, date or time), not a column name.
_VALUE = re.compile(r"^[\d\s.,:：/+\-年月日时分秒°′″'\"]+$")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or not str(value).strip()


def _names(row: Sequence[object]) -> bool:
    """Whether a row's non-blank cells are all text (names), not numbers or dates."""
    cells = [v for v in row if not _blank(v)]
    return bool(cells) and all(isinstance(v, str) and not _VALUE.match(v) for v in cells)


def combine_rows(first: Sequence[object], second: Sequence[object]) -> list[object]:
    """One header from two rows: the second row's name where present, else the first's.

    >>> combine_rows(["编号", "坐标", None], [None, "经度", "纬度"])
    ['编号', '经度', '纬度']
    """
    width = max(len(first), len(second))
    first = list(first) + [None] * (width - len(first))
    second = list(second) + [None] * (width - len(second))
    return [b if not _blank(b) else a for a, b in zip(first, second, strict=True)]


def _two_rows(first: Sequence[object], second: Sequence[object], roles: Sequence[str]) -> bool:
    """Whether `first` and `second` are one header written on two rows.

    The merged-cell pattern: the second row holds only text, with blanks under some of
    the first row's names (cells merged downwards) and a name where the first row is
    blank (a cell merged across, its name in the second row); some of the second row's
    names answer to a role, and the combined header answers more roles than either row.
    """
    if not (_names(first) and _names(second)):
        return False
    width = max(len(first), len(second))
    a = list(first) + [None] * (width - len(first))
    b = list(second) + [None] * (width - len(second))
    under_blank = any(_blank(x) and not _blank(y) for x, y in zip(a, b, strict=True))
    if not under_blank:
        return False
    if not match_columns([y for y in b if not _blank(y)], roles):
        return False
    combined = header_score(combine_rows(a, b), roles)
    return combined > max(header_score(a, roles), header_score(b, roles))


def find_header(
    rows: Sequence[Sequence[object]], roles: Sequence[str], start: int = 0
) -> tuple[int, int, list[object]]:
    """Where the header is among a table's first rows.

    Returns the index of its first row, the index of its last row (the same, or the next
    one for a two-row header) and its cells. The header is the row answering the most
    roles (title rows above it are skipped; `start` is the first non-blank row, taken
    when no row does better), joined with the row above or below it when the two are
    one header (:func:`_two_rows`).
    """
    scores = [header_score(r, roles) for r in rows[:SCAN_ROWS]]
    if not scores:
        return start, start, []
    top = max(scores)
    index = scores.index(top) if top > scores[start] else start
    if index + 1 < len(rows) and _two_rows(rows[index], rows[index + 1], roles):
        return index, index + 1, combine_rows(rows[index], rows[index + 1])
    if index > start and _two_rows(rows[index - 1], rows[index], roles):
        return index - 1, index, combine_rows(rows[index - 1], rows[index])
    return index, index, list(rows[index])


# ------------------------------------------------------------------- date + time columns


def _kind(values: pd.Series) -> str | None:
    """``"date"`` or ``"time"`` when every sampled value is a date only or a time only."""
    sample = values[~values.map(_blank)].head(_SAMPLE)
    if not len(sample):
        return None
    if pd.api.types.is_datetime64_any_dtype(sample.dtype):
        return "date" if (sample.dt.normalize() == sample).all() else None
    kinds = set()
    for value in sample:
        if isinstance(value, dt.datetime | pd.Timestamp):
            kinds.add("date" if value == value.replace(hour=0, minute=0, second=0) else None)
        elif isinstance(value, dt.date):
            kinds.add("date")
        elif isinstance(value, dt.time) or (isinstance(value, str) and _TIME_ONLY.match(value)):
            kinds.add("time")
        elif isinstance(value, str) and _DATE_ONLY.match(value):
            kinds.add("date")
        else:
            return None
        if len(kinds) > 1:
            return None
    return kinds.pop()


def _text(value: object, kind: str) -> str | None:
    if _blank(value):
        return None
    if kind == "date" and isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if kind == "time" and isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    text = str(value).strip()
    if kind == "date":  # "2023-05-01 00:00:00" from a date cell written as text
        text = re.sub(r"\s+0{1,2}[:：]00(?:[:：]00)?$", "", text)
    return text


def combine_date_time(
    frame: pd.DataFrame, mapping: dict[str, str], role: str = "occurred_at"
) -> Message | None:
    """Join a date column and the time column beside it into `mapping[role]`'s column.

    When the column detected for `role` holds only dates (or only times of day) and the
    column next to it, serving no other role, holds only times (or dates), the detected
    column's values become ``date time`` text, parsed like any other date-time. The other
    column is kept as it is. Returns a note for the user, or None when nothing was joined.
    """
    column = mapping.get(role)
    if column is None or column not in frame.columns:
        return None
    kind = _kind(frame[column])
    if kind is None:
        return None
    other_kind = "time" if kind == "date" else "date"
    names = list(frame.columns)
    at = names.index(column)
    used = set(mapping.values())
    for neighbour in (at + 1, at - 1):
        if not 0 <= neighbour < len(names) or names[neighbour] in used:
            continue
        other = names[neighbour]
        if _kind(frame[other]) != other_kind:
            continue
        date_col, time_col = (column, other) if kind == "date" else (other, column)
        dates = [_text(v, "date") for v in frame[date_col]]
        times = [_text(v, "time") for v in frame[time_col]]
        joined = [
            None if d is None else (d if t is None else f"{d} {t}")
            for d, t in zip(dates, times, strict=True)
        ]
        frame[column] = pd.Series(joined, index=frame.index, dtype=object)
        return Message("date_time_joined", date=date_col, time=time_col, column=role)
    return None
