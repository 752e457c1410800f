"""The web page with hostile input: names that are Markdown, paths typed as workspace
names, writes without an editor, uploads left on the server. AppTest, no mocks."""

from __future__ import annotations

import gc
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gridmap.store import GeoPackageStore
from gridmap.uploads import UploadFolder, safe_file_name, sweep
from tests.test_app import run_app

#: A category value and a column name that, rendered as Markdown, fetch outside images.
CATEGORY = "![p](http://example.invalid/p.png)<img src=http://example.invalid/i.png>"
COLUMN = "![c](http://example.invalid/c.png)"
FILE_NAME = "![f](x.png) <img src=y.png>.csv"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from gridmap.store import install_sample_workspace

    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path / "workspaces"))
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    # Python's own temp folder too, so a copy left anywhere in "temp" is seen.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "workspaces" / "sample.gpkg")
    return tmp_path / "workspaces"


def hostile_csv() -> bytes:
    # Two columns differing only in case: the import renames one and says so by name.
    header = f"事件编号,类别,发生时间,经度,纬度,{COLUMN},{COLUMN.upper()}"
    rows = [
        f"H-1,{CATEGORY},2026-10-30 10:00,24.9415,60.1690,a,a",
        'H-2,盗窃,2026-10-30 11:00,24.9440,60.1702,=HYPERLINK("http://example.invalid"),b',
        "H-3,盗窃,not a date,24.9440,60.1702,b,b",
    ]
    return "\n".join([header, *rows, ""]).encode("utf-8")


def markdown_bodies(app: AppTest) -> list[str]:
    """Every Markdown text the run rendered (alerts, markdown, captions, toasts)."""
    elements = [*app.error, *app.warning, *app.info, *app.success, *app.markdown]
    elements += [*app.caption, *app.toast]
    return [e.value for e in elements]


def unescaped(text: str, keep_joiners: bool = False) -> str:
    """What Markdown shows for `text`: backslash escapes removed (and word joiners)."""
    shown = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)
    return shown if keep_joiners else shown.replace("\u2060", "")


#: Markdown that would render as an image, a link or an HTML tag: the characters that
#: start one, not escaped by a backslash.
LIVE_MARKUP = re.compile(r"(?<!\\)(!\[|\]\(|<[a-zA-Z/])")


#: What GitHub-style Markdown links by itself, whatever the backslashes.
AUTOLINK = re.compile(r"(?i)https?://|www\.|\w@\w")


def live_markup(bodies: list[str]) -> list[str]:
    return [b for b in bodies if LIVE_MARKUP.search(b) or AUTOLINK.search(unescaped(b, True))]


def upload_and_check(app: AppTest, name: str, content: bytes) -> AppTest:
    app.file_uploader(key="upload_file").set_value((name, content, "text/csv")).run()
    app.button(key="upload_check").click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


# -- Markdown injection -----------------------------------------------------------------


def test_column_and_category_names_are_shown_as_text_not_markdown(home: Path) -> None:
    app = upload_and_check(run_app("app_pages/data.py"), "警情.csv", hostile_csv())
    bodies = markdown_bodies(app)
    warnings = [w.value for w in app.warning]
    # The warnings name the category and the renamed column, shown literally ...
    assert any(CATEGORY in unescaped(w) for w in warnings), warnings
    assert any(COLUMN.upper() in unescaped(w) for w in warnings), warnings
    # ... and nothing rendered is an image, a link or raw HTML.
    assert not live_markup(bodies), bodies
    # The check can fail: each of these would render live.
    assert all(live_markup([x]) for x in (CATEGORY, COLUMN, "<img src=x>", "\\!x www.a.cn"))


def test_a_hostile_file_name_in_an_error_is_escaped(home: Path) -> None:
    app = run_app("app_pages/data.py", lang="en")
    app.file_uploader(key="upload_file").set_value((FILE_NAME, b"%PDF-1.4 junk", "text/csv"))
    app.run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any(FILE_NAME in unescaped(e) for e in errors), errors
    assert not live_markup(errors), errors


def test_message_templates_keep_their_code_spans(home: Path) -> None:
    # Values inside a template's `code span` are literal there: no backslashes shown.
    from app_pages._common import _message_markdown
    from gridmap.i18n import Message

    shown = _message_markdown(Message("generated_ids", n=3, column="incident_id"), "en")
    assert shown == "no id column: 3 ids generated in `incident_id`"
    hostile = _message_markdown(Message("generated_ids", n=3, column="a`![x](y)"), "en")
    assert hostile.count("`") == 2  # the value cannot close the span early


# -- workspace names --------------------------------------------------------------------

BAD_NAMES = ["../x", "/tmp/x", "a/b", "x.gpkg", "..", "", "ws" * 100]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_only_plain_workspace_names_are_created(home: Path, lang: str) -> None:
    before_tmp = {p: Path(p).exists() for p in ("/tmp/x", "/tmp/x.gpkg")}
    before = sorted(home.parent.rglob("*"))
    app = run_app(lang=lang)
    for name in BAD_NAMES:
        app.sidebar.text_input(key="new_workspace_name").input(name)
        app.sidebar.button(key="new_workspace_create").click().run()
        assert not app.exception, (name, [e.value for e in app.exception])
        errors = [e.value for e in app.sidebar.error]
        expected = "无效" if lang == "zh" else "not allowed"
        assert any(expected in e for e in errors), (name, errors)
        assert app.session_state["workspace"] == str(home / "sample.gpkg")
    after = sorted(p for p in home.parent.rglob("*") if "uploads" not in p.parts)
    assert after == [p for p in before if "uploads" not in p.parts]
    assert {p: Path(p).exists() for p in before_tmp} == before_tmp
    app.sidebar.text_input(key="new_workspace_name").input("朝阳-1")
    app.sidebar.button(key="new_workspace_create").click().run()
    assert not app.exception
    assert app.session_state["workspace"] == str(home / "朝阳-1.gpkg")
    assert (home / "朝阳-1.gpkg").exists()


