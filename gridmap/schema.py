"""The gridmap data model: layers, their columns, incident categories and validators.

Every layer is stored in EPSG:4326 (longitude, latitude). The column lists here are the
single source of truth that import, the store, the maps and the pages agree on.

Which columns are required
--------------------------
A column is *required* only when nothing sensible can stand in for it:

- the id of a point layer (``site_id``, ``post_id``, ``incident_id``): a file without one
  gets generated ids at import (``<file name>-<row>``), but a stored layer always has it;
- ``grid_code``: the code *is* the street/community/grid hierarchy, so it cannot be
  invented;
- an incident's ``category`` and ``occurred_at``: they are what is counted; a file without
  them is refused unless the user names a default (``default_category``, ``default_time``)
  for that one file.

Every other column is optional. Those a page needs to draw a layer have a documented
default in :attr:`LayerSpec.defaults` (a grid's or site's ``name`` is its id, a site's
``kind`` is ``other`` and its ``response_class`` follows the kind, a post patrols on foot,
a street of unknown class is ``unclassified``). :func:`gridmap.io.import_file` fills them
with a warning saying so; code reading a layer still treats them as optional, since a
layer written from Python need not carry them. Keyed values (incident categories, site
kinds, post modes) are shown by their label (:func:`value_label`); a value not in the
built-in tables is kept as written and shown as written in both languages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import pandas as pd

from gridmap._errors import ValidationError

STORAGE_CRS = "EPSG:4326"

GeometryKind = Literal["Point", "LineString", "Polygon"]


@dataclass(frozen=True)
class Default:
    """How an optional column is filled when a file lacks it (or a row leaves it empty).

    A constant `value`; or, with `source`, the value of that column (`table` given: looked
    up in `table`, `value` for values not in it).
    """

    value: object = None
    source: str | None = None
    table: Mapping[str, object] | None = None


@dataclass(frozen=True)
class LayerSpec:
    """What a layer holds: its geometry kind, required and optional columns.

    `defaults` names the optional columns import fills when a file lacks them (see the
    module docstring for the rule).
    """

    name: str
    geometry: GeometryKind
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    id_column: str | None = None
    label_zh: str = ""
    label_en: str = ""
    dtypes: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Default] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


#: Site kind of a key site whose file gives none (or one left empty).
OTHER_SITE_KIND = "other"
#: Response class (minutes) of each built-in site kind: 1 minute where crowds, patients or
#: children gather or the state is represented, 3 for busy commerce and services, 5 for
#: stops and cash machines (the rules the sample street office uses, gridmap.sample).
RESPONSE_CLASS_BY_KIND: dict[str, int] = {
    "station": 1,
    "metro": 1,
    "hospital": 1,
    "school": 1,
    "government": 1,
    "embassy": 1,
    "police": 3,
    "clinic": 3,
    "mall": 3,
    "market": 3,
    "bank": 3,
    "nightlife": 3,
    "tram": 5,
    "atm": 5,
}
#: Response class of sites whose kind is not in :data:`RESPONSE_CLASS_BY_KIND` (a user's
#: own kinds, ``other``): the widest circle, so no site is promised a response the posts
#: were not planned for. Set `response_class` in the file to choose otherwise.
DEFAULT_RESPONSE_CLASS = 5
#: Patrol mode of a post whose file gives none: on foot, the mode of a 守望岗.
DEFAULT_POST_MODE = "walk"
#: OpenStreetMap's class for a road of unknown importance (drawn like a residential street).
DEFAULT_ROAD_CLASS = "unclassified"
#: Unit of GPS fixes whose file names none (what :func:`gridmap.patrol.tracks.clean_track`
#: calls such fixes too): one file, one unit.
DEFAULT_TRACK_UNIT = "unit"
#: A clock time of day as sites' ``opens``/``closes`` hold it: ``HH:MM`` (24-hour, seconds
#: optional, full-width colon accepted as Chinese spreadsheets write it). Stored as text,
#: as written; :func:`clock_minutes` reads it.
CLOCK_PATTERN = re.compile(r"(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?")

LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            "grids",
            "Polygon",
            required=("grid_code",),
            optional=(
                "name",
                "households",
                "population",
                "worker",
                "community",
                "street",
                "district",
            ),
            id_column="grid_code",
            label_zh="网格",
            label_en="Grids",
            dtypes={"households": "int", "population": "int"},
            defaults={"name": Default(source="grid_code")},
        ),
        LayerSpec(
            "sites",
            "Point",
            required=("site_id",),
            optional=("name", "kind", "response_class", "opens", "closes"),
            id_column="site_id",
            label_zh="重点目标",
            label_en="Key sites",
            dtypes={"response_class": "int", "opens": "clock", "closes": "clock"},
            defaults={
                "name": Default(source="site_id"),
                "kind": Default(OTHER_SITE_KIND),
                "response_class": Default(
                    DEFAULT_RESPONSE_CLASS, source="kind", table=RESPONSE_CLASS_BY_KIND
                ),
            },
        ),
        LayerSpec(
            "posts",
            "Point",
            required=("post_id",),
            optional=("name", "kind", "mode", "staff"),
            id_column="post_id",
            label_zh="守望岗",
            label_en="Sentinel posts",
            dtypes={"staff": "int"},
            defaults={"name": Default(source="post_id"), "mode": Default(DEFAULT_POST_MODE)},
        ),
        LayerSpec(
            "incidents",
            "Point",
            required=("incident_id", "category", "occurred_at"),
            optional=(
                "occurred_to",
                "source",
                "status",
                "handled_at",
                "description",
                "synthetic",
            ),
            id_column="incident_id",
            label_zh="事件",
            label_en="Incidents",
            dtypes={"occurred_at": "datetime", "occurred_to": "datetime", "handled_at": "datetime"},
        ),
        LayerSpec(
            "streets",
            "LineString",
            required=(),
            optional=("highway", "name", "oneway", "maxspeed", "network"),
            label_zh="道路",
            label_en="Streets",
            defaults={"highway": Default(DEFAULT_ROAD_CLASS)},
        ),
        LayerSpec(
            "buildings",
            "Polygon",
            required=(),
            optional=("name", "levels", "households"),
            label_zh="建筑",
            label_en="Buildings",
            dtypes={"levels": "int", "households": "int"},
        ),
        # The street office's hand-off to patrol planning (gridmap.hotspots.handoff).
        LayerSpec(
            "hotspots",
            "Polygon",
            required=("kind", "level"),
            optional=("category", "period", "weight"),
            label_zh="热点",
            label_en="Hot spots",
            dtypes={"weight": "float"},
        ),
        # GPS fixes of patrol units, for planned versus actual (gridmap.patrol.tracks).
        LayerSpec(
            "tracks",
            "Point",
            required=("time",),
            optional=("unit", "speed", "synthetic"),
            label_zh="巡逻轨迹",
            label_en="Patrol tracks",
            dtypes={"time": "datetime", "speed": "float"},
            defaults={"unit": Default(DEFAULT_TRACK_UNIT)},
        ),
    )
}


@dataclass(frozen=True)
class Category:
    """An incident category: a stable key plus Chinese and English labels."""

    key: str
    zh: str
    en: str
    group: str  # "police" (110 calls) or "request" (12345 citizen requests)

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


CATEGORIES: dict[str, Category] = {
    c.key: c
    for c in (
        Category("theft", "盗窃", "Theft", "police"),
        Category("fraud", "诈骗", "Fraud", "police"),
        Category("fight", "打架斗殴", "Fight", "police"),
        Category("dispute", "矛盾纠纷", "Dispute", "police"),
        Category("noise", "噪音扰民", "Noise", "police"),
        Category("traffic", "交通事故", "Traffic accident", "police"),
        Category("request-complaint", "民生诉求-投诉", "Citizen request: complaint", "request"),
        Category(
            "request-consultation", "民生诉求-咨询", "Citizen request: consultation", "request"
        ),
    )
}

SITE_KINDS: dict[str, tuple[str, str]] = {
    "station": ("车站", "Station"),
    "metro": ("地铁站", "Metro station"),
    "tram": ("电车站", "Tram stop"),
    "hospital": ("医院", "Hospital"),
    "clinic": ("诊所", "Clinic"),
    "school": ("学校", "School"),
    "mall": ("商场", "Mall"),
    "market": ("市场", "Market"),
    "bank": ("银行", "Bank"),
    "atm": ("取款机", "ATM"),
    "government": ("政府机关", "Government"),
    "embassy": ("使馆", "Embassy"),
    "police": ("警察局", "Police"),
    "nightlife": ("娱乐场所", "Nightlife"),
    OTHER_SITE_KIND: ("其他", "Other"),
}

#: Patrol modes of sentinel posts (import also reads 步巡, 骑巡, 车巡 … as these keys).
POST_MODES: dict[str, tuple[str, str]] = {
    "walk": ("步巡", "On foot"),
    "bike": ("骑巡", "Bicycle"),
    "car": ("车巡", "Car"),
}

#: Response classes of key sites: the minutes within which a post must reach them
#: (the "1-3-5 minute" rapid-response circles of Chinese public-security practice).
RESPONSE_CLASSES: tuple[int, ...] = (1, 3, 5)

#: How yes/no columns (``synthetic``) are written in files and in old layers, lowercased;
#: anything else is unknown (NA).
BOOLEAN_WORDS: dict[str, bool] = {
    **dict.fromkeys(("true", "1", "yes", "y", "t", "是", "真"), True),
    **dict.fromkeys(("false", "0", "no", "n", "f", "否", "假"), False),
}


def category_key(value: object) -> str | None:
    """Return the stable category key for a key, Chinese label or English label.

    >>> category_key("盗窃"), category_key("Theft"), category_key("fraud")
    ('theft', 'theft', 'fraud')
    >>> category_key("unknown") is None
    True
    """
    text = str(value).strip()
    if text in CATEGORIES:
        return text
    lowered = text.lower()
    for cat in CATEGORIES.values():
        if text == cat.zh or lowered == cat.en.lower():
            return cat.key
    return None


def _keyed_labels() -> dict[tuple[str, str], dict[str, tuple[str, str]]]:
    return {
        ("incidents", "category"): {k: (c.zh, c.en) for k, c in CATEGORIES.items()},
        ("sites", "kind"): SITE_KINDS,
        ("posts", "mode"): POST_MODES,
    }


#: Columns holding stable keys with Chinese and English labels, per (layer, column).
KEYED_COLUMNS: dict[tuple[str, str], dict[str, tuple[str, str]]] = _keyed_labels()


def value_label(layer: str, column: str, value: object, lang: str) -> str:
    """The label of a keyed value in `lang`; a value not in the built-in table as written.

    A user's own categories (抢夺, "Graffiti") are first-class: kept, counted and shown
    exactly as the file wrote them, in either language.

    >>> value_label("incidents", "category", "theft", "zh")
    '盗窃'
    >>> value_label("sites", "kind", "atm", "en")
    'ATM'
    >>> value_label("incidents", "category", "抢夺", "en")
    '抢夺'
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    labels = KEYED_COLUMNS.get((layer, column), {}).get(str(value))
    if labels is None:
        return str(value)
    return labels[0] if lang == "zh" else labels[1]


