"""Build ``gridmap/data/china_gcj02_area.wkt``: where GCJ-02 web maps shift coordinates.

Source: Natural Earth 1:110m Admin 0 Countries (public domain, naturalearthdata.com), as
shipped inside the pyogrio wheel (``pyogrio/tests/fixtures/naturalearth_lowres``, copied
there from GeoPandas' former ``naturalearth_lowres`` dataset). It is offline and small.

Steps (re-run with ``python tools/build_china_outline.py`` to rebuild):

1. China's polygons (mainland and Hainan; Taiwan is a separate feature there).
2. Grown 0.35° (about 35 km) out to sea, so coastal islands and cities the 1:110m
   coastline cuts off (Zhoushan, Pingtan, Xiamen, Chongming) are inside, and 0.3° into
   neighbouring countries: the 1:110m border runs up to 27 km inside China (Hekou), and
   data of a Chinese grid office lies in China. The price: towns just across a border
   (Lao Cai, Mong Cai, Sinuiju, Blagoveshchensk) count as inside and are shifted if
   declared GCJ-02. Seoul, Hanoi, Osaka, Thimphu, Kathmandu and Pyongyang are well outside.
3. Hong Kong, Macao, Taiwan and the Taiwan-administered Kinmen and Matsu islands are cut
   out: Amap and Tencent serve WGS-84 there, as abroad. Hong Kong and Macao are drawn by
   hand along the Shenzhen River / Deep Bay and the Gongbei border, to ~0.5 km.
4. Simplified to 0.01° and written as WKT with 4 decimals.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry import Polygon, box

SEA_MARGIN_DEG = 0.35
LAND_MARGIN_DEG = 0.3

#: Hong Kong SAR, approximately: west of Lantau, up Deep Bay and the Shenzhen River
#: (Lok Ma Chau, Lo Wu, Sha Tau Kok) and around Mirs Bay, south to the open sea.
HONG_KONG = Polygon(
    [
        (113.82, 22.13),
        (113.82, 22.40),
        (113.89, 22.45),
        (113.95, 22.495),
        (114.03, 22.508),
        (114.07, 22.516),
        (114.115, 22.528),
        (114.16, 22.552),
        (114.225, 22.545),
        (114.30, 22.555),
        (114.42, 22.53),
        (114.44, 22.57),
        (114.52, 22.50),
        (114.52, 22.13),
    ]
)
#: Macao SAR: the peninsula south of the Portas do Cerco (22.216°N) and Taipa, Cotai and
#: Coloane east of the channel to Hengqin (Zhuhai).
MACAO = Polygon(
    [
        (113.525, 22.19),
        (113.527, 22.217),
        (113.555, 22.217),
        (113.565, 22.20),
        (113.60, 22.17),
        (113.60, 22.10),
        (113.553, 22.10),
        (113.553, 22.16),
        (113.535, 22.175),
    ]
)
#: Taiwan-administered islands off Fujian.
KINMEN = box(118.22, 24.38, 118.50, 24.52)
MATSU = shapely.union_all(
    [
        box(119.90, 26.13, 120.05, 26.27),
        box(119.92, 25.94, 120.00, 26.00),
        box(120.46, 26.34, 120.52, 26.40),
    ]
)


def build() -> shapely.Geometry:
    fixtures = Path(pyogrio.__file__).parent / "tests/fixtures"
    source = fixtures / "naturalearth_lowres/naturalearth_lowres.shp"
    world = gpd.read_file(source)
    china = shapely.union_all(world.loc[world["name"] == "China"].geometry.to_numpy())
    taiwan = shapely.union_all(world.loc[world["name"] == "Taiwan"].geometry.to_numpy())
    neighbours = world.loc[~world["name"].isin(["China", "Taiwan"])]
    others = shapely.union_all(neighbours.geometry.to_numpy())
    # Neighbours shrunk by the land margin: China's side of every land border is kept
    # even where the 1:110m line runs up to 27 km inside it (Hekou, Dongxing, Heihe).
    inland = shapely.buffer(others, -LAND_MARGIN_DEG, quad_segs=4)
    grown = shapely.buffer(china, SEA_MARGIN_DEG, quad_segs=4).difference(inland)
    # Pieces of the margin cut off from China by a neighbour's land are dropped.
    parts = [p for p in shapely.get_parts(grown) if p.intersects(china)]
    area = shapely.union_all(parts)
    cut = shapely.union_all(
        [shapely.buffer(taiwan, SEA_MARGIN_DEG, quad_segs=4), HONG_KONG, MACAO, KINMEN, MATSU]
    )
    area = area.difference(cut)
    area = shapely.simplify(area, 0.01, preserve_topology=True)
    return shapely.set_precision(area, 0.0001)


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "gridmap/data/china_gcj02_area.wkt"
    geometry = build()
    out.write_text(shapely.to_wkt(geometry, rounding_precision=4) + "\n")
    print(out, shapely.get_num_coordinates(geometry), "vertices", out.stat().st_size, "bytes")
