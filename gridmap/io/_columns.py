"""The columns of imported files: which plays which role, and what their values mean.

Users' spreadsheets name their columns in Chinese or English, with units in brackets,
full-width characters, or the pinyin abbreviations of Chinese GIS platforms (``WGBM`` for
网格编码). A role is a schema column of the layer plus the geometry roles ``lon``, ``lat``
(point coordinates in a table) and ``wkt`` (geometry written as text).

Once detected, the values of each column are turned into the layer's schema columns
(:func:`attributes`): ids, category keys, date-times, whole numbers. Rows whose values
cannot be used are recorded in a :class:`Rejections` with a reason and a message, never
dropped silently. Everything works on whole columns (or their distinct values).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from gridmap._errors import ValidationError
from gridmap.i18n import Message
from gridmap.io._times import (
    ACCEPTED_FORMS,
    TIME_UNIT,
    Times,
    blank_mask,
    parse_times,
    to_local,
)
from gridmap.schema import SITE_KINDS, LayerSpec, category_key

#: Names each role answers to, most specific first. Matching ignores case, spaces,
#: underscores, hyphens, full-width forms and bracketed units ("经度(°)").
#: Ten-character forms ("incident_i") are what a Shapefile export leaves of longer names.
#: Three-character forms ("网格编") are what the same limit leaves of four-character
#: Chinese names written in UTF-8 (3 bytes each), read back with the cut half dropped.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "lon": (
        "经度",
        "lng",
        "lon",
        "long",
        "longitude",
        "x",
        "gps经度",
        "经度坐标",
        "x坐标",
        "坐标x",
        "东坐标",
        "easting",
        "point_x",
    ),
    "lat": (
        "纬度",
        "lat",
        "latitude",
        "y",
        "gps纬度",
        "纬度坐标",
        "y坐标",
        "坐标y",
        "北坐标",
        "northing",
        "point_y",
    ),
    "wkt": ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "空间信息", "边界"),
    "incident_id": (
        "incident_id",
        "incident_i",
        "事件编号",
        "警情编号",
        "案件编号",
        "接警单编号",
        "工单编号",
        "编号",
        "id",
        "事件编",
        "警情编",
        "案件编",
    ),
    "site_id": ("site_id", "目标编号", "编号", "id"),
    "post_id": ("post_id", "岗位编号", "站点编号", "编号", "id"),
    "grid_code": (
        "grid_code",
        "网格编码",
        "网格代码",
        "网格编号",
        "wgbm",
        "wgdm",
        "code",
        "网格编",
        "网格代",
    ),
    "category": (
        "category",
        "类别",
        "案件类别",
        "事件类型",
        "警情类别",
        "事件类别",
        "诉求类型",
        "案由",
        "类型",
        "type",
    ),
    "occurred_at": (
        "occurred_at",
        "occurred_a",
        "发生时间",
        "案发时间",
        "报警时间",
        "接警时间",
        "开始时间",
        "时间",
        "日期",
        "datetime",
        "date",
        "time",
        "start",
        "发生时",
        "案发时",
        "报警时",
        "接警时",
    ),
    "occurred_to": (
        "occurred_to",
        "occurred_t",
        "结束时间",
        "截止时间",
        "发生时间止",
        "end_time",
        "end",
    ),
    "handled_at": ("handled_at", "处理时间", "处置时间", "办结时间", "完成时间"),
    "source": ("source", "来源", "警情来源", "信息来源", "渠道"),
    "status": ("status", "状态", "办理状态", "处置状态", "办结状态"),
    "description": (
        "description",
        "descriptio",
        "描述",
        "内容",
        "简要案情",
        "案情",
        "事件描述",
        "诉求内容",
    ),
    "name": (
        "name",
        "名称",
        "名字",
        "目标名称",
        "岗位名称",
        "站点名称",
        "网格名称",
        "wgmc",
        "mc",
        "网格名",
        "目标名",
        "岗位名",
        "站点名",
    ),
    "kind": ("kind", "类型", "类别", "种类", "type"),
    "mode": ("mode", "巡逻方式", "巡防方式", "方式"),
    "staff": ("staff", "人数", "警力", "在岗人数"),
    "households": ("households", "户数", "住户数", "hs"),
    "population": ("population", "人口", "人口数", "常住人口", "rk"),
    "worker": ("worker", "网格员", "网格长", "负责人"),
    "response_class": ("response_class", "response_c", "响应等级", "响应分钟", "响应时间"),
    "highway": ("highway", "道路等级", "fclass"),
    "oneway": ("oneway", "单行"),
    "maxspeed": ("maxspeed", "限速"),
    "network": ("network",),
    "levels": ("levels", "层数", "楼层数", "building:levels"),
    "synthetic": ("synthetic", "模拟数据"),
}

#: Fragments that identify a role inside a longer Chinese name ("事件发生时间"), tried only
#: when no column matches a synonym exactly.
CONTAINS: dict[str, tuple[str, ...]] = {
    "lon": ("经度",),
    "lat": ("纬度",),
    "occurred_at": ("发生时间", "案发时间", "报警时间", "接警时间"),
    "category": ("类别",),
    "grid_code": ("网格编码", "网格代码"),
    "name": ("名称",),
    "description": ("描述", "案情", "内容"),
}

#: Explicit names for projected axes: when used, no axis-order guessing is needed.
AXIS_NAMES = frozenset({"东坐标", "easting", "北坐标", "northing"})

#: Aliases accepted as keys of the `columns` override.
ROLE_ALIASES = {
    "x": "lon",
    "longitude": "lon",
    "lng": "lon",
    "y": "lat",
    "latitude": "lat",
    "geometry": "wkt",
}

#: Patrol modes of posts, by the words users write for them.
POST_MODES: dict[str, tuple[str, ...]] = {
    "walk": ("walk", "foot", "步巡", "步行", "徒步"),
    "bike": ("bike", "bicycle", "ebike", "骑巡", "自行车", "电动车", "骑行"),
    "car": ("car", "vehicle", "车巡", "车辆", "汽车", "巡逻车"),
}


def normalise_name(name: object) -> str:
    """Reduce a column name to the form synonyms are compared in.

    >>> normalise_name(" 经度（WGS84） "), normalise_name("Incident ID")
    ('经度', 'incidentid')
    """
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    text = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", text)
    return re.sub(r"[\s_\-.:：]+", "", text)


_NORMAL_SYNONYMS = {role: [normalise_name(s) for s in names] for role, names in SYNONYMS.items()}


def layer_roles(spec: LayerSpec, *, table: bool) -> list[str]:
    """Roles of a layer in the order they claim columns: geometry, id, required, optional."""
    roles = []
    if table:
        roles += ["lon", "lat"] if spec.geometry == "Point" else []
        roles.append("wkt")
    if spec.id_column:
        roles.append(spec.id_column)
    roles += [c for c in spec.columns if c not in roles]
    return roles


def match_columns(columns: Sequence[object], roles: Iterable[str]) -> dict[str, str]:
    """Map each role to the first column that answers to it; a column serves one role."""
    normal = {str(c): normalise_name(c) for c in columns}
    used: set[str] = set()
    found: dict[str, str] = {}
    roles = list(roles)
    for role in roles:
        for synonym in _NORMAL_SYNONYMS.get(role, [normalise_name(role)]):
            hit = next((c for c, n in normal.items() if n == synonym and c not in used), None)
            if hit is not None:
                found[role] = hit
                used.add(hit)
                break
    for role in roles:
        if role in found:
            continue
        for fragment in CONTAINS.get(role, ()):
            hit = next((c for c, n in normal.items() if fragment in n and c not in used), None)
            if hit is not None:
                found[role] = hit
                used.add(hit)
                break
    return found


def resolve_columns(
    columns: Sequence[object],
    spec: LayerSpec,
    overrides: Mapping[str, str] | None,
    *,
    table: bool,
) -> dict[str, str]:
    """Detect columns and apply the user's `columns` overrides (which win)."""
    roles = layer_roles(spec, table=table)
    names = [str(c) for c in columns]
    chosen: dict[str, str] = {}
    for key, column in (overrides or {}).items():
        role = ROLE_ALIASES.get(str(key).lower(), str(key))
        if role not in roles:
            msg = Message(
                "columns_key_unknown", key=repr(key), layer=spec.name, roles=", ".join(roles)
            )
            raise ValidationError(msg)
        if str(column) not in names:
            msg = Message(
                "columns_maps_missing",
                key=repr(key),
                column=repr(column),
                columns=", ".join(names),
            )
            raise ValidationError(msg)
        chosen[role] = str(column)
    rest = [c for c in names if c not in chosen.values()]
    detected = match_columns(rest, [r for r in roles if r not in chosen])
    return {role: (chosen | detected)[role] for role in roles if role in chosen | detected}


