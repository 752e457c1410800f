"""Text tables as users save them: encodings, delimiters and title rows above the header.

Chinese office software writes CSV files in GBK as often as in UTF-8 (with or without a
byte-order mark), and users put title rows above the header of their CSV files and Excel
sheets alike. All of that is settled here, so that both table types reach
:mod:`gridmap.io` as the same :class:`_Source`: raw values plus the row number the user
sees for each row, which every rejection report quotes.

CSV is the hot path (a million-row police-call export), so the file is memory-mapped,
re-encoded only when it is not UTF-8 already and parsed by pyarrow without a copy; exact
row numbers are recounted with numpy only when blank or malformed lines make the line
count differ from the row count.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import mmap
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyproj

from gridmap._errors import GridmapError, ImportFileError, ValidationError
from gridmap.i18n import Message
from gridmap.io._archive import open_zip
from gridmap.io._columns import dedupe_names as _dedupe_names
from gridmap.io._header import find_header
from gridmap.io._text_faults import (
    MAX_COLUMNS,
    check_header_width,
    decode_mixed,
    each_line_decodes,
    find_unclosed_quote,
    looks_binary,
    normalise_line_ends,
    remove_nul,
    unclosed_quote_error,
    utf16_without_bom,
    xlsx_error,
)

#: Raw file contents: bytes, or a read-only memory map of the file.
Buffer: TypeAlias = bytes | mmap.mmap
_SAMPLE_BYTES = 1 << 20
_NOT_SPACE = re.compile(rb"\S")
_HEADER_SCAN_ROWS = 20
#: Leading bytes of files users mistake for CSV, with the message key naming what they are.
_MAGIC = {
    b"PK\x03\x04": "file_looks_like_zip",  # an Excel workbook or zip archive
    b"\xd0\xcf\x11\xe0": "file_looks_like_xls",  # old Excel .xls or Word .doc
    b"%PDF": "file_looks_like_pdf",
    b"SQLite format 3\x00": "file_looks_like_sqlite",  # also a GeoPackage
    b"\x89PNG": "file_looks_like_png",
    b"\xff\xd8\xff": "file_looks_like_jpeg",
}


@dataclass
class _Source:
    """A file as read, before any checking: raw values and where each row came from."""

    frame: pd.DataFrame
    rows: np.ndarray
    encoding: str | None = None
    geometry: np.ndarray | None = None
    crs: pyproj.CRS | None = None
    malformed: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)  # Message objects, for users


# --------------------------------------------------------------------------- encodings


def detect_encoding(raw: bytes | mmap.mmap) -> str:
    """Detect the text encoding of `raw` bytes from a user's file.

    Only the encodings gridmap's users' files come in are considered: byte-order marks
    (UTF-8, UTF-16) decide first; then strict UTF-8; then GBK/GB18030, which Excel in China
    writes; and cp1252 as the Western fallback. Bytes that are valid GBK and cp1252 alike
    are told apart by :data:`GB2312_SHARE`. `raw` may be a leading sample of a file: a
    character cut at its end is ignored.

    >>> detect_encoding("经度,纬度".encode("gbk")), detect_encoding("经度".encode())
    ('gbk', 'utf-8')
    >>> detect_encoding("Hämeentie, Töölö".encode("cp1252"))
    'cp1252'

    Raises
    ------
    ImportFileError
        when none of those encodings decodes the bytes as text.
    """
    return _guess_encoding(raw)[0]


#: Share of multi-byte characters that must lie in GB2312's block (both bytes 0xA1–0xFE)
#: or be GB18030 four-byte sequences for bytes valid in GBK to be read as GBK. Chinese
#: text is nearly all GB2312 (its 6,763 characters cover everyday writing); Western cp1252
#: text read as GBK pairs an accented letter with the ASCII letter after it ("ä" + "m" =
#: 0xE4 0x6D), outside that block; only doubled accents ("ää", "öö") fall inside.
GB2312_SHARE = 0.8
#: Above this share the choice of GBK is certain enough to need no warning.
_GB2312_CERTAIN = 0.9
_SCORE_BYTES = 1 << 16
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_GBK_CHARACTER = re.compile(
    rb"([\xa1-\xfe][\xa1-\xfe]|[\x81-\xfe][\x30-\x39][\x81-\xfe][\x30-\x39])|[\x81-\xfe][\x40-\xfe]"
)


def _decodes(raw: Buffer, codec: str) -> bool:
    try:
        codecs.getincrementaldecoder(codec)().decode(raw, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _gb2312_share(raw: Buffer) -> float:
    """Share of the multi-byte characters in a window of `raw` that GB2312 holds."""
    first = _HIGH_BYTE.search(raw)
    if first is None:
        return 1.0
    window = bytes(raw[first.start() : first.start() + _SCORE_BYTES])  # from a lead byte
    found = _GBK_CHARACTER.findall(window)
    return sum(1 for common in found if common) / len(found) if found else 0.0


def _guess_encoding(raw: Buffer) -> tuple[str, Message | None]:
    """The encoding of `raw` and, when the guess is not certain, a note saying so."""
    head = bytes(raw[:4])
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    utf16 = utf16_without_bom(bytes(raw[:4096]))
    if utf16:
        return utf16, Message("encoding_utf16_no_bom", encoding=utf16)
    if _decodes(raw, "utf-8"):
        return "utf-8", None
    western = _decodes(raw, "cp1252")
    chinese = next((c for c in ("gbk", "gb18030") if _decodes(raw, c)), None)
    share = _gb2312_share(raw) if chinese else 0.0
    if chinese and (share >= GB2312_SHARE or not western):
        if share >= _GB2312_CERTAIN or not western:
            return chinese, None
        return chinese, Message("encoding_uncertain", encoding=chinese, share=share)
    if western:
        key = "encoding_cp1252_not_chinese" if chinese else "encoding_cp1252"
        return "cp1252", Message(key)
    if each_line_decodes(raw, "gb18030"):  # GBK and UTF-8 lines: decoded line by line
        return "gbk", None
    raise ImportFileError(Message("encoding_unknown"))


def _check_text(head: bytes, name: str) -> None:
    for magic, key in _MAGIC.items():
        if head.startswith(magic):
            raise ImportFileError(Message(key, name=name))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or utf16_without_bom(head):
        return
    if looks_binary(head):
        raise ImportFileError(Message("file_binary", name=name))


def _to_utf8(raw: Buffer, encoding: str, name: str) -> tuple[Buffer, int, Message | None]:
    """UTF-8 bytes of `raw`, where the text starts (after a byte-order mark) and a note."""
    if encoding in ("utf-8", "ascii"):
        return raw, 0, None
    if encoding == "utf-8-sig":
        return raw, len(codecs.BOM_UTF8) if raw[:3] == codecs.BOM_UTF8 else 0, None
    codec = "gb18030" if encoding == "gbk" else encoding  # GB18030 is GBK's superset
    if codec in ("gb18030", "gb2312"):
        mixed = decode_mixed(raw, codec, encoding, name)
        if mixed is not None:
            return mixed[0], 0, mixed[1]
    try:
        return str(raw, codec).encode("utf-8"), 0, None
    except UnicodeDecodeError as exc:
        msg = Message(
            "file_not_in_encoding",
            name=name,
            encoding=encoding,
            byte=f"{raw[exc.start]:#04x}",
            position=exc.start,
        )
        raise ImportFileError(msg) from None


def _codec_name(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValidationError(Message("unknown_encoding", encoding=repr(encoding))) from None
    return {"utf-8": "utf-8", "gb2312": "gbk", "cp936": "gbk"}.get(name, name)


# ------------------------------------------------------------------------------ tables


def _head_lines(data: Buffer, start: int) -> tuple[list[str], bool]:
    """The first lines of the text, and whether the only line was cut by the sample."""
    head = data[start : start + 256 * 1024]
    lines = bytes(head).decode("utf-8", errors="replace").split("\n")
    cut = False
    if start + len(head) < len(data):
        cut = len(lines) == 1
        lines = lines if cut else lines[:-1]  # the sample cut the last line
    return [line.rstrip("\r") for line in lines[: _HEADER_SCAN_ROWS + 5]], cut


def _parse_lines(lines: list[str], delimiter: str) -> list[list[str]]:
    """`lines` split into cells; a line the csv module refuses is split at the delimiter."""
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:  # a cell over the csv module's 128 KB limit, a stray CR
        rows = []
        for line in lines:
            try:
                rows += list(csv.reader([line], delimiter=delimiter))
            except csv.Error:
                rows.append(line.split(delimiter))
        return rows


def _sniff(lines: list[str], roles: Sequence[str]) -> tuple[str, int, list[str]]:
    """Delimiter, index of the header's last line and its cells."""
    best: tuple[int, str] = (0, ",")
    for delimiter in (",", "\t", ";", "|"):
        counts = [len(r) for r in _parse_lines(lines, delimiter) if len(r) > 1]
        if counts:
            common = max(set(counts), key=counts.count)
            if counts.count(common) * common > best[0]:
                best = (counts.count(common) * common, delimiter)
    delimiter = best[1]
    parsed = _parse_lines(lines, delimiter)
    start = next((i for i, r in enumerate(parsed) if any(c.strip() for c in r)), None)
    if start is None:
        return delimiter, 0, []
    _, last, header = find_header(parsed, roles, start)  # a two-row header is joined
    return delimiter, last, [str(c) for c in header]


