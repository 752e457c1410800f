"""Every interface text is used: each key of TEXT and MESSAGES is referenced by the code.

A key is referenced when it appears quoted in ``gridmap/``, ``app_pages/`` or
``streamlit_app.py`` (outside its own definition), or when it is one of the keys a piece of
code builds at run time, listed in :data:`BUILT_KEYS` with the code that builds them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gridmap.hotspots.views import GI_COLOURS, PATTERN_COLOURS
from gridmap.i18n import MESSAGES, TEXT

ROOT = Path(__file__).resolve().parent.parent

#: Keys built at run time: the code that builds them (as it reads in the sources) -> the keys
#: it can build. When such code changes, this list must change with it.
BUILT_KEYS: dict[str, list[str]] = {
    # app_pages/_common.py: the basemap picker, over BASEMAP_CHOICES
    'tr(f"basemap_{b}")': [f"basemap_{b}" for b in ("vector", "osm", "tianditu", "amap", "custom")],
    # app_pages/data.py: the history's action column (store versions are written or restored)
    'f"action_{action}"': ["action_write", "action_restore"],
    # app_pages/heatmaps.py and warnings_report.py: the view pickers, over their VIEWS
    'tr(f"hs_view_{v}")': [
        f"hs_view_{v}"
        for v in (
            *("density", "grids", "gi", "emerging", "time", "repeats", "streets"),  # heatmaps
            *("warnings", "requests", "report"),  # warnings_report
        )
    ],
    # app_pages/coverage.py: the police page's mode, view and what-if pickers
    'tr(f"pp_mode_{m}")': [f"pp_mode_{m}" for m in ("posts", "walk", "bike", "car")],
    'tr(f"pp_view_{v}")': [f"pp_view_{v}" for v in ("coverage", "gaps", "whatif", "siting")],
    'tr(f"pp_action_{a}")': [f"pp_action_{a}" for a in ("add", "move", "remove")],
    # app_pages/heatmaps.py and hotspots/views.py: what the grids are coloured by
    'f"hs_measure_{': [f"hs_measure_{m}" for m in ("count", "rate", "change")],
    # app_pages/heatmaps.py: the cell shape picker
    'tr(f"hs_shape_{s}")': ["hs_shape_square", "hs_shape_hexagon"],
    # hotspots/views.py and app_pages/heatmaps.py: Gi* confidence classes
    'f"hs_gi_{c}"': [f"hs_gi_{c}" for c in GI_COLOURS],
    # hotspots/views.py pattern_label: emerging hot-spot patterns
    't("hs_pattern_" + pattern.replace(" ", "_"), lang)': [
        "hs_pattern_" + p.replace(" ", "_") for p in [*PATTERN_COLOURS, "no pattern"]
    ],
    # app_pages/warnings_report.py: kinds of the saved hotspots layer
    "tr('hs_kind_' + str(k))": ["hs_kind_gi_star", "hs_kind_emerging", "hs_kind_warning"],
    # io/_vector.py _pick: parts of a zip or GeoPackage
    'Message(f"several_{what}"': [f"several_{w}" for w in ("files", "layers", "shapefiles")],
    'Message(f"source_layer_missing_{what}"': [
        f"source_layer_missing_{w}" for w in ("files", "layers", "shapefiles")
    ],
    # io/_attributes.py: unknown categories, kinds and modes, with more than are listed
    '_UNKNOWN_VALUES[role] + ("_more" if more else "")': [
        f"unknown_{w}_more" for w in ("categories", "kinds", "modes")
    ],
}


def _sources() -> str:
    files = [*(ROOT / "gridmap").rglob("*.py"), *(ROOT / "app_pages").rglob("*.py")]
    texts_dir = ROOT / "gridmap" / "texts"
    texts = []
    for path in [*files, ROOT / "streamlit_app.py"]:
        text = path.read_text(encoding="utf-8")
        if path.name == "i18n.py" or path.parent == texts_dir:
            # leave out the definitions: `    "key": (`
            text = re.sub(r'^\s+"[^"]+": \(', "", text, flags=re.MULTILINE)
        texts.append(text)
    return "\n".join(texts)


SOURCES = _sources()


@pytest.mark.parametrize("code", BUILT_KEYS)
def test_the_code_that_builds_keys_is_still_there(code: str) -> None:
    assert code in SOURCES
    missing = [k for k in BUILT_KEYS[code] if k not in TEXT and k not in MESSAGES]
    assert not missing, f"{code} builds keys that are not defined: {missing}"


@pytest.mark.parametrize(("name", "table"), [("TEXT", TEXT), ("MESSAGES", MESSAGES)])
def test_every_key_is_used(name: str, table: dict[str, tuple[str, str]]) -> None:
    quoted = set(re.findall(r"""(?<=["'])[\w-]+(?=["'])""", SOURCES))
    built = {key for keys in BUILT_KEYS.values() for key in keys}
    # Prefixes of keys a page builds at run time over its own options, as in
    # tr(f"grids_view_{v}"): a key counts as used when code builds its prefix so.
    prefixes = set(re.findall(r"""f["']([a-z][\w]*_)\{""", SOURCES))
    unused = [
        key
        for key in table
        if key not in quoted and key not in built and not any(key.startswith(p) for p in prefixes)
    ]
    assert not unused, f"{name} keys no code uses: {unused}"


def test_every_key_the_code_asks_for_exists() -> None:
    # The reverse of the test above: a key removed as unused while another branch began
    # to use it failed only when that page ran (`key` 'map_credit' has no interface text).
    asked = set(re.findall(r"""\btr?\(\s*["'](\w+)["']""", SOURCES))
    asked |= set(re.findall(r"""\bMessage\(\s*["'](\w+)["']""", SOURCES))
    prefixes = {key for key in asked if key.endswith("_")}  # t("hs_kind_" + kind)
    missing = sorted(k for k in asked - prefixes if k not in TEXT and k not in MESSAGES)
    assert not missing, f"keys the code asks for that no table defines: {missing}"