def header_score(values: Sequence[object], roles: Sequence[str]) -> int:
    """How many roles a candidate header row answers (to skip title rows above it)."""
    cells = [v for v in values if v is not None and str(v).strip()]
    if len(cells) < 2:
        return 0
    return len(match_columns(cells, roles))


def dedupe_names(values: Sequence[object]) -> list[str]:
    """Column names from a header row: blanks named ``column_N``, repeats suffixed ``.1``.

    Every name is distinct, even when a suffixed name is in the header already
    (``备注, 备注.1, 备注`` → ``备注, 备注.1, 备注.2``): two columns of one name would
    crash the import, and dropping one would lose the user's data.
    """
    names: list[str] = []
    taken: set[str] = set()
    for i, value in enumerate(values, start=1):
        name = "" if value is None else str(value).strip()
        base = name = name or f"column_{i}"
        n = 0
        while name in taken:  # a suffixed name can itself be taken: 备注, 备注.1, 备注
            n += 1
            name = f"{base}.{n}"
        taken.add(name)
        names.append(name)
    return names


def _lookup_table(pairs: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {normalise_name(word): key for key, words in pairs.items() for word in words}


_SITE_KIND_WORDS = _lookup_table({k: (k, zh, en) for k, (zh, en) in SITE_KINDS.items()})
_POST_MODE_WORDS = _lookup_table(POST_MODES)


def map_values(
    values: pd.Series, kind: str, *, default: str | None = None
) -> tuple[pd.Series, np.ndarray, dict[str, int]]:
    """Map labels to stable keys, keeping unknown values verbatim (stripped).

    `kind` is ``"category"`` (incident categories), ``"site_kind"`` or ``"post_mode"``.
    Works on the distinct values only, so it is cheap on a million rows. Empty values take
    `default` when given. Returns the mapped values, a mask of values still empty and the
    count of each value left unknown.
    """
    codes, uniques = pd.factorize(values)
    labels = as_text(pd.Series(uniques, dtype=values.dtype)).str.strip()
    empty = blank_mask(labels)
    keys = [None if e else _key(u, kind) for u, e in zip(labels, empty, strict=True)]
    mapped = [
        default if e else (u if k is None else k)
        for u, k, e in zip(labels, keys, empty, strict=True)
    ]
    table = pd.array([*mapped, default], dtype="str")  # the last entry stands for NA
    out = pd.Series(table.take(np.where(codes < 0, len(mapped), codes)), index=values.index)
    counts = np.bincount(codes[codes >= 0], minlength=len(mapped))
    unknown: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key is None and not empty[i]:
            unknown[labels.iloc[i]] = unknown.get(labels.iloc[i], 0) + int(counts[i])
    return out, out.isna().to_numpy(), unknown


def _key(value: object, kind: str) -> str | None:
    if kind == "category":
        return category_key(value)
    table = _SITE_KIND_WORDS if kind == "site_kind" else _POST_MODE_WORDS
    return table.get(normalise_name(value))


def describe_counts(counts: Mapping[str, int], *, limit: int = 10) -> tuple[str, int]:
    """``"抢劫 (120), 其他 (5)"``, most frequent first, cut after `limit` entries.

    Also returns how many entries were cut.
    """
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{value} ({n})" for value, n in ordered[:limit])
    return text, max(0, len(ordered) - limit)


# ------------------------------------------------------------------ values and rejections


class Rejections:
    """The first reason each row is rejected for, with its message.

    Messages are built only for the rows rejected, so checking a clean million-row file
    costs a few boolean masks.
    """

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.int8)
        self.reasons = [""]
        self._parts: list[tuple[np.ndarray, object]] = []

    @property
    def good(self) -> np.ndarray:
        return self.code == 0

    def add(self, mask: np.ndarray, reason: str, message: object) -> int:
        """Reject the rows of `mask` not already rejected; `message` is text or a callable
        taking their positions and returning one text per row."""
        new = np.asarray(mask, dtype=bool) & (self.code == 0)
        count = int(new.sum())
        if count:
            if reason not in self.reasons:
                self.reasons.append(reason)
            self.code[new] = self.reasons.index(reason)
            idx = np.flatnonzero(new)
            self._parts.append((idx, list(message(idx)) if callable(message) else message))
        return count

    def messages(self, positions: np.ndarray) -> np.ndarray:
        """The messages of the rejected rows at `positions` (sorted positions)."""
        out = np.full(len(self.code), None, dtype=object) if self._parts else None
        for idx, text in self._parts:
            out[idx] = text  # type: ignore[index]
        return np.asarray([], dtype=object) if out is None else out[positions]


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


