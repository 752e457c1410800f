"""Which column of an imported file plays which role.

Users' spreadsheets name their columns in Chinese or English, with units in brackets,
full-width characters, or the pinyin abbreviations of Chinese GIS platforms (``WGBM`` for
网格编码). A role is a schema column of the layer plus the geometry roles ``lon``, ``lat``
(point coordinates in a table) and ``wkt`` (geometry written as text). Header rows are
found (title rows above them skipped) and their names made distinct here too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence

from gridmap._errors import ValidationError
from gridmap.i18n import Message
from gridmap.schema import LayerSpec

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
    # a site's opening and closing (class start, dismissal) times: patrol time windows
    "opens": (
        "opens",
        "open",
        "opening",
        "open_time",
        "上课时间",
        "开门时间",
        "营业开始",
        "开放时间",
    ),
    "closes": (
        "closes",
        "close",
        "closing",
        "close_time",
        "放学时间",
        "关门时间",
        "营业结束",
        "关闭时间",
    ),
    # GPS fixes of the tracks layer (gridmap.patrol.tracks reads the same names)
    "time": (
        "time",
        "timestamp",
        "datetime",
        "定位时间",
        "gps_time",
        "gps时间",
        "时间",
        "日期时间",
    ),
    "unit": ("unit", "unit_id", "巡逻单元", "单位", "警号", "车号", "device", "设备", "设备号"),
    "speed": ("speed", "速度", "gps速度"),
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


def unique_name(
    name: str,
    taken: set[str],
    *,
    sep: str = "_",
    start: int = 1,
    fold_case: bool = False,
    fit: Callable[[str, int], str] | None = None,
) -> str:
    """`name`, or the first of ``name{sep}{start}``, ``name{sep}{start + 1}`` … not in `taken`.

    The one rule every column naming follows (header rows, workspace columns, Shapefile
    fields, freed coordinate names); the result is added to `taken`. With `fold_case`
    names are compared lowercased, as SQLite and dBASE compare them (`taken` then holds
    lowercased names). `fit(name, room)` gives the stem a suffix of `room` characters goes
    on (by default `name`): `name` shortened, for formats with a length limit.

    >>> taken = {"remark", "remark_1"}
    >>> unique_name("Remark", taken, fold_case=True), unique_name("note", taken)
    ('Remark_2', 'note')
    """
    key = str.lower if fold_case else str
    candidate, n = name, start
    while key(candidate) in taken:
        suffix = f"{sep}{n}"
        candidate = (fit(name, len(suffix)) if fit else name) + suffix
        n += 1
    taken.add(key(candidate))
    return candidate


def dedupe_names(values: Sequence[object]) -> list[str]:
    """Column names from a header row: blanks named ``column_N``, repeats suffixed ``.1``.

    Every name is distinct, even when a suffixed name is in the header already
    (``备注, 备注.1, 备注`` → ``备注, 备注.1, 备注.2``): two columns of one name would
    crash the import, and dropping one would lose the user's data.
    """
    taken: set[str] = set()
    names = ["" if value is None else str(value).strip() for value in values]
    return [
        unique_name(name or f"column_{i}", taken, sep=".") for i, name in enumerate(names, start=1)
    ]
