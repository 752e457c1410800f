"""Hostile and malformed text tables: CSV, TSV and Excel files as users (and attackers) send them.

Each case is a file written here from a seeded generator and the exact outcome importing it
must have (see :mod:`tests.fuzz.corpus`). The faults come from what Chinese office software,
old Macs, broken downloads and hand-edited workbooks really produce: every encoding Excel
writes, CR-only line ends, unclosed quotes, NUL bytes, repeated header names, sheets whose
declared size is wrong, and XML that tries to read local files or to expand entities until
the server runs out of memory.
"""

from __future__ import annotations

import codecs
import io
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd

from gridmap.io import ImportResult
from tests.fuzz.corpus import Case

HEADER = ["编号", "经度", "纬度", "发生时间", "类别", "描述"]
REALWORLD = Path("/work/shared/cases/realworld")


def incident_rows(rng: random.Random, n: int, *, start: int = 1) -> list[list[str]]:
    """`n` good incident rows around Beijing (ids, coordinates, times, Chinese text)."""
    rows = []
    for i in range(start, start + n):
        lon = round(116.3 + rng.random() * 0.2, 6)
        lat = round(39.85 + rng.random() * 0.1, 6)
        minute = rng.randrange(60)
        rows.append(
            [f"JQ{i:04d}", str(lon), str(lat), f"2023-05-01 09:{minute:02d}", "盗窃", f"第{i}条"]
        )
    return rows


def csv_text(rows: list[list[str]], *, sep: str = ",", header: list[str] = HEADER) -> str:
    return "\n".join(sep.join(r) for r in [header, *rows]) + "\n"


def descriptions(expected: list[str]) -> Callable[[object], None]:
    """A check that the imported descriptions are exactly `expected`, in order."""

    def check(result: object) -> None:
        assert isinstance(result, ImportResult)
        got = result.data["description"].tolist()
        assert got == expected, f"descriptions {got[:5]}… != {expected[:5]}…"

    return check


def warned(key: str, *texts: str) -> Callable[[object], None]:
    """A check that a warning with message `key` was given, containing each of `texts`."""

    def check(result: object) -> None:
        assert isinstance(result, ImportResult)
        found = [w for w in result.warnings if getattr(w, "key", None) == key]
        assert found, f"no {key!r} warning in {result.warnings}"
        for text in texts:
            assert text in str(found[0]), f"{text!r} not in {found[0]!r}"

    return check


def both(*checks: Callable[[object], None]) -> Callable[[object], None]:
    def check(result: object) -> None:
        for one in checks:
            one(result)

    return check


# ------------------------------------------------------------------------------ xlsx


def saved(book: openpyxl.Workbook) -> bytes:
    """`book` as .xlsx bytes, the same on every run (no save times inside)."""
    out = io.BytesIO()
    book.save(out)
    return patch_zip(out.getvalue(), {})


def workbook_bytes(rows: list[list[object]], *, title: str = "Sheet") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    return saved(book)