def row_messages(key: str, /, **values: object) -> Callable[[np.ndarray], list[Message]]:
    """Per-row :class:`~gridmap.i18n.Message` builder for :meth:`Rejections.add`.

    Each value is a constant, or a callable taking the rejected rows' positions and
    returning one value per row; values are shown as :func:`join_text` shows them, so the
    English text is the same whichever way a message is built.
    """

    def build(positions: np.ndarray) -> list[Message]:
        per_row = {
            name: _texts(value(positions)) for name, value in values.items() if callable(value)
        }
        fixed = {name: value for name, value in values.items() if not callable(value)}
        return [
            Message(key, **fixed, **{name: texts[j] for name, texts in per_row.items()})
            for j in range(len(positions))
        ]

    return build


def _texts(values: object) -> list[str]:
    return pd.Series(np.asarray(values, dtype=object)).astype("str").fillna("").tolist()


def join_text(*parts: object) -> list[str]:
    """Element-wise string concatenation of literals and arrays (for row messages)."""
    size = next(len(p) for p in parts if not isinstance(p, str))  # type: ignore[arg-type]
    out = pd.Series([""] * size, dtype="str")
    for part in parts:
        if isinstance(part, str):
            out = out + part
        else:
            values = pd.Series(np.asarray(part, dtype=object)).astype("str").fillna("")
            out = out + values.to_numpy()
    return out.tolist()


