"""gridmap installed from a wheel, not from this checkout: the bundled sample comes along."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_sample_works_from_an_installed_wheel(tmp_path: Path) -> None:
    # Build from a copy of the sources, so the checkout gets no build/ folder.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "gridmap", src / "gridmap", ignore=shutil.ignore_patterns("__pycache__", ".*")
    )
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # As a user's pip builds it: setuptools from the registry, in an isolated environment.
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(wheels), str(src)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("gridmap-*.whl")
    target = tmp_path / "installed"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)

    # The installed copy comes first on the path (dependencies from this environment);
    # run from elsewhere, so neither the checkout nor its data/ folder can be found.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDMAP_")}
    env.update(PYTHONPATH=str(target), GRIDMAP_HOME=str(tmp_path / "home"))
    script = textwrap.dedent(
        """
        import gridmap
        from gridmap.datasets import get_path
        from gridmap.store import open_workspace

        path = get_path("helsinki")
        print(gridmap.__file__)
        print(path)
        store = open_workspace()  # the first start installs a copy of the sample
        print(len(store.read("grids")), sorted(store.layers()))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert Path(out[0]).is_relative_to(target)
    assert Path(out[1]) == target / "gridmap" / "data" / "helsinki.gpkg"
    layers = (
        "['buildings', 'grids', 'hotspots', 'incidents', 'posts', 'sites', 'streets', 'tracks']"
    )
    assert out[2].startswith(f"30 {layers}")
