"""The gridmap data model: layers, their columns, incident categories and validators.

Every layer is stored in EPSG:4326 (longitude, latitude). The column lists here are the
single source of truth that import, the store, the maps and the pages agree on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import pandas as pd

from gridmap._errors import ValidationError

STORAGE_CRS = "EPSG:4326"

GeometryKind = Literal["Point", "LineString", "Polygon"]


@dataclass(frozen=True)
class LayerSpec:
    """What a layer holds: its geometry kind, required and optional columns."""

    name: str
    geometry: GeometryKind
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    id_column: str | None = None
    label_zh: str = ""
    label_en: str = ""
    dtypes: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            "grids",
            "Polygon",
            required=("grid_code", "name"),
            optional=("households", "population", "worker", "community", "street", "district"),
            id_column="grid_code",
            label_zh="网格",
            label_en="Grids",
            dtypes={"households": "int", "population": "int"},
        ),
        LayerSpec(
            "sites",
            "Point",
            required=("site_id", "name", "kind"),
            optional=("response_class",),
            id_column="site_id",
            label_zh="重点目标",
            label_en="Key sites",
            dtypes={"response_class": "int"},
        ),
        LayerSpec(
            "posts",
            "Point",
            required=("post_id", "name"),
            optional=("kind", "mode", "staff"),
            id_column="post_id",
            label_zh="守望岗",
            label_en="Sentinel posts",
            dtypes={"staff": "int"},
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
            required=("highway",),
            optional=("name", "oneway", "maxspeed", "network"),
            label_zh="道路",
            label_en="Streets",
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
}

#: Response classes of key sites: the minutes within which a post must reach them
#: (the "1-3-5 minute" rapid-response circles of Chinese public-security practice).
RESPONSE_CLASSES: tuple[int, ...] = (1, 3, 5)


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
    if (
        layer == "incidents"
        and len(gdf)
        and not pd.api.types.is_datetime64_any_dtype(gdf["occurred_at"])
    ):
        msg = "layer `incidents`: column occurred_at must hold date-times"
        raise ValidationError(msg)
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