def with_labels(frame: pd.DataFrame, layer: str, lang: str) -> pd.DataFrame:
    """`frame` with each keyed column shown by its label, the key beside it as ``<column>_key``.

    For tables and exports people read: ``category`` holds 盗窃 (or Theft) and
    ``category_key`` holds ``theft``. Importing such a file again maps the labels back to
    the same keys. Returns a new frame; `frame` is not changed.
    """
    out = frame.copy()
    for (name, column), _ in KEYED_COLUMNS.items():
        if name != layer or column not in out.columns:
            continue
        keys = out[column]
        labels = {v: value_label(layer, column, v, lang) for v in keys.dropna().unique()}
        out[column] = keys.map(labels).astype("str")
        out.insert(list(out.columns).index(column) + 1, f"{column}_key", keys)
    return out


def clock_minutes(value: object) -> float:
    """Minutes after midnight of a clock time (:data:`CLOCK_PATTERN`); NaN when it is empty
    or not a clock time.

    >>> clock_minutes("08:15"), clock_minutes("16:30:00"), clock_minutes("８：００")
    (495.0, 990.0, 480.0)
    >>> clock_minutes("25:00"), clock_minutes(None)
    (nan, nan)
    """
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return float("nan")
    match = CLOCK_PATTERN.fullmatch(unicodedata.normalize("NFKC", str(value)).strip())
    if match is None:
        return float("nan")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    if hours > 24 or minutes > 59 or seconds > 59 or (hours == 24 and minutes + seconds):
        return float("nan")
    return hours * 60.0 + minutes + seconds / 60.0