def _read_csv(
    raw: Buffer,
    name: str,
    *,
    encoding: str | None,
    roles: Sequence[str],
    numeric: Iterable[str] | Callable[[list[str]], Iterable[str]] = (),
    nrows: int | None = None,
) -> _Source:
    """Parse CSV bytes with pyarrow; every column a string except the `numeric` ones."""
    _check_text(raw[:65536], name)
    note = None
    if encoding:
        chosen = _codec_name(encoding)
    else:
        chosen, note = _guess_encoding(raw[:_SAMPLE_BYTES])
    data, offset, mixed = _to_utf8(raw, chosen, name)
    data = normalise_line_ends(data, offset)
    data, nul = remove_nul(data, offset)
    extra = [n for n in (mixed, nul) if n is not None]
    lines, cut = _head_lines(data, offset)
    delimiter, header_index, header = _sniff(lines, roles)
    check_header_width(header, name, cut=cut)
    names = _dedupe_names(header)
    for _ in range(header_index + 1):
        found = data.find(b"\n", offset)
        offset = len(data) if found < 0 else found + 1
    if nrows is not None:
        data = data[:offset] + b"\n".join(data[offset:].split(b"\n", nrows)[:nrows])  # type: ignore[operator]
    if not names or _NOT_SPACE.search(data, offset) is None:
        raise ImportFileError(Message("file_no_rows", name=name))
    quoted = data.find(b'"', offset) >= 0
    wanted = numeric(names) if callable(numeric) else numeric
    table, malformed, error = _arrow_csv(data, offset, names, delimiter, wanted, quoted=quoted)
    if table is None:
        if "UTF8" in error.upper() and chosen in ("utf-8", "utf-8-sig"):
            if encoding is None:  # the sample was UTF-8, the rest of the file is not
                full, note = _guess_encoding(raw)
                source = _read_csv(
                    raw, name, encoding=full, roles=roles, numeric=numeric, nrows=nrows
                )
                source.notes += [note] if note else []
                return source
            raise ImportFileError(Message("file_not_valid_text", name=name, encoding=chosen))
        raise ImportFileError(Message("csv_unreadable", name=name, detail=error))
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    rows = np.arange(len(frame), dtype=np.int64) + header_index + 2
    source = _Source(frame, rows, encoding=chosen, notes=([note] if note else []) + extra)
    # One line per record unless blank lines, malformed rows or quoted line breaks.
    lines = _count_newlines(data, offset) + (data[-1:] != b"\n")
    if quoted and lines != len(frame) + len(malformed):
        opened = find_unclosed_quote(frame, malformed, delimiter, len(names))
        if opened is not None:
            raise unclosed_quote_error(data, offset, opened, name)
    if malformed or lines != len(frame):
        _renumber(source, data, offset, delimiter, len(names), header_index + 1, malformed)
    if len(frame) == 0 and not malformed:
        raise ImportFileError(Message("file_no_rows", name=name))
    if len(frame) == 0:
        raise ImportFileError(Message("no_row_fits_header", name=name, n=len(names)))
    return source


