"""``gridmap accounts`` and ``gridmap audit export`` on a real workspace."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from gridmap.access import SignInError, SignInThrottle, access_storage, sign_in
from gridmap.cli import main
from gridmap.store import GeoPackageStore, install_sample_workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return install_sample_workspace(tmp_path / "office.gpkg")


def run(monkeypatch: pytest.MonkeyPatch, workspace: Path, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["-w", str(workspace), *argv])


def test_accounts_commands(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ("accounts", "add", "wang", "--role", "viewer", "--scope", "990101001002")
    assert run(monkeypatch, workspace, *add, "--password-stdin", stdin="grid worker 1\n") == 0
    storage = access_storage(GeoPackageStore(workspace))
    assert sign_in(storage, "wang", "grid worker 1", throttle=SignInThrottle()).role == "viewer"
    assert run(monkeypatch, workspace, "accounts", "list") == 0
    assert "wang" in capsys.readouterr().out
    assert (
        run(
            monkeypatch,
            workspace,
            "accounts",
            "passwd",
            "wang",
            "--password-stdin",
            stdin="another one 2\n",
        )
        == 0
    )
    assert sign_in(storage, "wang", "another one 2", throttle=SignInThrottle()).user == "wang"
    assert run(monkeypatch, workspace, "accounts", "disable", "wang") == 0
    with pytest.raises(SignInError):
        sign_in(storage, "wang", "another one 2", throttle=SignInThrottle())
    assert run(monkeypatch, workspace, "accounts", "enable", "wang") == 0
    # a user's mistake is a message and status 2, not a traceback
    assert (
        run(
            monkeypatch,
            workspace,
            "accounts",
            "add",
            "li",
            "--role",
            "viewer",
            "--password-stdin",
            stdin="short\n",
        )
        == 2
    )
    assert run(monkeypatch, workspace, "accounts", "disable", "nobody") == 2
    assert "there is no account nobody" in capsys.readouterr().err


def test_audit_export(workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    storage = access_storage(GeoPackageStore(workspace))
    add = ("accounts", "add", "wang", "--role", "viewer")
    assert run(monkeypatch, workspace, *add, "--password-stdin", stdin="grid worker 1\n") == 0
    with pytest.raises(SignInError):
        sign_in(storage, "@SUM(A1)", "x", client="10.0.0.8", throttle=SignInThrottle())
    out = tmp_path / "audit.csv"
    assert (
        run(monkeypatch, workspace, "audit", "export", str(out), "--action", "sign_in_failed") == 0
    )
    rows = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert rows[["user", "client", "detail"]].values.tolist() == [
        ["'@SUM(A1)", "10.0.0.8", "unknown user"]
    ]
    assert run(monkeypatch, workspace, "audit", "export", str(out), "--since", "2999-01-01") == 0
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == 0
    assert run(monkeypatch, workspace, "audit", "export", str(out), "--since", "soon") == 2