def test_the_picker_opens_only_listed_workspaces(home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.gpkg"
    app = run_app(workspace=str(elsewhere))
    assert app.session_state["workspace"] == str(home / "sample.gpkg")
    assert not elsewhere.exists()


# -- the editor's name ------------------------------------------------------------------


def test_a_write_without_an_editor_is_refused_with_a_prompt(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    versions = len(store.history("incidents"))
    app = upload_and_check(run_app("app_pages/data.py"), "警情.csv", hostile_csv())
    app.button(key="upload_commit").click().run()
    assert not app.exception
    assert any("编辑人" in w.value for w in app.warning)
    assert len(store.history("incidents")) == versions  # nothing written as root


def test_imports_are_recorded_under_the_typed_editor_marked_unverified(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    app = upload_and_check(run_app("app_pages/data.py", editor="张三"), "警情.csv", hostile_csv())
    app.button(key="upload_commit").click().run()
    assert not app.exception
    last = store.history("incidents")[-1]
    assert last.author == "张三"
    assert not last.author_verified
    app.selectbox(key="history_layer.zh").set_value("incidents").run()
    history = app.dataframe[-1].value
    assert "张三（未验证）" in set(history["操作人"])


def test_the_sidebar_refuses_an_editor_name_with_control_characters(home: Path) -> None:
    app = run_app(lang="en")
    app.sidebar.text_input(key="editor_input").input("x" * 41).run()
    assert any("not allowed" in e.value for e in app.sidebar.error)
    assert app.session_state["editor"] is None
    app.sidebar.text_input(key="editor_input").input(" 李四 ").run()
    assert app.session_state["editor"] == "李四"
    assert not app.sidebar.error


# -- uploads ----------------------------------------------------------------------------


def test_no_copy_of_an_upload_is_left_after_import_or_export(home: Path) -> None:
    uploads = home.parent / "uploads"
    temp = home.parent / "tmp"
    app = upload_and_check(run_app("app_pages/data.py", editor="张三"), "警情.csv", hostile_csv())
    assert files_under(uploads) == []  # read, then removed
    assert files_under(temp) == []
    assert "upload_result" in app.session_state
    app.button(key="upload_commit").click().run()
    assert not app.exception
    assert "upload_result" not in app.session_state  # the parsed rows are dropped
    app.selectbox(key="export_format.zh").set_value("csv").run()
    app.button(key="export_go").click().run()
    assert not app.exception
    assert app.get("download_button")
    assert files_under(uploads) == []
    assert files_under(temp) == []


def test_choosing_another_file_drops_the_checked_one(home: Path) -> None:
    app = upload_and_check(run_app("app_pages/data.py"), "警情.csv", hostile_csv())
    assert "upload_result" in app.session_state
    app.file_uploader(key="upload_file").set_value(None).run()
    assert "upload_result" not in app.session_state
    assert "upload_preview" not in app.session_state


def test_a_session_folder_goes_with_its_session(tmp_path: Path) -> None:
    folder = UploadFolder(tmp_path)
    with folder.copy("../../警情.csv", b"a,b\n") as path:
        assert path.parent.parent == folder.path  # inside the session folder, not above
        assert path.name == "警情.csv"
    assert files_under(folder.path) == []
    kept = folder.path
    left = kept / "left-over.bin"
    left.write_bytes(b"x")  # something a crash left behind
    del folder
    gc.collect()
    assert not kept.exists()


def test_left_over_session_folders_are_swept(tmp_path: Path) -> None:
    week_ago = time.time() - 7 * 24 * 3600
    old = tmp_path / "session-1-crashed-abc"
    ended = tmp_path / f"session-{os.getpid()}-gone-abc"
    dead = tmp_path / "session-999999999-x-abc"  # a server process that does not run
    running = tmp_path / f"session-{os.getppid()}-x-abc"  # another, running server
    for folder in (old, ended, dead, running):
        folder.mkdir()
        (folder / "big.csv").write_bytes(b"x" * 1000)
        os.utime(folder, (time.time() - 60, time.time() - 60))
    os.utime(old, (week_ago, week_ago))
    live = UploadFolder(tmp_path, owner="live")  # starting a session sweeps by age, pid
    assert not old.exists()
    assert not dead.exists()
    assert ended.exists()  # only the app knows which of its sessions ended
    assert running.exists()
    removed = sweep(tmp_path, ended=lambda owner: owner != "live")
    assert removed == [ended]
    assert live.path.exists()  # too young to be judged, and its session is alive
    live.close()
    assert live.closed


def test_safe_file_names_stay_in_their_folder() -> None:
    assert safe_file_name("/etc/passwd") == "passwd"
    assert safe_file_name("..\\..\\x.csv") == "x.csv"
    assert safe_file_name(".hidden.csv") == "upload.hidden.csv"
    assert len(safe_file_name("长" * 300 + ".csv").encode()) <= 200
    assert safe_file_name("长" * 300 + ".csv").endswith(".csv")