def _count_newlines(data: Buffer, offset: int, *, chunk: int = 1 << 24) -> int:
    arr = np.frombuffer(data, dtype=np.uint8, offset=offset)
    return sum(int(np.count_nonzero(arr[i : i + chunk] == 10)) for i in range(0, len(arr), chunk))


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap]:
    """The file memory-mapped read-only: parsed in place, without a copy in memory.

    pyarrow's read-ahead threads can still hold a view of the map for a moment after
    :func:`pyarrow.csv.read_csv` returns; the map is then closed when they let it go.
    """
    with path.open("rb") as handle:
        m = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        yield m
    finally:
        with contextlib.suppress(BufferError):
            m.close()


def _arrow_csv(
    data: Buffer,
    offset: int,
    names: list[str],
    delimiter: str,
    numeric: Iterable[str],
    *,
    quoted: bool,
) -> tuple[pa.Table | None, list[tuple[str, int]], str]:
    """The parsed table (None on error), malformed rows skipped and the error text."""
    malformed: list[tuple[str, int]] = []

    def skip(row: pa_csv.InvalidRow) -> str:
        malformed.append((row.text, row.actual_columns))
        return "skip"

    numeric = set(numeric)
    body = pa.py_buffer(data)[offset:]  # zero-copy, also over a memory-mapped file
    try:
        table = pa_csv.read_csv(
            body,
            read_options=pa_csv.ReadOptions(column_names=names, block_size=16 << 20),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=quoted, invalid_row_handler=skip
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in names if c not in numeric},
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        # Only the text leaves: a live exception would pin `body`, and a memory map
        # cannot close while a buffer over it exists.
        return None, malformed, str(exc)
    finally:
        del body
    return table, malformed, ""


