"""Maps that only show (app_pages/_maps.py): drawn in the page by app_pages/_edit_map with
the script ``st_folium`` would send, or in ``st_folium``'s iframe when
``GRIDMAP_IFRAME_MAPS=1`` or when the map reports something back."""

from __future__ import annotations

import warnings

import pytest

from app_pages import _maps
from tests.test_maps_cache import _grids_map, sent  # noqa: F401 - `sent` is a fixture


def _show(**options: object) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no script run context: bare mode
        return _maps.show_map(_grids_map, cache_key=("ws", 1), key="m", height=400, **options)


def test_a_display_map_gets_the_script_st_folium_would_send(
    sent: list[dict],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _show() == {}
    assert _show() == {}
    monkeypatch.setenv(_maps.IFRAME_MAPS_ENV, "1")
    _show()
    own, again, iframe = sent
    assert set(own) == {"script", "header", "html", "css_links", "js_links", "height", "id"}
    assert own == again  # rendered once, the same map (its id too) for every later run
    assert "households" in own["script"]
    for name in ("script", "header", "html", "css_links", "js_links", "height"):
        assert own[name] == iframe[name], name


def test_a_map_that_reports_back_stays_in_st_folium(
    sent: list[dict],  # noqa: F811
) -> None:
    _show(returned_objects=["last_object_clicked"])
    (kwargs,) = sent
    # streamlit-folium's own arguments, with what its map reports back
    assert kwargs["returned_objects"] == ["last_object_clicked"]
