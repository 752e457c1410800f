"""The load bench's browser-less sessions (bench/_stream_client.py) against a real server.

They stand for people on their own PCs in ``bench/bench_load.py``'s third phase, so they
must get what a browser gets: signed in by the trusted single sign-on header, the
Overview with its map, and nothing for a user without an account.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bench._load_accounts import account_name, prepare_accounts
from bench._stream_client import StreamSession
from gridmap import datasets
from gridmap.access._accounts import TRUSTED_HEADER_ENV
from tests.browser import running_app

HEADER = "X-Test-User"


def test_a_browserless_session_signs_in_by_header_and_gets_the_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "office.gpkg"
    shutil.copy(datasets.get_path("helsinki"), workspace)
    prepare_accounts(workspace, 4)  # load003 is a viewer of one community
    monkeypatch.setenv(TRUSTED_HEADER_ENV, HEADER)

    async def visit(url: str, user: str) -> tuple:
        async with StreamSession(url, headers={HEADER: user}) as session:
            first = await session.run()
            away = await session.run("heatmaps") if "heatmaps" in session.pages else None
            back = await session.run()
            return first, away, back, set(session.pages)

    with running_app(tmp_path, workspace=workspace, timeout=120) as url:
        first, away, back, pages = asyncio.run(visit(url, account_name(3)))
        stranger = asyncio.run(visit(url, "nobody"))
    assert (first.maps, back.maps) == (1, 1)
    assert (first.exceptions, back.exceptions) == ([], [])
    assert away is not None
    assert not away.exceptions
    assert "accounts" not in pages  # a viewer's navigation
    # no account: the sign-in page only, no map
    assert (stranger[0].maps, stranger[2].maps) == (0, 0)