def _renumber(
    source: _Source,
    data: Buffer,
    offset: int,
    delimiter: str,
    n_columns: int,
    lines_before: int,
    malformed: list[tuple[str, int]],
) -> None:
    """Exact row numbers when blank or malformed lines were skipped (no quoted newlines)."""
    numbers = None
    if data.find(b'"', offset) < 0:
        arr = np.frombuffer(data, dtype=np.uint8, offset=offset)
        breaks = np.flatnonzero(arr == 10)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [len(arr)]))
        length = ends - starts
        length -= (length > 0) & (arr[np.maximum(ends - 1, 0)] == 13) if len(arr) else 0
        sep = np.concatenate(([0], np.cumsum(arr == ord(delimiter))))
        fields = sep[ends] - sep[starts] + 1
        line_no = np.arange(len(starts)) + lines_before + 1
        good = (length > 0) & (fields == n_columns)
        bad = (length > 0) & (fields != n_columns)
        if good.sum() == len(source.frame) and bad.sum() == len(malformed):
            source.rows = line_no[good]
            numbers = line_no[bad]
    if malformed:
        texts, counts = zip(*malformed, strict=True)
        source.malformed = pd.DataFrame(
            {
                "row": pd.array(numbers if numbers is not None else [None] * len(texts), "Int64"),
                "reason": "malformed_row",
                "message": pd.Series(
                    [Message("row_malformed", n=c, columns=n_columns) for c in counts],
                    dtype=object,
                ),
                "line": list(texts),
            }
        )