# ------------------------------------------------------------------ schema columns

#: Roles whose values map to stable keys, per layer.
_MAPPED_ROLES = {
    ("category", "incidents"): "category",
    ("kind", "sites"): "site_kind",
    ("mode", "posts"): "post_mode",
}
#: Message keys for values of those roles that are not in their tables.
_UNKNOWN_VALUES = {
    "category": "unknown_categories",
    "kind": "unknown_kinds",
    "mode": "unknown_modes",
}
_TRUE = frozenset({"true", "1", "yes", "y", "t", "是", "真"})
_FALSE = frozenset({"false", "0", "no", "n", "f", "否", "假"})


def attributes(
    frame: pd.DataFrame,
    rows: np.ndarray,
    mapping: dict[str, str],
    spec: LayerSpec,
    rej: Rejections,
    notes: list[str],
    *,
    stem: str,
    default_category: str | None,
    timezone: str | None = None,
    default_time: pd.Timestamp | None = None,
) -> dict[str, pd.Series]:
    """Schema columns from the mapped source columns; rows with bad values rejected.

    Date-times written with an offset are put on one local clock (see
    :func:`gridmap.io._times.to_local`), `timezone`'s when given. A required date-time
    role with no column takes `default_time`, with a note.
    """
    index = frame.index
    out: dict[str, pd.Series] = {}
    times: dict[str, Times] = {}
    for role in spec.columns:
        column = mapping.get(role)
        kind = spec.dtypes.get(role)
        if column is None:
            if role == spec.id_column and role != "grid_code":
                out[role] = pd.Series(join_text(f"{stem}-", rows), index=index, dtype="str")
                if len(rows):
                    notes.append(
                        Message("ids_generated_no_column", column=role, example=out[role].iloc[0])
                    )
            elif role == "category" and default_category is not None:
                out[role] = pd.Series(default_category, index=index, dtype="str")
            elif role in spec.required and kind == "datetime" and default_time is not None:
                out[role] = pd.Series(default_time, index=index).astype(TIME_UNIT)
                notes.append(
                    Message("default_time_used", n=len(index), role=role, time=str(default_time))
                )
            continue
        values = frame[column]
        required = role in spec.required
        kind = spec.dtypes.get(role)
        if kind == "datetime":
            times[role] = _times(values, role, column, required, rej)
            continue
        if kind == "int":
            out[role] = _integers(values, role, column, notes)
            continue
        if role == "synthetic":
            text = as_text(values).str.strip().str.lower()
            out[role] = pd.Series(
                np.where(text.isin(_TRUE), True, np.where(text.isin(_FALSE), False, None)),
                index=index,
                dtype="boolean",
            )
            continue
        kind = _MAPPED_ROLES.get((role, spec.name))
        if kind is not None:
            default = default_category if role == "category" else None
            text, blank, unknown = map_values(values, kind, default=default)
            if required:
                rej.add(
                    blank, "missing_value", Message("row_value_empty", role=role, column=column)
                )
            if unknown:
                listed, more = describe_counts(unknown)
                key = _UNKNOWN_VALUES[role] + ("_more" if more else "")
                notes.append(Message(key, n=len(unknown), values=listed, more=more))
            out[role] = text
            continue
        text = as_text(values)
        keyed = role == spec.id_column or role in ("category", "kind", "mode")
        if not (keyed or required):  # free text: kept exactly as written
            out[role] = text
            continue
        if keyed:
            text = text.str.strip()
        blank = blank_mask(text)
        if role == spec.id_column and role != "grid_code" and blank.any():
            generated = pd.Series(join_text(f"{stem}-", rows[blank]), dtype="str")
            text = text.copy()
            text[blank] = generated.to_numpy()
            notes.append(
                Message(
                    "ids_generated_blank",
                    n=int(blank.sum()),
                    column=role,
                    example=generated.iloc[0],
                )
            )
            blank = np.zeros(len(text), dtype=bool)
        if required:
            rej.add(blank, "missing_value", Message("row_value_empty", role=role, column=column))
        out[role] = text
    if times:
        local, time_notes = to_local(times, timezone)
        out.update(local)
        notes += time_notes
        out = {role: out[role] for role in spec.columns if role in out}  # schema order
    fill_defaults(out, spec, index, notes)
    if spec.name == "grids" and "grid_code" in out:
        _check_grid_codes(out["grid_code"], rej)
    return out


