"""The README's ``gridmap patrol …`` commands run as written on a fresh sample.

The commands are read from the README's police section, so a README that names a command
the sample cannot run (or an option that no longer exists) fails here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from gridmap.cli import main
from gridmap.store import install_sample_workspace

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_patrol_commands() -> list[tuple[list[str], list[str]]]:
    """Each ``gridmap patrol`` line of the README's police code block, as (argv, files
    its comments name)."""
    section = README.read_text(encoding="utf-8").split("## Police", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the README's police section has no bash block"
    commands: list[tuple[list[str], list[str]]] = []
    for line in block.group(1).splitlines():
        code, _, comment = line.partition("#")
        if code.strip().startswith("gridmap patrol"):
            commands.append((shlex.split(code)[1:], []))
        if commands:  # files the comment names, on this line or the next comment lines
            names = re.findall(r"[\w<>]+\.(?:gpx|geojson|html|csv)\b", comment)
            commands[-1][1].extend(n for n in names if "<" not in n)
    return commands


def test_the_readme_names_the_four_patrol_commands() -> None:
    names = [argv[1] for argv, _ in readme_patrol_commands()]
    assert names == ["route", "postman", "schedule", "coverage"]


@pytest.mark.parametrize(
    ("argv", "files"),
    readme_patrol_commands(),
    ids=lambda v: v[1] if v and v[0] == "patrol" else "",
)
def test_readme_patrol_command_runs_as_written(
    argv: list[str],
    files: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    workspace = install_sample_workspace(tmp_path / "sample.gpkg")
    monkeypatch.chdir(tmp_path)  # `-o out/` as a user types it, relative to here
    status = main(["--workspace", str(workspace), *argv])
    assert status == 0, capsys.readouterr().err
    folder = tmp_path / argv[argv.index("-o") + 1]
    for name in files:
        assert (folder / name).is_file(), name
