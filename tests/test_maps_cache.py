"""The pages' map cache (app_pages/_maps.py): one render per cache key, the same arguments
to the browser as streamlit-folium's own ``st_folium``."""

from __future__ import annotations

import threading
import warnings

import geopandas as gpd
import pytest
import streamlit_folium

from app_pages import _edit_map, _maps
from gridmap.datasets import get_path
from gridmap.maps import OfflineMap, add_choropleth


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The arguments each call passes to streamlit-folium's component, in order; for a
    map shown in the page itself (app_pages/_edit_map), the map it is sent (its script,
    height …)."""
    calls: list[dict] = []

    def component(**kwargs: object) -> dict:
        calls.append(kwargs)
        return {}

    def own_component(*, data: dict, **_: object) -> None:
        calls.append(data["base"])

    monkeypatch.setattr(streamlit_folium._component_func, "component", component)
    monkeypatch.setattr(_edit_map, "_component", own_component)
    monkeypatch.setattr(_maps, "_payloads", type(_maps._payloads)())
    return calls


def _grids_map(n: int = 5) -> OfflineMap:
    grids = gpd.read_file(get_path("helsinki"), layer="grids").to_crs(4326).head(n)
    m = OfflineMap(location=[60.17, 24.94], zoom_start=14)
    add_choropleth(
        m, grids, value_column="households", title="households", label_column="grid_code"
    )
    return m


def test_a_map_is_built_once_per_key_and_sent_the_same(sent: list[dict]) -> None:
    builds: list[int] = []

    def build() -> OfflineMap:
        builds.append(1)
        return _grids_map()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no script run context: bare mode
        for _ in range(3):
            _maps.show_map(build, cache_key=("ws", 1), key="m", height=400)
        _maps.show_map(lambda: builds.append(1) or _grids_map(3), cache_key=2, key="m", height=400)
    assert len(builds) == 2  # the second key only
    assert len(sent) == 4
    first = sent[0]
    assert "households" in first["script"]
    assert first["height"] == 400
    assert sent[1] == first
    assert sent[2] == first
    assert sent[3]["script"] != first["script"]  # a new key: the new map


def test_the_recorder_records_only_in_the_thread_that_asked(sent: list[dict]) -> None:
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(getattr(_maps._recording, "kwargs", None)))
    _maps._recording.kwargs = {}
    try:
        thread.start()
        thread.join()
    finally:
        _maps._recording.kwargs = None
    assert seen == [None]


def test_a_map_that_fails_to_build_is_not_cached(sent: list[dict]) -> None:
    def broken() -> OfflineMap:
        msg = "no basemap key"
        raise ValueError(msg)

    with pytest.raises(ValueError, match="basemap"):
        _maps.show_map(broken, cache_key="k", key="m", height=300)
    assert not _maps._payloads
    assert _maps._recording.kwargs is None