def fill_defaults(
    out: dict[str, pd.Series], spec: LayerSpec, index: pd.Index, notes: list[str]
) -> None:
    """Fill the optional columns of :attr:`LayerSpec.defaults` a file lacks or leaves empty.

    Each filled column adds one warning naming the column, how many rows and the value
    they got (the rule is documented in :mod:`gridmap.schema`). Changes `out` in place.
    """
    for column, default in spec.defaults.items():
        present = out.get(column)
        blank = (
            np.ones(len(index), dtype=bool)
            if present is None
            else blank_mask(as_text(present)) | present.isna().to_numpy(dtype=bool)
        )
        if not blank.any() or (default.source is not None and default.source not in out):
            continue
        if default.source is None:
            fill = pd.Series(default.value, index=index)
            key = "column_defaulted_value"
        elif default.table is None:
            fill = as_text(out[default.source])
            key = "column_defaulted_copy"
        else:
            fill = out[default.source].map(default.table).fillna(default.value)
            key = "column_defaulted_table"
        values = fill if present is None else present.where(~blank, fill)
        if spec.dtypes.get(column) == "int":
            values = pd.to_numeric(values, errors="coerce").astype("Int64")
        else:
            values = values.astype("str")
        out[column] = values
        if len(index):
            notes.append(
                Message(
                    key,
                    layer=spec.name,
                    column=column,
                    n=int(blank.sum()),
                    value=str(default.value),
                    source=default.source or "",
                )
            )
    order = [c for c in spec.columns if c in out]
    for column in order:  # schema order
        out[column] = out.pop(column)