def check_workbook(path: Path, max_bytes: int) -> None:
    """Refuse a workbook that unpacks to more than `max_bytes`, before openpyxl opens it.

    A workbook is a zip, and openpyxl inflates its parts whole (the shared strings, a
    cell's text): a 300 KB upload unpacking to 300 MB took 1.3 GB of the server's memory.
    The zip checks of GIS uploads apply (:func:`gridmap.io._archive.open_zip`: at most
    1,000 members, no names leaving the folder, declared sizes within the limit); the
    declared sizes bound what Python's :mod:`zipfile` will inflate for openpyxl.
    """
    try:
        archive, _ = open_zip(path, max_bytes)
    except ImportFileError as exc:
        if getattr(exc.args[0], "key", None) == "zip_invalid":
            raise ImportFileError(Message("xlsx_invalid", name=path.name)) from None
        raise
    archive.close()


def _read_xlsx(
    path: Path, *, sheet: str | int | None, roles: Sequence[str], max_bytes: int
) -> _Source:
    """Read a worksheet's rows; a broken or hostile workbook is a clear error.

    The sheet is read in openpyxl's read-only mode (streamed, for big sheets) with the
    size the file declares ignored: a wrong ``<dimension>`` (some exporters write
    ``A1:C5`` for any sheet) otherwise cuts the rows and columns past it without a word,
    and one declaring the whole sheet pads a million empty rows.
    """
    import openpyxl

    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            raise ImportFileError(Message("xlsx_invalid", name=path.name))
    check_workbook(path, max_bytes)
    try:
        values, numbers, chosen = _xlsx_rows(openpyxl, path, sheet)
    except GridmapError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        error = xlsx_error(exc, path.name)
        if error is None:
            raise
        raise error from None
    _, index, header = find_header(values, roles)  # index: the header's last row
    if len(values) <= index + 1:
        raise ImportFileError(Message("sheet_no_rows", name=path.name, sheet=chosen))
    width = max(len(header), *(len(r) for r in values[index:]))
    if width > MAX_COLUMNS:
        msg = Message("too_many_columns", name=path.name, n=f"{width:,}", limit=MAX_COLUMNS)
        raise ImportFileError(msg)
    names = _dedupe_names(tuple(header) + (None,) * (width - len(header)))
    body = [tuple(r) + (None,) * (width - len(r)) for r in values[index + 1 :]]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    for column in frame.columns:
        inferred = frame[column].infer_objects()
        if inferred.dtype != object:
            frame[column] = inferred
    return _Source(frame, np.asarray(numbers[index + 1 :], dtype=np.int64))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _xlsx_rows(openpyxl: object, path: Path, sheet: str | int | None) -> tuple[list, list, str]:
    """Non-blank rows (trailing blank cells dropped), their row numbers and the sheet name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl's style complaints
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)  # type: ignore[attr-defined]
    try:
        sheets = book.sheetnames
        if not sheets:
            raise ImportFileError(Message("xlsx_no_sheets", name=path.name))
        if sheet is None:
            chosen = sheets[0]
        elif isinstance(sheet, int) and 0 <= sheet < len(sheets):
            chosen = sheets[sheet]
        elif sheet in sheets:
            chosen = str(sheet)
        else:
            msg = Message("sheet_missing", sheet=repr(sheet), sheets=", ".join(sheets))
            raise ValidationError(msg)
        worksheet = book[chosen]
        if not hasattr(worksheet, "reset_dimensions"):  # a chart sheet: no cells
            raise ImportFileError(Message("sheet_no_rows", name=path.name, sheet=chosen))
        worksheet.reset_dimensions()
        values: list[tuple] = []
        numbers: list[int] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                end = len(row)
                while end and _blank(row[end - 1]):
                    end -= 1
                if end:
                    values.append(row[:end])
                    numbers.append(number)
    finally:
        book.close()
    return values, numbers, chosen
