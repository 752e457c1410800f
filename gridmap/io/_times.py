"""Date-time parsing for imported tables: ISO, Chinese, slashed, dotted and Excel forms.

Everything here is vectorised: one fast :func:`pandas.to_datetime` pass in ISO 8601 handles
the common case, and only the values it leaves unparsed go through the slower steps
(normalising Chinese date markers with vectorised string operations, Unix timestamps, a few
explicit formats, Excel serial numbers and compact ``YYYYMMDD`` numbers).

Times are stored naive, as local wall-clock times. Values written with a UTC offset, and
Unix timestamps, are parsed with a note of their offset (:class:`Times`) and put on one
clock for the whole file by :func:`to_local`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gridmap.i18n import Message

#: Day zero of Excel's 1900 date system for serials from 61 (1900-03-01) on. Excel counts
#: a phantom 1900-02-29 (serial 60, kept for Lotus 1-2-3 compatibility), so serials 1-59
#: are one day later: serial 1 = 1900-01-01. Source: Microsoft, "Excel incorrectly assumes
#: that the year 1900 is a leap year" (KB 214326), and ECMA-376 Part 1 §18.17.4.1.
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ms")
_EXCEL_EPOCH_BEFORE_MARCH_1900 = np.datetime64("1899-12-31T00:00:00", "ms")
_EXCEL_PHANTOM_LEAP_DAY = 60
#: Serial numbers accepted as Excel dates: 1900-01-01 up to 2100-12-31 (serial 73415).
#: Larger numbers are ids, year-months (202603) or amounts, never dates of year 2454.
EXCEL_SERIAL_RANGE = (1.0, 73416.0)
#: Numbers are read as Excel dates only in a column that looks like one: the median of
#: its numbers falls in 1950-2100 (serial 18264 on). A column of ids (1, 2, 45 ...) does not.
EXCEL_PLAUSIBLE_FROM = 18264.0
#: Unix timestamps in seconds accepted as date-times: the 10-digit ones, 2001-09-09 up to
#: 2286-11-20 (apps export these; no Excel serial or compact YYYYMMDD number is that
#: size). The same range in milliseconds (13 digits) is read too.
UNIX_SECONDS_RANGE = (1e9, 1e10)

#: Date-times outside these are refused as unreadable: "-1" is ISO 8601 for the year 1 BC
#: and "0001-01-01" a database placeholder, neither a time anything happened.
PLAUSIBLE_TIMES = (pd.Timestamp("1900-01-01"), pd.Timestamp("2101-01-01"))

#: Resolution of every parsed date-time column.
TIME_UNIT = "datetime64[ms]"

#: The forms a user can write, for error messages.
ACCEPTED_FORMS = (
    "2026-03-01 10:00, 2026/3/1 10:00, 2026.03.01, 2026年3月1日 10时30分, 20260301 or an Excel date"
)

# Tried in order on what the ISO pass leaves, after normalisation (see _normalise).
_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H",
    "%Y-%m-%d",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d %H:%M",
    "%Y%m%d%H%M%S",
    "%Y%m%d%H%M",
    "%Y%m%d",
)

# Values meaning "no value" in hand-made spreadsheets.
BLANK_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "nat", "null", "none", "-", "--", "—", "无", "空"}
)
_LONGEST_TOKEN = 6  # a placeholder with a little padding around it

# 12-hour clock markers. English ones only as a word of their own ("3:20PM", "3:20 p.m."),
# so "AMAP" or a month name never counts.
_LATIN_PM = r"(?<![A-Za-z])[Pp]\.?\s?[Mm]\.?(?![A-Za-z])"
_LATIN_AM = r"(?<![A-Za-z])[Aa]\.?\s?[Mm]\.?(?![A-Za-z])"
_NIGHT_MARKERS = r"晚上|夜间|夜里|深夜|半夜"
_PM_MARKERS = r"下午|傍晚|" + _NIGHT_MARKERS + "|" + _LATIN_PM
_AM_MARKERS = r"上午|早上|早晨|清晨|凌晨|" + _LATIN_AM
_NOON_MARKERS = r"中午"


def blank_mask(values: pd.Series) -> np.ndarray:
    """Return a boolean mask of missing, empty or placeholder ("NULL", "-", "无") values."""
    missing = np.array(values.isna(), dtype=bool)
    if values.dtype.kind in "biufcmM":
        return missing
    present = np.flatnonzero(~missing)
    text = values.iloc[present] if len(present) < len(values) else values
    if values.dtype == object:
        text = text.astype(str)
    # Only short values can be placeholders; longer ones can only be all whitespace.
    short = (text.str.len() <= _LONGEST_TOKEN).to_numpy(dtype=bool)
    if short.all():
        blank = text.str.strip().str.lower().isin(BLANK_TOKENS).to_numpy(dtype=bool)
    elif not short.any():
        blank = text.str.isspace().to_numpy(dtype=bool)
    else:
        blank = np.zeros(len(text), dtype=bool)
        blank[short] = text[short].str.strip().str.lower().isin(BLANK_TOKENS).to_numpy(bool)
        blank[~short] = text[~short].str.isspace().to_numpy(dtype=bool)
    missing[present[blank]] = True
    return missing


@dataclass
class Times:
    """A parsed date-time column and what it said about time zones.

    Attributes
    ----------
    values : pandas.Series
        Naive ``datetime64[ms]``: the wall-clock time as written; Unix timestamps in UTC.
    offsets : numpy.ndarray or None
        Minutes east of UTC of each value written with an offset (``Z``, ``+08:00``) or as
        a Unix timestamp (0), NaN elsewhere; None when no value had one.
    unix : numpy.ndarray or None
        Which values were Unix timestamps; None when none were.
    """

    values: pd.Series
    offsets: np.ndarray | None = None
    unix: np.ndarray | None = None

    def offset(self, positions: np.ndarray, minutes: object) -> None:
        if self.offsets is None:
            self.offsets = np.full(len(self.values), np.nan)
        self.offsets[positions] = minutes

    def unix_time(self, positions: np.ndarray) -> None:
        if self.unix is None:
            self.unix = np.zeros(len(self.values), dtype=bool)
        self.unix[positions] = True
        self.offset(positions, 0.0)


def parse_times(values: pd.Series) -> Times:
    """Parse a column of user date-times, keeping which had offsets (see :class:`Times`).

    ``.values`` are naive ``datetime64[ms]``: blank and unparseable values are ``NaT``
    (tell them apart with :func:`blank_mask`), time-zone offsets in ISO strings are
    dropped, keeping the wall-clock time as written, and Unix timestamps (10-digit
    seconds, 13-digit milliseconds) are read in UTC; :func:`to_local` puts them on one
    clock.

    >>> parse_times(pd.Series(["2026-03-01 10:00", "2026年3月1日 10时30分", "46082.4375"])).values
    0   2026-03-01 10:00:00
    1   2026-03-01 10:30:00
    2   2026-03-01 10:30:00
    dtype: datetime64[ms]
    """
    index = values.index
    values = values.reset_index(drop=True)
    times = Times(pd.Series(pd.NaT, index=values.index, dtype=TIME_UNIT))
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = _naive(values, times)
    elif pd.api.types.is_bool_dtype(values.dtype):
        out = times.values
    elif pd.api.types.is_numeric_dtype(values.dtype):
        out = _from_numbers(values.astype(float), times)
    elif values.dtype == object:
        out = _from_objects(values, times)
    else:
        out = _from_strings(values.astype(str), times)
    out = out.where((out >= PLAUSIBLE_TIMES[0]) & (out < PLAUSIBLE_TIMES[1]))
    out.index = index
    times.values = out
    return times


def _naive(values: pd.Series, times: Times | None = None) -> pd.Series:
    if getattr(values.dtype, "tz", None) is not None:
        wall = values.dt.tz_localize(None)
        if times is not None:
            written = values.notna().to_numpy()
            utc = values.dt.tz_convert("UTC").dt.tz_localize(None)
            minutes = ((wall - utc) / pd.Timedelta(minutes=1)).to_numpy(dtype=float)
            times.offset(values.index.to_numpy()[written], minutes[written])
        values = wall
    return values.astype(TIME_UNIT)


def _describe_offset(minutes: float) -> str:
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(int(abs(minutes)), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def to_local(
    columns: dict[str, Times], timezone: str | None
) -> tuple[dict[str, pd.Series], list[str]]:
    """Put every value written with an offset (or as a Unix timestamp) on one local clock.

    Times are stored naive, as local wall-clock times, so ``10:00+08:00`` and ``02:00Z``
    (the same instant) must not become 10:00 and 02:00. With `timezone` (an IANA name)
    they are converted to it. Without, to the offset most values written with one use:
    a file from one place carries that place's offset, and a few UTC values among them
    are the odd ones out. Unix timestamps carry no offset of their own and do not vote;
    with nothing to vote they stay in UTC. Values without an offset are kept as written.

    Returns the columns' values and notes saying what was converted.
    """
    out = {role: times.values for role, times in columns.items()}
    aware = {role: t for role, t in columns.items() if t.offsets is not None}
    if not aware:
        return out, []
    written = []
    for t in aware.values():
        keep = ~np.isnan(t.offsets)  # type: ignore[arg-type]
        if t.unix is not None:
            keep &= ~t.unix
        written.append(t.offsets[keep])  # type: ignore[index]
    votes = np.concatenate(written)
    if timezone is None and len(votes):
        kinds, first, counts = np.unique(votes, return_index=True, return_counts=True)
        best = np.flatnonzero(counts == counts.max())
        target = float(kinds[best[np.argmin(first[best])]])  # a tie: the earliest in the file
    else:
        target = 0.0
    for role, t in aware.items():
        offsets = t.offsets
        assert offsets is not None
        rows = np.flatnonzero(~np.isnan(offsets))
        utc = t.values.iloc[rows] - pd.to_timedelta(offsets[rows], unit="min")
        if timezone is not None:
            local = utc.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
        else:
            local = utc + pd.Timedelta(minutes=target)
        values = t.values.copy()
        values.iloc[rows] = local.astype(TIME_UNIT).to_numpy()
        out[role] = values
    offset = _describe_offset(target)
    notes: list[str] = []
    if len(votes):
        kinds, counts = np.unique(votes, return_counts=True)
        found = ", ".join(
            f"{_describe_offset(k)} ({n})"
            for k, n in sorted(zip(kinds, counts, strict=True), key=lambda kn: -kn[1])
        )
        if timezone:
            notes.append(
                Message("times_offsets_to_zone", n=len(votes), found=found, timezone=timezone)
            )
        else:
            notes.append(
                Message("times_offsets_to_common", n=len(votes), found=found, offset=offset)
            )
    unix = sum(int(t.unix.sum()) for t in aware.values() if t.unix is not None)
    if unix and timezone:
        notes.append(Message("unix_times_to_zone", n=unix, timezone=timezone))
    elif unix:
        notes.append(Message("unix_times_in_offset", n=unix, offset=offset))
    return out, notes


def _from_objects(values: pd.Series, times: Times) -> pd.Series:
    # Excel cells arrive as Python objects of mixed types: datetimes, numbers and text.
    out = pd.Series(pd.NaT, index=values.index, dtype=TIME_UNIT)
    is_time = values.map(lambda v: isinstance(v, dt.date)).to_numpy(dtype=bool)
    is_number = values.map(
        lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool)
    ).to_numpy(dtype=bool)
    if is_time.any():
        cells = values[is_time]
        offsets = cells.map(lambda v: v.utcoffset() if isinstance(v, dt.datetime) else None)
        aware = offsets.notna().to_numpy(dtype=bool)
        if aware.any():  # one wall clock per cell; to_local settles the offsets
            minutes = [o / dt.timedelta(minutes=1) for o in offsets[aware]]
            times.offset(cells.index.to_numpy()[aware], minutes)
            cells = cells.map(lambda v: v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v)
        out[is_time] = _naive(pd.to_datetime(cells.astype(object), errors="coerce"))
    if is_number.any():
        out[is_number] = _from_numbers(values[is_number].astype(float), times)
    rest = ~is_time & ~is_number & values.notna().to_numpy(dtype=bool)
    if rest.any():
        out[rest] = _from_strings(values[rest].astype(str), times)
    return out


def _from_numbers(numbers: pd.Series, times: Times | None = None) -> pd.Series:
    """Excel serial dates, Unix timestamps and compact YYYYMMDD[HHMM[SS]] numbers."""
    v = numbers.to_numpy(dtype=float)
    out = np.full(len(v), np.datetime64("NaT"), dtype=TIME_UNIT)
    low, high = EXCEL_SERIAL_RANGE
    serial = (v >= low) & (v < high)
    if serial.any() and np.median(v[serial]) < EXCEL_PLAUSIBLE_FROM:
        serial[:] = False  # not a column of dates: ids, counts, codes
    serial &= np.floor(v) != _EXCEL_PHANTOM_LEAP_DAY
    if serial.any():
        days = v[serial]
        millis = np.rint(days * 86_400_000.0).astype("int64").astype("timedelta64[ms]")
        before_march = days < _EXCEL_PHANTOM_LEAP_DAY
        epoch = np.where(before_march, _EXCEL_EPOCH_BEFORE_MARCH_1900, EXCEL_EPOCH)
        out[serial] = epoch + millis
    seconds = (v >= UNIX_SECONDS_RANGE[0]) & (v < UNIX_SECONDS_RANGE[1])
    millis_ = (v >= UNIX_SECONDS_RANGE[0] * 1000) & (v < UNIX_SECONDS_RANGE[1] * 1000)
    unix = seconds | millis_
    if unix.any():
        scale = np.where(seconds[unix], 1000.0, 1.0)
        out[unix] = np.rint(v[unix] * scale).astype("int64").astype("datetime64[ms]")
        if times is not None:
            times.unix_time(numbers.index.to_numpy()[unix])
    integral = np.isfinite(v) & (v == np.floor(v)) & ~serial & ~unix & (v > 0)
    compact = integral & (
        ((v >= 19000101) & (v <= 21001231))
        | ((v >= 190001010000) & (v <= 210012312359))
        | ((v >= 19000101000000) & (v <= 21001231235959))
    )
    if compact.any():
        text = pd.Series(v[compact].astype("int64")).astype(str)
        out[compact] = _explicit_formats(text).to_numpy()
    return pd.Series(out, index=numbers.index)


def _from_strings(text: pd.Series, times: Times) -> pd.Series:
    out = _fixed_layout(text)
    if out is None:
        out = _iso(text, times)
    todo = out.isna().to_numpy()
    if todo.any():
        rest = text[todo].str.strip()
        blank = blank_mask(rest)
        if not blank.all():
            parsed = _iso(rest.where(~blank), times)
            slow = parsed.isna().to_numpy() & ~blank
            if slow.any():
                parsed[slow] = _slow_path(rest[slow], times).to_numpy()
            out[todo] = parsed.to_numpy()
    return out


def _number_at(text: pa.Array, start: int) -> pa.Array:
    return pc.cast(pc.utf8_slice_codeunits(text, start, start + 2), pa.int64())


# Fixed layouts pyarrow parses fastest, with the positions of day and second to check
# (strptime quietly rolls 2026-02-30 over into March).
_LAYOUTS = (("%Y-%m-%d %H:%M:%S", 19), ("%Y-%m-%d %H:%M", 16), ("%Y-%m-%d", 10))


def _fixed_layout(text: pd.Series) -> pd.Series | None:
    """Fast path: all of a column in one zero-padded ISO layout, parsed by pyarrow."""
    if not isinstance(text.array, pd.arrays.ArrowStringArray):
        return None
    arr = pa.array(text.array)
    sample = arr.drop_null().slice(0, 100)
    if not len(sample):
        return None
    lengths = set(pc.utf8_length(sample).to_pylist())
    layout = next((f for f, n in _LAYOUTS if lengths == {n}), None)
    if layout is None:
        return None
    try:
        parsed = pc.strptime(arr, format=layout, unit="ms", error_is_null=True)
        exact = pc.equal(pc.utf8_length(arr), len(sample[0].as_py()))
        # Only a day of 29-31 can roll over (into days 1-3), and a second of 60/61 (to 0/1):
        # check the written value against the parsed one on just those rows.
        suspect = pc.less_equal(pc.day(parsed), 3)
        if layout.endswith("%S"):
            suspect = pc.or_(suspect, pc.less_equal(pc.second(parsed), 1))
        rows = pc.indices_nonzero(pc.fill_null(suspect, False))
        if len(rows):
            sub_text, sub_parsed = arr.take(rows), parsed.take(rows)
            same = pc.equal(pc.day(sub_parsed), _number_at(sub_text, 8))
            if layout.endswith("%S"):
                same = pc.and_(same, pc.equal(pc.second(sub_parsed), _number_at(sub_text, 17)))
            wrong = np.zeros(len(arr), dtype=bool)
            wrong[rows.to_numpy()] = ~np.asarray(pc.fill_null(same, False))
            exact = pc.and_(exact, pa.array(~wrong))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # a value the layout checks cannot read: take the general path
    kept = pc.if_else(pc.fill_null(exact, False), parsed, pa.scalar(None, parsed.type))
    values = kept.to_numpy(zero_copy_only=False).astype(TIME_UNIT)
    return pd.Series(values, index=text.index)


# A time followed by a UTC offset: "10:00+08:00", "10:00:00.5Z", "10:00 +0800".
_OFFSET = re.compile(r"^(.*\d:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|z|[+-]\d{2}:?\d{2})$")


def _iso(text: pd.Series, times: Times | None = None) -> pd.Series:
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:  # offsets differ between values: keep each wall clock and offset
        parts = text.str.strip().str.extract(_OFFSET)
        offset = parts[1]
        stripped = parts[0].where(offset.notna(), text)
        try:
            parsed = _naive(pd.to_datetime(stripped, format="ISO8601", errors="coerce"))
        except ValueError:  # an offset without a time ("2026-03-01Z"): not a date-time
            parsed = _naive(
                pd.to_datetime(stripped.where(offset.notna()), format="ISO8601", errors="coerce")
            )
        aware = (offset.notna() & parsed.notna()).to_numpy(dtype=bool)
        if times is not None and aware.any():
            code = offset[aware].str.upper().str.replace(":", "", regex=False)
            sign = np.where(code.str.startswith("-"), -1.0, 1.0)
            hours = pd.to_numeric(code.str[1:3], errors="coerce").fillna(0).to_numpy(float)
            minutes = pd.to_numeric(code.str[3:5], errors="coerce").fillna(0).to_numpy(float)
            minutes = np.where(code == "Z", 0.0, sign * (hours * 60 + minutes))
            times.offset(text.index.to_numpy()[aware], minutes)
        return parsed
    return _naive(parsed, times)


def _normalise(text: pd.Series) -> pd.Series:
    """Rewrite Chinese, dotted and slashed dates into ``YYYY-MM-DD HH:MM:SS`` shapes."""
    t = text.str.normalize("NFKC")
    t = t.str.replace("|".join([_PM_MARKERS, _AM_MARKERS, _NOON_MARKERS]), " ", regex=True)
    t = t.str.replace(
        r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?", r"\1-\2-\3 ", regex=True
    )
    t = t.str.replace(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})", r"\1-\2-\3", regex=True)
    t = t.str.replace(r"(\d)\s*[时時点點]\s*", r"\1:", regex=True)
    t = t.str.replace(r"(\d)\s*分\s*", r"\1:", regex=True)
    t = t.str.replace(r"(\d)\s*秒", r"\1", regex=True)
    t = t.str.replace(r"[Tt](?=\d)", " ", regex=True)
    return t.str.replace(r"\s+", " ", regex=True).str.strip().str.rstrip(":").str.strip()


def _slow_path(text: pd.Series, times: Times) -> pd.Series:
    normal = _normalise(text)
    out = _iso(normal, times)
    # Unix timestamps before the compact formats, which would read 1772330400 as
    # 1772-03-30 04:00 (%Y%m%d%H%M with one-digit month and hour).
    unix = (out.isna() & normal.str.fullmatch(r"\d{10}(?:\.\d+)?|\d{13}")).to_numpy(dtype=bool)
    if unix.any():
        numbers = pd.to_numeric(normal[unix], errors="coerce").astype(float)
        out[unix] = _from_numbers(numbers, times).to_numpy()
    todo = out.isna().to_numpy()
    if todo.any():
        out[todo] = _explicit_formats(normal[todo]).to_numpy()
    todo = out.isna().to_numpy()
    if todo.any():
        numbers = pd.to_numeric(normal[todo], errors="coerce")
        out[todo] = _from_numbers(numbers.astype(float), times).to_numpy()
    return _twelve_hour_clock(text, out)


def _twelve_hour_clock(text: pd.Series, out: pd.Series) -> pd.Series:
    """Times written on a 12-hour clock put on the 24-hour one.

    ``下午 3:20`` and ``3:20 PM`` are 15:20; ``上午 12:30``, ``凌晨12点`` and ``12:30 AM``
    are 00:30; ``下午 12:30`` and ``12:30 PM`` are 12:30 (noon); ``中午1点`` is 13:00;
    ``晚上12点`` is the midnight that ends the day (00:00 the next day). An hour already
    past 12 (``下午 15:20``) is kept as written.
    """
    parsed = out.notna().to_numpy()
    if not parsed.any():
        return out
    hours = out.dt.hour.to_numpy()

    def marked(pattern: str) -> np.ndarray:
        return text.str.contains(pattern, regex=True).to_numpy(dtype=bool) & parsed

    pm, am, noon, night = (
        marked(p) for p in (_PM_MARKERS, _AM_MARKERS, _NOON_MARKERS, _NIGHT_MARKERS)
    )
    shift = np.zeros(len(out), dtype="int64")
    shift[pm & (hours < 12)] = 12
    shift[night & (hours == 12)] = 12
    shift[am & (hours == 12)] = -12
    shift[noon & (hours >= 1) & (hours < 11)] = 12
    if shift.any():
        out = out + pd.to_timedelta(shift, unit="h")
    return out


def _explicit_formats(text: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype=TIME_UNIT)
    todo = np.ones(len(text), dtype=bool)
    for fmt in _FORMATS:
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        hit = parsed.notna().to_numpy()
        if hit.any():
            positions = np.flatnonzero(todo)[hit]
            out.iloc[positions] = parsed[hit].astype(TIME_UNIT).to_numpy()
            todo[positions] = False
        if not todo.any():
            break
    return out
