"""Text-table faults met in real files: each once more, outside the fuzz corpus, in detail."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from gridmap import ImportFileError
from gridmap.i18n import Message
from gridmap.io import import_file

REALWORLD = Path("/work/shared/cases/realworld")


@pytest.mark.skipif(not REALWORLD.is_dir(), reason="shared real-world cases not present")
def test_duplicate_header_names_keep_every_remark() -> None:
    """README: 2 rows; the three remarks kept under three distinct names."""
    result = import_file(REALWORLD / "duplicate_header_names.csv", "incidents")
    assert result.data["incident_id"].tolist() == ["JQ001", "JQ002"]
    remarks = [c for c in result.data.columns if c.startswith("备注")]
    assert remarks == ["备注", "备注.1", "备注.2"]
    assert result.data[remarks].values.tolist() == [
        ["第一条", "第二条", "第三条"],
        ["甲", "乙", "丙"],
    ]


def test_xxe_in_a_workbook_never_reads_the_file(tmp_path: Path) -> None:
    """An external entity naming a local file is refused; the file's text appears nowhere."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER")
    book = openpyxl.Workbook()
    book.active.append(["编号", "经度", "纬度", "发生时间", "类别", "描述"])
    book.active.append(["JQ1", "116.4", "39.9", "2023-05-01 09:00", "盗窃", "PLACEHOLDER"])
    plain = io.BytesIO()
    book.save(plain)
    hostile = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(hostile, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                doctype = f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
                data = (doctype + data.decode().replace("PLACEHOLDER", "&e;")).encode()
            dst.writestr(info, data)
    path = tmp_path / "xxe.xlsx"
    path.write_bytes(hostile.getvalue())
    with pytest.raises(ImportFileError) as caught:
        import_file(path, "incidents")
    message = caught.value.args[0]
    assert isinstance(message, Message)
    assert message.key == "xlsx_unsafe_xml"
    assert "SECRET-MARKER" not in message.text("en") + message.text("zh")


def test_gbk_rows_appended_after_the_first_megabyte_of_utf8(tmp_path: Path) -> None:
    """Two exports pasted together: each line read in its own encoding, the GBK ones named."""
    header = "编号,经度,纬度,发生时间,类别,描述\n"
    utf8_rows = [
        f"A{i:06d},116.4,39.9,2023-05-01 09:00,盗窃,北京市朝阳区第{i}号\n" for i in range(25_000)
    ]
    gbk_rows = [
        f"B{i:06d},116.4,39.9,2023-05-01 09:00,盗窃,北京市海淀区第{i}号\n" for i in range(3)
    ]
    path = tmp_path / "pasted.csv"
    path.write_bytes((header + "".join(utf8_rows)).encode() + "".join(gbk_rows).encode("gbk"))
    assert path.stat().st_size > 1 << 20  # the encoding sample is all UTF-8
    result = import_file(path, "incidents")
    assert len(result.data) == 25_003
    assert result.data["description"].iloc[-1] == "北京市海淀区第2号"
    assert result.data["description"].iloc[0] == "北京市朝阳区第0号"
    mixed = [w for w in result.warnings if getattr(w, "key", "") == "encoding_mixed_lines"]
    assert mixed, result.warnings
    assert mixed[0].values["lines"] == "25002, 25003, 25004"


def test_unclosed_quote_names_its_line_in_chinese_too(tmp_path: Path) -> None:
    rows = [f"JQ{i},116.4,39.9,2023-05-01 09:00,盗窃,第{i}条" for i in range(1, 20)]
    rows[6] = 'JQ7,116.4,39.9,2023-05-01 09:00,盗窃,"第7条'
    path = tmp_path / "quote.csv"
    path.write_text("编号,经度,纬度,发生时间,类别,描述\n" + "\n".join(rows) + "\n")
    with pytest.raises(ImportFileError) as caught:
        import_file(path, "incidents")
    assert caught.value.args[0].text("zh").startswith("文件 quote.csv 第 8 行")
