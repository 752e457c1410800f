"""Maps built once and shared by every session (app_pages/_maps.py) never cross a scope.

The Overview's and the Heatmaps page's maps are kept in the server process and handed to
later sessions: a key that missed the scope would send one community's grids and incident
counts to a viewer of another. Here sessions of three scopes (the whole street, then two
communities, then the first community again) open the same pages in one server process,
one after the other, and every map script each session is sent is read for grid codes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app_pages import _maps
from gridmap.access import access_storage, add_account
from gridmap.store import GeoPackageStore
from tests.test_access_pages import sign_in_as, start
from tests.test_app import home  # noqa: F401 - a fixture
from tests.test_maps_cache import sent  # noqa: F401 - a fixture: the maps sent, in order

A, B = "990101001002", "990101001005"
CODE = re.compile(r"9901010010\d\d\d{3}")


@pytest.fixture
def office(home: Path) -> Path:  # noqa: F811
    storage = access_storage(GeoPackageStore(home / "sample.gpkg"))
    add_account(storage, "admin", password="correct horse", role="administrator")
    add_account(storage, "wang", password="grid worker 1", role="viewer", scope=A)
    add_account(storage, "li", password="grid worker 2", role="viewer", scope=B)
    return home


def _codes(calls: list[dict]) -> set[str]:
    return {c[:12] for call in calls for c in CODE.findall(str(call.get("script", "")))}


@pytest.mark.parametrize("page", ["overview", "heatmaps"])
def test_sessions_of_other_scopes_get_their_own_maps(
    office: Path,
    sent: list[dict],  # noqa: F811
    page: str,
) -> None:
    seen = {}
    for user, password, scope in [
        ("admin", "correct horse", ""),
        ("wang", "grid worker 1", A),
        ("li", "grid worker 2", B),
        ("wang", "grid worker 1", A),
    ]:
        sent.clear()
        app = sign_in_as(start(), user, password)
        if page != "overview":
            app.switch_page(f"app_pages/{page}.py").run()
            assert not app.exception, [e.value for e in app.exception]
        assert sent, f"{page}: no map was sent to {user}"
        codes = _codes(sent)
        assert codes, f"{page}: the map sent to {user} names no grid"
        assert all(c.startswith(scope) for c in codes), (user, page, sorted(codes))
        seen[user, scope] = codes
    assert len(seen[("admin", "")]) > 1  # the whole street: several communities
    # the map kept for the first session of a scope is still the one sent again
    assert _maps._payloads, "the maps were not shared at all: the test would prove nothing"
