"""Workspace names in GRIDMAP_WORKSPACE and the CLI, the last administrator, CLI audit
rows, password prompts without a terminal and scopes checked against the grids."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.cli import main
from gridmap.store import install_sample_workspace, list_workspaces, open_workspace
from tests.test_app import run_app


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    return tmp_path / "home"


def test_the_app_opens_a_workspace_named_in_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_sample_workspace(home / "朝阳.gpkg")
    monkeypatch.setenv("GRIDMAP_WORKSPACE", "朝阳")
    app = run_app()  # fails on an exception (was: StoreError: must name a .gpkg file)
    assert app.session_state["workspace"] == str(home / "朝阳.gpkg")
    assert not app.error


def test_the_app_names_the_workspaces_there_are_for_a_missing_one(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_sample_workspace(home / "朝阳.gpkg")
    monkeypatch.setenv("GRIDMAP_WORKSPACE", "海淀")
    app = run_app()
    text = " ".join(e.value for e in app.error)
    assert "海淀" in text
    assert "朝阳" in text
    assert not (home / "海淀.gpkg").exists()  # a typo creates nothing


def test_copy_from_the_default_workspace_installs_it(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["copy", "sample", "朝阳"]) == 0, capsys.readouterr().err
    assert {p.stem for p in list_workspaces()} == {"sample", "朝阳"}
    assert "grids" in open_workspace("朝阳", create=False).layers()