def patch_zip(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """`data` (a zip) with members replaced, added (new names) or removed (None).

    Member dates and the workbook's save time are fixed, so that the corpus is the same
    bytes on every run.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        members = {info.filename: src.read(info.filename) for info in src.infolist()}
        members.update(replace)
        for name, content in members.items():
            if content is None:
                continue
            if name == "docProps/core.xml":
                content = re.sub(
                    rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-01-01T00:00:00Z", content
                )
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, content)
    return out.getvalue()


def member(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        return src.read(name).decode()


SHEET = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def with_shared_strings(
    rows: list[list[str]], *, sst_prefix: str = "", bad_index: bool = False, entity: str = ""
) -> bytes:
    """A workbook whose text cells are shared strings (as Excel writes them), as bytes.

    `sst_prefix` goes before the ``<sst>`` element (a DOCTYPE), `entity` replaces the
    first shared string (an entity reference); `bad_index` makes one cell point past the
    end of the shared-string table.
    """
    strings: list[str] = []
    cells_xml = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            try:
                float(value)
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            except ValueError:
                strings.append(value)
                index = len(strings) - 1
                if bad_index and r == 3 and c == 0:
                    index = 999
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        cells_xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet = f'<worksheet xmlns="{NS}"><sheetData>{"".join(cells_xml)}</sheetData></worksheet>'
    items = "".join(f"<si><t>{s}</t></si>" for s in [entity or strings[0], *strings[1:]])
    sst = f'{sst_prefix}<sst xmlns="{NS}" count="{len(strings)}">{items}</sst>'
    base = workbook_bytes([["x"]])
    types = member(base, "[Content_Types].xml").replace(
        "</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>',
    )
    return patch_zip(
        base,
        {
            SHEET: sheet.encode(),
            "xl/sharedStrings.xml": sst.encode(),
            "[Content_Types].xml": types.encode(),
        },
    )


XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def sheet_with_prefix(rows: list[list[object]], prefix: str, *, entity: str) -> bytes:
    """A workbook whose sheet XML starts with `prefix` and whose B2 text is `entity`."""
    base = workbook_bytes(rows)
    xml = member(base, SHEET)
    xml = xml.replace(
        '<c r="F2" t="inlineStr"><is><t>', f'<c r="F2" t="inlineStr"><is><t>{entity}', 1
    )
    return patch_zip(base, {SHEET: (prefix + xml).encode()})


# ----------------------------------------------------------------------------- cases


def cases(folder: Path, rng: random.Random) -> list[Case]:
    """Write the text-table corpus under `folder` and return its cases."""
    out: list[Case] = []

    def add(name: str, content: bytes, suffix: str = ".csv", **expect: object) -> Path:
        path = folder / f"{name}{suffix}"
        path.write_bytes(content)
        kind = "error" if "error_contains" in expect or expect.pop("error", False) else "rows"
        out.append(Case(name=f"text:{name}", path=path, layer="incidents", expect=kind, **expect))  # type: ignore[arg-type]
        return path

    rows = incident_rows(rng, 8)
    text = csv_text(rows)
    texts = [r[5] for r in rows]

    # -- encodings
    add("utf8", text.encode(), n_good=8, n_rejected=0, check=descriptions(texts))
    add("utf8_bom", codecs.BOM_UTF8 + text.encode(), n_good=8, check=descriptions(texts))
    add("gbk", text.encode("gbk"), n_good=8, check=descriptions(texts))
    rare = [[*r[:5], f"{r[5]}𠀀㐀"] for r in rows]  # GB18030 four-byte characters
    add(
        "gb18030_four_byte",
        csv_text(rare).encode("gb18030"),
        n_good=8,
        check=descriptions([r[5] for r in rare]),
    )
    add(
        "utf16_bom_tabs",
        csv_text(rows, sep="\t").encode("utf-16"),
        suffix=".txt",
        n_good=8,
        check=descriptions(texts),
    )
    add("utf16le_no_bom", text.encode("utf-16-le"), n_good=8, check=descriptions(texts))
    add(
        "utf16be_no_bom",
        csv_text(rows, sep="\t").encode("utf-16-be"),
        suffix=".tsv",
        n_good=8,
        check=descriptions(texts),
    )
    add("utf8_bom_only", codecs.BOM_UTF8, error_contains="no rows")
    add("utf16_bom_only", codecs.BOM_UTF16_LE, error_contains="no rows")
    add("zero_bytes", b"", error_contains="empty")
    add("whitespace_only", b" \n\n\t\r\n  \n", error_contains="no rows")
    add(
        "utf8_cut_mid_character",
        text.encode()[:-1] + "号".encode()[:2],
        error_contains="not valid utf-8",
    )
    gbk = text.encode("gbk")
    lone_lead = gbk.replace("第3条".encode("gbk"), b"\x81,", 1)  # a GBK lead byte then a comma
    add("gbk_lone_lead_byte", lone_lead, error=True)
    latin = [[*r[:4], "theft", f"Töölö {r[0]}"] for r in rows]
    western = csv_text(latin, header=["id", "lon", "lat", "time", "category", "description"])
    add("cp1252", western.encode("cp1252"), n_good=8, check=warned("encoding_cp1252"))
    mixed_lines = text.split("\n")
    mixed = b"\n".join(
        line.encode("utf-8" if i in (0, 3, 6) else "gbk") for i, line in enumerate(mixed_lines)
    )
    add(
        "mixed_utf8_gbk_rows",
        mixed,
        n_good=8,
        check=both(descriptions(texts), warned("encoding_mixed_lines", "1, 4, 7")),
    )
    add(
        "utf8_header_gbk_rows",
        csv_text([]).encode() + "\n".join(",".join(r) for r in rows).encode("gbk"),
        n_good=8,
        check=both(descriptions(texts), warned("encoding_mixed_lines")),
    )
    emoji = [[*r[:5], f"{r[5]}🚓"] for r in rows]
    add("utf8_emoji", csv_text(emoji).encode(), n_good=8, check=descriptions([r[5] for r in emoji]))
    second_bom = csv_text(rows[:4]).encode("utf-8-sig") + csv_text(rows[4:]).encode("utf-8-sig")
    add("concatenated_with_second_header", second_bom, n_good=8, n_rejected=1)

    # -- line ends and quotes
    add("cr_only", text.replace("\n", "\r").encode(), n_good=8, check=descriptions(texts))
    add("cr_only_gbk", text.replace("\n", "\r").encode("gbk"), n_good=8, check=descriptions(texts))
    add("crlf", text.replace("\n", "\r\n").encode(), n_good=8, check=descriptions(texts))
    quoted_cr = [[*r[:5], f'"{r[5]}\r第二行"'] for r in rows]
    add("cr_inside_quoted_cells", csv_text(quoted_cr).replace("\n", "\r\n").encode(), n_good=8)
    add("cr_only_with_quoted_cr", csv_text(quoted_cr).replace("\n", "\r").encode(), n_good=8)
    add(
        "mixed_line_ends",
        "".join(
            line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(text.splitlines())
        ).encode(),
        n_good=8,
        check=descriptions(texts),
    )
    quoted_nl = [[*r[:5], f'"{r[5]}\n第二行, 有逗号"'] for r in rows]
    add(
        "quoted_newlines",
        csv_text(quoted_nl).encode(),
        n_good=8,
        check=descriptions([f"{r[5]}\n第二行, 有逗号" for r in rows]),
    )
    unclosed = [list(r) for r in incident_rows(rng, 30)]
    unclosed[3][5] = '"没有结束的引号'
    add("unclosed_quote_mid_file", csv_text(unclosed).encode(), error_contains="line 5")
    unclosed_late = [list(r) for r in incident_rows(rng, 30)]
    unclosed_late[10][5] = '"没有结束的引号'
    unclosed_late[25][5] = '"后面的引号"'
    add(
        "unclosed_quote_closed_by_a_later_quote",
        csv_text(unclosed_late).encode(),
        error_contains="line 12",
    )
    last = [list(r) for r in rows]
    last[-1][5] = '"最后一行的引号'  # runs to the end of the file: nothing swallowed
    add("unclosed_quote_on_last_row", csv_text(last).encode(), n_good=8, n_rejected=0)
    stray = [list(r) for r in rows]
    stray[2][5] = '他说"快来"了'  # a quote inside an unquoted value: kept as written
    add("stray_quote_inside_value", csv_text(stray).encode(), n_good=8)

    # -- NUL bytes, binary junk and disguised files
    nul = text.replace("第2条", "第2\x00条").replace("第5条", "\x00第5条")
    add(
        "nul_in_cells",
        nul.encode(),
        n_good=8,
        check=both(descriptions(texts), warned("csv_nul_removed", "3", "6")),
    )
    add("binary_junk", rng.randbytes(4096), error_contains="binary")
    add("binary_junk_small", b"\x00\x01\x02\x03\xff\xfe\x00", error=True)
    add("png_named_csv", b"\x89PNG\r\n\x1a\n" + rng.randbytes(200), error_contains="PNG")
    add("pdf_named_csv", b"%PDF-1.4\n" + rng.randbytes(200), error_contains="PDF")
    add("sqlite_named_csv", b"SQLite format 3\x00" + bytes(200), error_contains="SQLite")
    add("xlsx_named_csv", workbook_bytes([HEADER, *rows]), error_contains="Excel workbook")
    add("control_characters_in_cells", text.replace("第1条", "第1\x1b[31m条").encode(), n_good=8)

    # -- shape of the table
    add("header_only", csv_text([]).encode(), error_contains="no rows")
    add("one_row", csv_text(rows[:1]).encode(), n_good=1, n_rejected=0)
    add("one_row_no_newline", csv_text(rows[:1]).rstrip("\n").encode(), n_good=1)
    ragged = [list(r) for r in rows]
    ragged[1] = ragged[1][:4]
    ragged[5] = [*ragged[5], "多余", "更多"]
    add("ragged_rows", csv_text(ragged).encode(), n_good=6, n_rejected=2)
    add("semicolons", csv_text(rows, sep=";").encode(), n_good=8, check=descriptions(texts))
    add("tabs", csv_text(rows, sep="\t").encode(), suffix=".tsv", n_good=8)
    add("pipes", csv_text(rows, sep="|").encode(), suffix=".txt", n_good=8)
    title = "某某街道2023年5月警情统计表\n制表单位：某某派出所,,,\n" + text
    add("title_rows_above_header", title.encode("gbk"), n_good=8, check=descriptions(texts))
    add("blank_lines_between_rows", text.replace("\n", "\n\n").encode(), n_good=8)
    garbage = [list(r) for r in rows]
    garbage[0][1] = "116.3abc"
    garbage[1][2] = "北纬"
    garbage[2][1] = "1e999"
    garbage[3][1] = "NaN"
    add("coordinates_with_garbage", csv_text(garbage).encode(), n_good=4, n_rejected=4)
    add("single_column", "\n".join(["编号", "JQ1", "JQ2"]).encode(), error_contains="column")
    add("only_delimiters", b",,,,,\n,,,,,\n,,,,,\n", error=True)
    wide = ",".join(f"c{i}" for i in range(100_000))
    add("hundred_thousand_columns", (wide + "\n" + wide + "\n").encode(), error_contains="columns")
    add(
        "thousand_and_one_columns",
        csv_text(rows[:2], header=HEADER + [f"备注{i}" for i in range(995)]).encode(),
        error_contains="1,001 columns",
    )
    add(
        "thousand_columns",
        csv_text(
            [r + [""] * 994 for r in rows[:2]], header=HEADER + [f"备注{i}" for i in range(994)]
        ).encode(),
        n_good=2,
    )
    big = [list(r) for r in rows]
    big[4][5] = "长" * 400_000  # a 1.2 MB cell
    add(
        "huge_cell",
        csv_text(big).encode(),
        n_good=8,
        check=lambda r: _check(len(r.data["description"][4]) == 400_000, "huge cell cut"),
    )
    add(
        "duplicate_header_names",
        (REALWORLD / "duplicate_header_names.csv").read_bytes(),
        n_good=2,
        n_rejected=0,
        check=remarks_kept,
    )
    add(
        "repeated_header_names_and_blanks",
        csv_text(
            [[*r, "a", "b", "c"] for r in rows[:3]], header=[*HEADER, "备注", "", "备注"]
        ).encode(),
        n_good=3,
    )
    dup_ids = [list(r) for r in rows]
    dup_ids[3][0] = dup_ids[2][0]
    add("duplicate_ids", csv_text(dup_ids).encode(), n_good=7, n_rejected=1)
    formulas = [list(r) for r in rows]
    formulas[0][5] = "=cmd|' /C calc'!A0"
    add(
        "formula_text_kept",
        csv_text(formulas).encode(),
        n_good=8,
        check=lambda r: _check(r.data["description"][0] == "=cmd|' /C calc'!A0", "formula"),
    )
    add("html_in_cells", text.replace("第1条", "<script>alert(1)</script>").encode(), n_good=8)
    spaces = [[f"  {c}  " for c in r] for r in rows]
    add("cells_padded_with_spaces", csv_text(spaces).encode(), n_good=8)

    # -- Excel workbooks
    sheet_rows: list[list[object]] = [HEADER, *rows]
    add("xlsx", workbook_bytes(sheet_rows), ".xlsx", n_good=8, check=descriptions(texts))
    add(
        "png_named_xlsx",
        b"\x89PNG\r\n\x1a\n" + rng.randbytes(300),
        ".xlsx",
        error_contains="not a valid Excel",
    )
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr(zipfile.ZipInfo("readme.txt", (2026, 1, 1, 0, 0, 0)), "not a workbook")
    add("zip_not_xlsx", plain_zip.getvalue(), ".xlsx", error_contains="not a valid Excel")
    whole = workbook_bytes(sheet_rows)
    add("xlsx_truncated", whole[: len(whole) // 2], ".xlsx", error_contains="not a valid Excel")
    add(
        "xlsx_sheet_part_missing",
        patch_zip(whole, {SHEET: None}),
        ".xlsx",
        error_contains="not a valid Excel",
    )
    add(
        "xlsx_sheet_name_missing",
        whole,
        ".xlsx",
        options={"sheet": "二月"},
        error_contains="not in the workbook",
    )
    add(
        "xlsx_xxe_in_sheet",
        sheet_with_prefix(sheet_rows, XXE, entity="&e;"),
        ".xlsx",
        error_contains="declares entities",
    )
    add(
        "xlsx_xxe_in_shared_strings",
        with_shared_strings([HEADER, *rows], sst_prefix=XXE, entity="&e;"),
        ".xlsx",
        error_contains="declares entities",
    )
    add(
        "xlsx_billion_laughs",
        sheet_with_prefix(sheet_rows, LAUGHS, entity="&lol9;"),
        ".xlsx",
        error_contains="declares entities",
    )
    add(
        "xlsx_billion_laughs_shared_strings",
        with_shared_strings([HEADER, *rows], sst_prefix=LAUGHS, entity="&lol9;"),
        ".xlsx",
        error_contains="declares entities",
    )
    broken = member(whole, SHEET)
    add(
        "xlsx_broken_sheet_xml",
        patch_zip(whole, {SHEET: broken[: len(broken) // 2].encode()}),
        ".xlsx",
        error_contains="not a valid Excel",
    )
    add(
        "xlsx_sheet_not_xml",
        patch_zip(whole, {SHEET: rng.randbytes(500)}),
        ".xlsx",
        error_contains="not a valid Excel",
    )
    add(
        "xlsx_shared_strings",
        with_shared_strings([HEADER, *rows]),
        ".xlsx",
        n_good=8,
        check=descriptions(texts),
    )
    add(
        "xlsx_bad_shared_string_index",
        with_shared_strings([HEADER, *rows], bad_index=True),
        ".xlsx",
        error_contains="not a valid Excel",
    )
    many = [HEADER, *incident_rows(rng, 99, start=100)]
    small_dim = member(workbook_bytes(many), SHEET).replace('ref="A1:F100"', 'ref="A1:C5"')
    add(
        "xlsx_dimension_smaller_than_data",
        patch_zip(workbook_bytes(many), {SHEET: small_dim.encode()}),
        ".xlsx",
        n_good=99,
        check=lambda r: _check(r.data["description"].notna().all(), "columns past C lost"),
    )
    # A workbook is a zip: a sheet of 8 MB deflated to ~8 KB, read with a 1 MB limit, is
    # refused before openpyxl inflates it (300 KB once took 1.3 GB of memory).
    inflating = member(whole, SHEET).replace(
        "</sheetData>",
        '<row r="20"><c r="F20" t="inlineStr"><is><t>' + "A" * (8 << 20) + "</t></is></c></row>"
        "</sheetData>",
    )
    add(
        "xlsx_inflates_past_the_limit",
        patch_zip(whole, {SHEET: inflating.encode()}),
        ".xlsx",
        options={"max_bytes": 1 << 20},
        error_contains="unpacks to more than the limit",
    )
    huge_dim = member(whole, SHEET).replace('ref="A1:F9"', 'ref="A1:XFD1048576"')
    add(
        "xlsx_dimension_whole_sheet",
        patch_zip(whole, {SHEET: huge_dim.encode()}),
        ".xlsx",
        n_good=8,
    )
    book = openpyxl.Workbook()
    sheet = book.active
    for row in sheet_rows:
        sheet.append(row)
    sheet["F2"] = '=CONCATENATE("第","1条")'  # no cached value: openpyxl does not compute
    sheet.merge_cells("E2:E3")  # clears E3, as Excel does: that row has no category
    sheet.insert_rows(1, 2)
    sheet["A1"] = "2023年5月警情"
    sheet.row_dimensions[1].hidden = True
    add(
        "xlsx_formula_merged_hidden_title",
        saved(book),
        ".xlsx",
        n_good=7,
        n_rejected=1,
        check=lambda r: _check(pd.isna(r.data["description"][0]), "formula without value"),
    )
    cached = member(whole, SHEET).replace(
        '<c r="F2" t="inlineStr"><is><t>第1条</t></is></c>',
        '<c r="F2" t="str"><f>CONCATENATE("第","1条")</f><v>第1条</v></c>',
    )
    add(
        "xlsx_formula_with_cached_value",
        patch_zip(whole, {SHEET: cached.encode()}),
        ".xlsx",
        n_good=8,
        check=descriptions(texts),
    )
    add("xlsx_header_only", workbook_bytes([HEADER]), ".xlsx", error_contains="no rows")
    add("xlsx_empty_sheet", workbook_bytes([]), ".xlsx", error_contains="no rows")
    add(
        "xlsx_thousand_and_one_columns",
        workbook_bytes([HEADER + [f"备注{i}" for i in range(995)], rows[0]]),
        ".xlsx",
        error_contains="1,001 columns",
    )
    add(
        "xlsx_duplicate_header_names",
        workbook_bytes([[*HEADER, "备注", "备注.1", "备注"], [*rows[0], "一", "二", "三"]]),
        ".xlsx",
        n_good=1,
        check=remarks_kept,
    )
    error_cells = re.sub(
        r'<c r="B2"[^>]*>.*?</c>', '<c r="B2" t="e"><v>#N/A</v></c>', member(whole, SHEET)
    )
    add(
        "xlsx_error_cell",
        patch_zip(whole, {SHEET: error_cells.encode()}),
        ".xlsx",
        n_good=7,
        n_rejected=1,
    )
    numbers_as_text = [
        HEADER,
        *([*r[:1], f"{r[1]}°", "约" + r[2], *r[3:]] for r in rows[:3]),
        *rows[3:],
    ]
    add(
        "xlsx_coordinates_with_garbage",
        workbook_bytes(numbers_as_text),
        ".xlsx",
        n_good=5,
        n_rejected=3,
    )
    two = openpyxl.Workbook()
    two.active.append(["说明"])
    second = two.create_sheet("数据")
    for row in sheet_rows:
        second.append(row)
    add("xlsx_second_sheet_by_name", saved(two), ".xlsx", options={"sheet": "数据"}, n_good=8)
    add("xlsx_first_sheet_has_no_table", saved(two), ".xlsx", error_contains="no rows")
    return out


def _check(ok: object, what: str) -> None:
    assert ok, what


def remarks_kept(result: object) -> None:
    """The three 备注 columns survive under three distinct names, values in order."""
    assert isinstance(result, ImportResult)
    remarks = [c for c in result.data.columns if str(c).startswith("备注")]
    assert len(remarks) == 3, remarks
    assert len(set(remarks)) == 3, remarks
    first = [result.data[c].iloc[0] for c in remarks]
    assert first in (["第一条", "第二条", "第三条"], ["一", "二", "三"]), first