def _check_clocks(gdf: gpd.GeoDataFrame, layer: str, spec: LayerSpec) -> None:
    for column in (c for c, kind in spec.dtypes.items() if kind == "clock"):
        if column not in gdf.columns:
            continue
        values = gdf[column]
        given = values.notna() & (values.astype("string").str.strip() != "")
        bad = values[
            given
            & pd.Series([clock_minutes(v) != clock_minutes(v) for v in values], index=values.index)
        ]
        if len(bad):
            msg = (
                f"layer `{layer}`: column {column} must hold clock times HH:MM (08:00, "
                f"16:30); not a clock time: {', '.join(map(str, bad.unique()[:5]))}"
            )
            raise ValidationError(msg)


def layer_spec(layer: str) -> LayerSpec:
    """Return the spec of `layer`, raising a clear error for an unknown name."""
    try:
        return LAYERS[layer]
    except KeyError:
        msg = f"`layer` must be one of {', '.join(LAYERS)}; got {layer!r}"
        raise ValidationError(msg) from None


def validate_layer(gdf: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Check that `gdf` fits the data model of `layer` and return it unchanged.

    Raises
    ------
    ValidationError
        naming the layer and the column or geometry at fault.
    """
    spec = layer_spec(layer)
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        msg = f"layer `{layer}`: a GeoDataFrame with a geometry column is required"
        raise ValidationError(msg)
    missing = [c for c in spec.required if c not in gdf.columns]
    if missing:
        msg = f"layer `{layer}`: missing required column(s) {', '.join(missing)}"
        raise ValidationError(msg)
    if gdf.crs is None:
        msg = f"layer `{layer}`: the coordinate reference system is not set"
        raise ValidationError(msg)
    if len(gdf):
        geom_types = set(gdf.geometry.geom_type.dropna().unique())
        allowed = {spec.geometry, f"Multi{spec.geometry}"}
        wrong = geom_types - allowed
        if wrong:
            msg = (
                f"layer `{layer}`: geometry must be {spec.geometry}; "
                f"found {', '.join(sorted(wrong))}"
            )
            raise ValidationError(msg)
        if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
            n = int((gdf.geometry.isna() | gdf.geometry.is_empty).sum())
            msg = f"layer `{layer}`: {n} row(s) have an empty geometry"
            raise ValidationError(msg)
    if spec.id_column is not None and len(gdf):
        ids = gdf[spec.id_column]
        if ids.isna().any():
            msg = f"layer `{layer}`: column {spec.id_column} has empty values"
            raise ValidationError(msg)
        dup = ids[ids.duplicated()]
        if len(dup):
            msg = (
                f"layer `{layer}`: column {spec.id_column} must be unique; "
                f"duplicated: {', '.join(map(str, dup.unique()[:5]))}"
            )
            raise ValidationError(msg)
    for column in (c for c in spec.required if spec.dtypes.get(c) == "datetime"):
        if len(gdf) and not pd.api.types.is_datetime64_any_dtype(gdf[column]):
            msg = f"layer `{layer}`: column {column} must hold date-times"
            raise ValidationError(msg)
    _check_clocks(gdf, layer, spec)
    if layer == "grids" and len(gdf):
        from gridmap.grids import invalid_grid_codes

        bad = invalid_grid_codes(gdf["grid_code"])
        if bad:
            msg = (
                "layer `grids`: grid_code must be 15 digits (6 district + 3 street + "
                f"3 community + 3 grid); invalid: {', '.join(bad[:5])}"
            )
            raise ValidationError(msg)
    return gdf
