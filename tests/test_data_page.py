"""The Data page on first real use: one's own city, a commit, the words it shows (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.io import TABLE_FORMATS, VECTOR_FORMATS
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app
from tests.test_cli import BEIJING

CALLS = "编号,类别,发生时间,经度,纬度\nC-1,盗窃,2026-10-03 21:00,24.945,60.170\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


def checked(text: str, name: str, **state: object):  # type: ignore[no-untyped-def]
    app = run_app("app_pages/data.py", editor="张三", **state)
    app.file_uploader(key="upload_file").set_value((name, text.encode(), "text/csv")).run()
    app.button(key="upload_check").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_a_file_about_another_city_starts_a_workspace_of_its_own(home: Path) -> None:
    app = checked(BEIJING, "北京警情.csv")
    assert any("另一个地方" in w.value for w in app.warning), [w.value for w in app.warning]
    # The name offered is the file's; the user types a plain name of their own.
    assert app.text_input(key="upload_new_workspace").value == "北京警情"
    app.text_input(key="upload_new_workspace").input("../北京").run()
    app.button(key="upload_new_workspace_go").click().run()
    assert any("无效" in e.value for e in app.error)  # not a plain name: refused
    assert not list(home.glob("*北京*"))
    app.text_input(key="upload_new_workspace").input("北京").run()
    app.button(key="upload_new_workspace_go").click().run()
    assert not app.exception, [e.value for e in app.exception]
    created = GeoPackageStore(home / "北京.gpkg")
    assert len(created.read("incidents")) == 21  # every row, none far outside now
    assert created.history("incidents")[-1].author == "张三"
    assert app.session_state["workspace"] == str(home / "北京.gpkg")
    assert any("北京" in s.value for s in app.success)
    # The sample is untouched, and an existing name is never overwritten.
    assert len(GeoPackageStore(home / "sample.gpkg").history("incidents")) == 1


def test_an_existing_workspace_is_not_overwritten(home: Path) -> None:
    app = checked(BEIJING, "北京警情.csv")
    app.text_input(key="upload_new_workspace").input("sample").run()
    app.button(key="upload_new_workspace_go").click().run()
    assert any("已存在" in e.value for e in app.error)
    assert len(GeoPackageStore(home / "sample.gpkg").read("incidents")) == 24_000


def test_a_file_that_belongs_here_gets_no_offer(home: Path) -> None:
    app = checked(CALLS, "calls.csv")
    assert not [w for w in app.warning if "另一个地方" in w.value]
    assert not [t for t in app.text_input if t.key == "upload_new_workspace"]


def test_after_a_commit_the_form_starts_afresh(home: Path) -> None:
    app = checked(CALLS, "calls.csv")
    assert [s.label for s in app.status] == ["文件已读取"]  # not "reading…" any more
    app.button(key="upload_commit").click().run()
    assert not app.exception
    assert any("第 2 版" in s.value for s in app.success)
    # No stale preview, counts or commit button, and an empty uploader.
    assert not [b for b in app.button if b.key == "upload_commit"]
    assert not app.metric
    assert app.file_uploader[0].value is None
    assert len(GeoPackageStore(home / "sample.gpkg").read("incidents")) == 24_001


def test_history_actions_are_words_of_the_page_language(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    store.write("grids", store.read("grids").iloc[:3], message="oops")
    store.restore("grids", 1)
    app = run_app("app_pages/data.py")
    app.selectbox(key="history_layer.zh").set_value("grids").run()
    actions = set(app.dataframe[-1].value["操作"])
    assert actions == {"写入", "恢复"}


def test_the_uploader_accepts_what_gridmap_io_reads(home: Path) -> None:
    app = run_app("app_pages/data.py")
    accepted = set(app.file_uploader[0].proto.type)
    assert accepted == (set(TABLE_FORMATS) | set(VECTOR_FORMATS)) - {".shp"}


def test_no_basemap_key_error_before_a_key_could_be_typed(home: Path) -> None:
    app = run_app(basemap="tianditu")
    assert not app.error, [e.value for e in app.error]
    assert any("天地图密钥" in c.value for c in app.sidebar.caption)


def test_no_commit_form_when_no_row_can_be_imported_here(home: Path) -> None:
    # Under the offer of a workspace of its own, a CRS question and a (disabled) commit
    # button read as if the file could still be saved here (a new user's walk).
    far_only = "".join(line + "\n" for line in BEIJING.splitlines() if "B-99" not in line)
    app = checked(far_only, "北京警情.csv")
    assert [t for t in app.text_input if t.key == "upload_new_workspace"]
    assert not [b for b in app.button if b.key == "upload_commit"]
    assert not [t for t in app.text_input if t.key == "upload_message"]
    assert any("没有可导入到本工作空间的行" in i.value for i in app.info)
    assert app.header[-1].value  # the layers, export and history sections still follow