def _times(values: pd.Series, role: str, column: str, required: bool, rej: Rejections) -> Times:
    times = parse_times(values)
    parsed = times.values
    nat = parsed.isna().to_numpy()
    blank = np.zeros(len(values), dtype=bool)
    blank[nat] = blank_mask(values[nat])
    if required:
        rej.add(blank, "missing_value", Message("row_value_empty", role=role, column=column))
    rej.add(
        nat & ~blank,
        "bad_time",
        row_messages(
            "row_bad_time",
            role=role,
            column=column,
            value=lambda i: as_text(values.iloc[i]),
            forms=ACCEPTED_FORMS,
        ),
    )
    return times


def _integers(values: pd.Series, role: str, column: str, notes: list[str]) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        v = values.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(v)
    else:
        blank = blank_mask(values)
        v = pd.to_numeric(as_text(values).str.strip(), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    bad = ~blank & ~(np.isfinite(v) & (v == np.round(v)))
    if bad.any():
        notes.append(Message("not_whole_numbers", n=int(bad.sum()), role=role, column=column))
    return pd.Series(np.where(bad, np.nan, v), index=values.index).astype("Int64")


def _check_grid_codes(codes: pd.Series, rej: Rejections) -> None:
    try:
        from gridmap.grids import invalid_grid_codes
    except ImportError:  # the grids module is optional here; the rule is 15 digits
        invalid = ~codes.str.fullmatch(r"\d{15}").fillna(True).to_numpy(dtype=bool)
    else:
        candidates = codes[rej.good]
        invalid = codes.isin(list(invalid_grid_codes(candidates))).to_numpy(dtype=bool)
    rej.add(
        invalid,
        "bad_grid_code",
        row_messages("row_bad_grid_code", value=lambda i: codes.iloc[i]),
    )


def reject_duplicates(
    ids: pd.Series,
    rows: np.ndarray,
    rej: Rejections,
    existing_ids: Iterable[object] | None,
    id_column: str,
) -> None:
    if existing_ids is not None:
        existing = pd.Index(list(existing_ids)).astype("str")
        known = rej.good & ids.isin(existing).to_numpy(dtype=bool)
        rej.add(
            known,
            "duplicate_id",
            row_messages("row_id_in_workspace", column=id_column, value=lambda i: ids.iloc[i]),
        )
    if ids.is_unique:  # the common case, found with one hash pass
        return
    good = rej.good
    repeat = np.zeros(len(ids), dtype=bool)
    repeat[good] = ids[good].duplicated(keep="first").to_numpy()
    if repeat.any():
        first = good & ~repeat
        first_rows = pd.Series(rows[first], index=ids[first].to_numpy())
        rej.add(
            repeat,
            "duplicate_id",
            row_messages(
                "row_id_repeated",
                column=id_column,
                value=lambda i: ids.iloc[i],
                first=lambda i: first_rows.reindex(ids.iloc[i].to_numpy()).to_numpy(),
            ),
        )
