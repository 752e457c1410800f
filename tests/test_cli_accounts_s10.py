"""Workspace names in GRIDMAP_WORKSPACE and the CLI, the last administrator, CLI audit
rows, password prompts without a terminal and scopes checked against the grids."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gridmap import GridmapError
from gridmap.access import (
    access_storage,
    add_account,
    get_account,
    read_audit,
    update_account,
)
from gridmap.cli import main
from gridmap.store import install_sample_workspace, list_workspaces, open_workspace
from tests.test_app import ROOT, run_app

README = (ROOT / "README.md").read_text(encoding="utf-8")


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


def _with_admin(
    workspace: str, monkeypatch: pytest.MonkeyPatch, user: str = "admin", scope: str = ""
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-1\n"))
    args = ["-w", workspace, "accounts", "add", user, "--role", "administrator"]
    assert main([*args, "--scope", scope, "--password-stdin"]) == 0


def _audit(workspace: str) -> pd.DataFrame:
    return read_audit(access_storage(open_workspace(workspace, create=False)))


def test_the_command_line_audits_imports_and_exports_once_there_are_accounts(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_sample_workspace(home / "朝阳.gpkg")
    _with_admin("朝阳", monkeypatch)
    csv = tmp_path / "calls.csv"
    csv.write_text("编号,类别,发生时间,经度,纬度\nC-1,盗窃,2026-10-03 21:00,24.945,60.170\n")
    assert main(["-w", "朝阳", "import", str(csv), "--layer", "incidents"]) == 0
    writes = _audit("朝阳").query("action == 'write'")
    assert list(writes["layer"]) == ["incidents"]
    out = tmp_path / "grids_plan.gpkg"
    assert main(["-w", "朝阳", "grids", "export", str(out)]) == 0
    exports = _audit("朝阳").query("action == 'export'")
    assert list(exports["layer"]) == ["grids"]


def test_the_last_administrator_stays_one(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install_sample_workspace(home / "朝阳.gpkg")
    _with_admin("朝阳", monkeypatch)
    storage = access_storage(open_workspace("朝阳", create=False))
    for change in ({"role": "viewer"}, {"disabled": True}, {"scope": "990101"}):
        with pytest.raises(GridmapError) as caught:
            update_account(storage, "admin", **change)
        assert "唯一" in caught.value.args[0].text("zh")
        assert "at least one enabled administrator" in caught.value.args[0].text("en")
    # the command line refuses it too, and repairs accounts without the app
    assert main(["-w", "朝阳", "accounts", "change", "admin", "--role", "viewer"]) == 2
    assert "at least one enabled administrator" in capsys.readouterr().err
    assert main(["-w", "朝阳", "accounts", "disable", "admin"]) == 2
    _with_admin("朝阳", monkeypatch, user="li")
    args = ["-w", "朝阳", "accounts", "change", "admin", "--role", "viewer", "--name", "老管"]
    assert main([*args, "--scope", "990101001", "--disable"]) == 0
    admin = get_account(storage, "admin")
    assert (admin.role, admin.scope.prefix, admin.display_name, admin.disabled) == (
        "viewer",
        "990101001",
        "老管",
        True,
    )
    assert main(["-w", "朝阳", "accounts", "change", "admin", "--enable"]) == 0
    assert not get_account(storage, "admin").disabled


def test_adding_an_account_without_a_terminal_names_password_stdin(
    home: Path, tmp_path: Path
) -> None:
    install_sample_workspace(home / "朝阳.gpkg")
    command = [sys.executable, "-m", "gridmap.cli", "-w", "朝阳", "accounts", "add", "admin"]
    done = subprocess.run(
        [*command, "--role", "administrator"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "GRIDMAP_HOME": str(home)},
        check=False,
        timeout=120,
    )
    assert done.returncode != 0
    assert "--password-stdin" in done.stderr
    assert "Traceback" not in done.stderr
    assert "--password-stdin" in README.split("## Accounts", 1)[1].split("\n## ", 1)[0]


def test_a_scope_must_match_the_workspace_grids(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install_sample_workspace(home / "朝阳.gpkg")
    _with_admin("朝阳", monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-1\n"))
    args = ["-w", "朝阳", "accounts", "add", "wang", "--role", "viewer", "--password-stdin"]
    assert main([*args, "--scope", "110105001002"]) == 2
    err = capsys.readouterr().err
    assert "110105001002" in err
    assert "990101001" in err  # the workspace's own prefixes
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-1\n"))
    assert main([*args, "--scope", "990101001"]) == 0
    change = ["-w", "朝阳", "accounts", "change", "wang", "--scope", "110105"]
    assert main(change) == 2
    assert "990101" in capsys.readouterr().err
    # a workspace with no grids yet takes any valid scope
    empty = access_storage(open_workspace("空", create=True))
    add_account(empty, "zhao", password=None, role="viewer", scope="110105001002")


def test_the_accounts_page_shows_a_scope_outside_the_grids(home: Path) -> None:
    install_sample_workspace(home / "sample.gpkg")
    storage = access_storage(open_workspace(home / "sample.gpkg"))
    add_account(storage, "admin", password="correct horse", role="administrator")
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    app.session_state["lang"] = "en"
    app.run()
    app.text_input(key="access_user").set_value("admin")
    app.text_input(key="access_password").set_value("correct horse")
    app.button(key="access_sign_in_submit").click().run()
    app.switch_page("app_pages/accounts.py").run()
    app.radio(key="access_view.en").set_value("add").run()
    app.text_input(key="access_add_user").set_value("wang")
    app.selectbox(key="access_add_role.en").set_value("viewer")
    app.text_input(key="access_add_scope").set_value("110105001002")
    app.text_input(key="access_add_pw").set_value("grid worker 1")
    app.text_input(key="access_add_pw2").set_value("grid worker 1")
    app.button(key="access_add_submit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    shown = " ".join(e.value for e in app.error)
    assert "matches none of this workspace's grids" in shown
    assert "990101" in shown
    assert get_account(storage, "wang") is None
