"""Data model validators and the interface texts."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridmap import ValidationError
from gridmap.i18n import TEXT, t
from gridmap.schema import LAYERS, category_key, validate_layer

ROOT = Path(__file__).resolve().parent.parent


def grids(codes: list[str]) -> gpd.GeoDataFrame:
    boxes = [shapely.box(i, 0, i + 1, 1) for i in range(len(codes))]
    return gpd.GeoDataFrame({"grid_code": codes, "name": codes}, geometry=boxes, crs=4326)


def test_validation_names_layer_and_column() -> None:
    with pytest.raises(
        ValidationError, match=r"layer `grids`: missing required column\(s\) grid_code"
    ):
        validate_layer(grids(["110101001001001"]).drop(columns="grid_code"), "grids")
    # A name can be defaulted (to the code), so a layer without one is valid.
    validate_layer(grids(["110101001001001"]).drop(columns="name"), "grids")
    with pytest.raises(ValidationError, match=r"grid_code must be 15 digits.*12345"):
        validate_layer(grids(["12345"]), "grids")
    with pytest.raises(ValidationError, match=r"must be unique.*110101001001001"):
        validate_layer(grids(["110101001001001"] * 2), "grids")
    points = gpd.GeoDataFrame(
        {"grid_code": ["110101001001001"], "name": ["x"]}, geometry=[shapely.Point(0, 0)], crs=4326
    )
    with pytest.raises(ValidationError, match="geometry must be Polygon; found Point"):
        validate_layer(points, "grids")
    with pytest.raises(ValidationError, match="`layer` must be one of"):
        validate_layer(points, "roads")
    incidents = gpd.GeoDataFrame(
        {"incident_id": ["a"], "category": ["theft"], "occurred_at": ["2026-01-01"]},
        geometry=[shapely.Point(0, 0)],
        crs=4326,
    )
    with pytest.raises(ValidationError, match="occurred_at must hold date-times"):
        validate_layer(incidents, "incidents")
    incidents["occurred_at"] = pd.to_datetime(incidents["occurred_at"])
    assert validate_layer(incidents, "incidents") is incidents
    with pytest.raises(ValidationError, match="not set"):
        validate_layer(incidents.set_crs(None, allow_override=True), "incidents")


def test_category_labels_in_both_languages() -> None:
    assert category_key("民生诉求-投诉") == "request-complaint"
    assert category_key(" Traffic accident ") == "traffic"


def test_every_text_has_both_languages_and_every_used_key_exists() -> None:
    for key, (zh, en) in TEXT.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert re.findall(r"{\w+}", zh) == re.findall(r"{\w+}", en), key
    used = set()
    for path in [
        ROOT / "streamlit_app.py",
        *(ROOT / "app_pages").glob("*.py"),
        ROOT / "gridmap" / "overview.py",
    ]:
        used |= set(re.findall(r"\btr?\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")))
    assert used, "no interface texts found"
    assert used <= set(TEXT), used - set(TEXT)
    with pytest.raises(KeyError, match="`key`"):
        t("no-such-key")


def test_every_rejection_reason_has_labels() -> None:
    from gridmap.i18n import REASON_LABELS
    from gridmap.io import REASONS

    assert set(REASONS) == set(REASON_LABELS)


def test_every_layer_and_column_has_labels_in_both_languages() -> None:
    from gridmap.i18n import COLUMN_LABELS, column_label, layer_label

    for name, spec in LAYERS.items():
        assert layer_label(name, "zh") == spec.label_zh != ""
        assert layer_label(name, "en") == spec.label_en != ""
        for column in spec.columns:
            assert column in COLUMN_LABELS, (name, column)
            assert column_label(column, "zh") != column_label(column, "en")


def test_messages_have_both_languages_and_survive_pickling() -> None:
    import pickle

    from gridmap.i18n import MESSAGES, Message, localize

    for key, (zh, en) in MESSAGES.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert sorted(re.findall(r"{(\w+)", zh)) == sorted(re.findall(r"{(\w+)", en)), key
    message = Message("generated_ids", n=2, column="incident_id")
    back = pickle.loads(pickle.dumps(message))
    assert (back, back.key, back.values) == (message, message.key, message.values)
    assert localize(back, "zh") != localize(back, "en") == str(message)
    with pytest.raises(KeyError, match="`key`"):
        Message("no-such-message")
