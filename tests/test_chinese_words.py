"""No English left in Chinese mode: the map's scale and credit (the page's own words are
checked in tests/test_data_page.py and, in a browser, tests/test_e2e.py)."""

from __future__ import annotations

from gridmap.datasets import get_path
from gridmap.overview import build_overview, overview_map
from gridmap.store import GeoPackageStore


def test_the_overview_map_is_metric_and_credits_in_the_page_language() -> None:
    store = GeoPackageStore(get_path("helsinki"), create=False)
    grids = store.read("grids")
    overview = build_overview(grids, None, metric_crs=store.working_crs())
    for lang, credit, other in (
        ("zh", "OpenStreetMap 贡献者", "contributors"),
        ("en", "OpenStreetMap contributors", "贡献者"),
    ):
        html = overview_map(overview, lang=lang, colour_by="households").get_root().render()
        assert "L.control.scale({imperial: false})" in html
        assert "L.control.scale()" not in html  # folium's own, in feet and miles too
        assert credit in html
        assert other not in html
