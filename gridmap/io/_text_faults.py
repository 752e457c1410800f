"""Faults of text tables that would otherwise crash an import or garble it without a word.

Each function here turns one kind of broken file into either a clear
:class:`~gridmap._errors.ImportFileError` or a repaired text plus a
:class:`~gridmap.i18n.Message` for the import's warnings:

- UTF-16 text without a byte-order mark (every other byte a NUL) is recognised as text;
  a few NUL bytes in real text are removed and reported instead of refusing the file as
  binary (and instead of a cell cut at the NUL when it is stored);
- CR-only line ends (old Mac and some Excel exports) become LF, so the header and rows
  are found;
- a GBK file with some lines in UTF-8 (two exports pasted together) has each line decoded
  in its own encoding, with the lines named, instead of the UTF-8 lines becoming mojibake;
- a quotation mark that opens a value and never closes it, which makes the parser swallow
  every row after it into one cell, is reported with its line number;
- more columns than :data:`MAX_COLUMNS`, and workbooks whose XML is malformed or hostile
  (external entities, entity expansion), are refused with a message saying so.

All checks cost nothing on clean files beyond a byte search over the file: the million-row
CSV import is the hot path.
"""

from __future__ import annotations

import codecs
import mmap
import re
import zipfile
import zlib
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd

from gridmap._errors import ImportFileError
from gridmap.i18n import Message

#: Most columns a table may have. Real exports have tens of columns; a file with many
#: thousands is a transposed table or not a table at all, and reading it would build a
#: frame of that many Python objects per row before finding nothing usable.
MAX_COLUMNS = 1000
#: Lines listed in a warning; the count says how many there are in all.
_LISTED = 10
_CHUNK = 1 << 24
#: Bytes other than tab, LF, VT, FF and CR that text never holds.
_CONTROL = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x20))
#: UTF-8 continuation bytes 0x80–0xA0: half of those in UTF-8 Chinese text, but never
#: in GB2312 text (its bytes are 0xA1–0xFE), so a GBK file without them has no UTF-8 line.
_NOT_LOW_CONTINUATION = bytes(range(0x80)) + bytes(range(0xA1, 0x100))
_LOW_CONTINUATION = re.compile(rb"[\x80-\xa0]")


# --------------------------------------------------------------------------- bytes


def looks_binary(head: bytes) -> bool:
    """Whether a file's leading bytes are binary data rather than text.

    Text may carry a stray NUL or escape character (an export of a database field);
    binary data carries control bytes throughout (about one byte in nine of random
    data). More than 1 % of control bytes, and at least two, is binary.
    """
    control = len(head) - len(head.translate(None, _CONTROL))
    return control >= 2 and control * 100 > len(head)


def utf16_without_bom(head: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` when `head` is UTF-16 text without a byte-order mark.

    Tables are mostly digits, commas and Latin letters, so UTF-16 text has a NUL as every
    other byte, on one side only: the high byte of each character (odd positions in
    little-endian, even in big-endian). Chinese characters have no NUL byte, so the
    share is lower in Chinese text but still high in a table of coordinates.
    """
    sample = head[: 4096 - 4096 % 2] if len(head) >= 4096 else head[: len(head) - len(head) % 2]
    half = len(sample) // 2
    if half < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    for codec, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if high >= 0.2 * half and low <= 0.02 * half:
            try:
                codecs.getincrementaldecoder(codec)().decode(sample, final=False)
            except UnicodeDecodeError:
                return None
            return codec
    return None


def _line_numbers(data: bytes | mmap.mmap, positions: np.ndarray) -> np.ndarray:
    """1-based line numbers of byte `positions` (sorted) in `data`."""
    arr = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(arr == 10)
    return np.searchsorted(breaks, positions) + 1


def _listed(numbers: np.ndarray | list[int]) -> str:
    shown = ", ".join(str(int(n)) for n in numbers[:_LISTED])
    return shown + (" …" if len(numbers) > _LISTED else "")


def normalise_line_ends(data: bytes | mmap.mmap, offset: int) -> bytes | mmap.mmap:
    """`data` with CR-only line ends turned into LF (unchanged when it has none).

    Old Mac software and some Excel exports end lines with a bare CR; the header search
    and row numbering work on LF. A CR inside a quoted value becomes a LF too: both are
    a line break in the cell. Only the first megabyte is looked at, so a clean file pays
    one short search.
    """
    sample = bytes(data[offset : offset + (1 << 20)])
    if b"\r" not in sample or sample.count(b"\r") == sample.count(b"\r\n"):
        return data
    return re.sub(rb"\r\n?", b"\n", bytes(data))


def remove_nul(data: bytes | mmap.mmap, offset: int) -> tuple[bytes | mmap.mmap, Message | None]:
    """`data` without NUL bytes, and a note naming the lines they were on.

    A NUL is never meant as text: it is what a database export leaves of an empty field
    or a fixed-width padding. Kept, it would cut the cell short wherever it is stored (C
    strings end at a NUL), silently; so it is removed and the lines are reported.
    """
    if data.find(b"\x00", offset) < 0:
        return data, None
    arr = np.frombuffer(data, dtype=np.uint8)
    where = np.flatnonzero(arr == 0)
    lines = np.unique(_line_numbers(data, where))
    note = Message("csv_nul_removed", n=len(where), lines=_listed(lines), n_lines=len(lines))
    return bytes(data).replace(b"\x00", b""), note


# ---------------------------------------------------------------------- encodings


def _has_low_continuation(raw: bytes | mmap.mmap) -> bool:
    return any(
        raw[i : i + _CHUNK].translate(None, _NOT_LOW_CONTINUATION)  # type: ignore[union-attr]
        for i in range(0, len(raw), _CHUNK)
    )


def _some_line_is_utf8(raw: bytes | mmap.mmap) -> bool:
    """Whether a line with a byte 0x80–0xA0 is valid UTF-8 (checks only those lines)."""
    position = 0
    while (found := _LOW_CONTINUATION.search(raw, position)) is not None:
        start = raw.rfind(b"\n", 0, found.start()) + 1
        end = raw.find(b"\n", found.start())
        end = len(raw) if end < 0 else end
        try:
            bytes(raw[start:end]).decode("utf-8")
        except UnicodeDecodeError:
            position = end + 1
            continue
        return True
    return False


def decode_mixed(
    raw: bytes | mmap.mmap, codec: str, encoding: str, name: str
) -> tuple[bytes, Message] | None:
    """UTF-8 bytes of a `codec` (GBK) file some of whose lines are UTF-8, or None if none are.

    Files pasted together from two exports (a GBK one from Excel, a UTF-8 one from a web
    system) are valid in neither encoding as a whole, and read as GBK their UTF-8 lines
    turn into mojibake (and may swallow a delimiter). A line with Chinese text that is
    valid UTF-8 is almost never GBK, so each line is decoded in the encoding it is valid
    in, and the note names the lines of the smaller group.

    Clean GBK files pay one pass of :meth:`bytes.translate` per 16 MB: only files with
    bytes 0x80–0xA0 (UTF-8, or GBK's rarer characters) are looked at line by line.
    """
    if not _has_low_continuation(raw) or not _some_line_is_utf8(raw):
        return None
    out: list[bytes] = []
    utf8: list[int] = []
    other: list[int] = []
    start = 0
    for number, line in enumerate(bytes(raw).split(b"\n"), start=1):
        if line.isascii():
            out.append(line)
        else:
            try:
                line.decode("utf-8")
                out.append(line)
                utf8.append(number)
            except UnicodeDecodeError:
                try:
                    out.append(line.decode(codec).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    msg = Message(
                        "file_not_in_encoding",
                        name=name,
                        encoding=encoding,
                        byte=f"{line[exc.start]:#04x}",
                        position=start + exc.start,
                    )
                    raise ImportFileError(msg) from None
                other.append(number)
        start += len(line) + 1
    fewer, key = (utf8, "utf-8") if len(utf8) <= len(other) else (other, encoding)
    note = Message(
        "encoding_mixed_lines",
        lines=_listed(fewer),
        n=len(fewer),
        encoding=key,
        other="utf-8" if key != "utf-8" else encoding,
    )
    return b"\n".join(out), note


def each_line_decodes(raw: bytes | mmap.mmap, codec: str) -> bool:
    """Whether every line of `raw` (a leading sample) is valid UTF-8 or valid `codec`.

    Asked only when the sample is valid in no encoding as a whole: a GBK file with
    UTF-8 lines pasted in is still text, to be decoded line by line.
    """
    lines = bytes(raw).split(b"\n")
    for i, line in enumerate(lines):
        final = i < len(lines) - 1  # the sample may cut its last line
        for one in ("utf-8", codec):
            try:
                codecs.getincrementaldecoder(one)().decode(line, final=final)
                break
            except UnicodeDecodeError:
                continue
        else:
            return False
    return True


# ---------------------------------------------------------------------------- rows


def check_header_width(header: list[str], name: str, *, cut: bool) -> None:
    """Refuse a header of more than :data:`MAX_COLUMNS` columns, or one cut off unread.

    Without this a 100,000-column file was reported as having no rows: its header line
    is longer than the sample the header is searched in.
    """
    if len(header) > MAX_COLUMNS:
        n = f"{len(header):,}" if not cut else f"more than {len(header):,}"
        raise ImportFileError(Message("too_many_columns", name=name, n=n, limit=MAX_COLUMNS))
    if cut:
        raise ImportFileError(Message("csv_header_too_long", name=name))


def find_unclosed_quote(
    frame: pd.DataFrame, malformed: list[tuple[str, int]], delimiter: str, n_columns: int
) -> str | None:
    """The first line of a value that swallowed whole rows after an unclosed quote, or None.

    A value quoted on purpose may span lines, but its lines are not rows of the table: a
    line inside a value with as many delimiters as a row has means the quote that opened
    the value was never closed and the rows after it were read as its text. Only values
    with a line break are looked at (rare), and malformed rows' raw text likewise.
    """
    if n_columns < 2:
        return None

    def swallowed(text: str) -> bool:
        return any(line.count(delimiter) >= n_columns - 1 for line in text.split("\n")[1:])

    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_string_dtype(values.dtype):
            continue
        broken = values[values.str.contains("\n", regex=False, na=False)]
        for text in broken:
            if swallowed(text):
                return str(text).split("\n", 1)[0]
    for text, _ in malformed:
        if "\n" in text and swallowed(text):
            cells = text.split("\n", 1)[0].split(delimiter)
            opened = next((c for c in cells if c.startswith('"')), cells[-1])
            return opened.lstrip('"')
    return None


def unclosed_quote_error(
    data: bytes | mmap.mmap, offset: int, first_line: str, name: str
) -> ImportFileError:
    """The error naming the line where the value `first_line` opens its quote."""
    position = data.find(b'"' + first_line.encode("utf-8"), offset)
    position = offset if position < 0 else position
    line = int(_line_numbers(data, np.asarray([position]))[0])
    return ImportFileError(Message("csv_unclosed_quote", name=name, line=line))


# ---------------------------------------------------------------------------- Excel


def _xlsx_faults() -> tuple[type[BaseException], ...]:
    """What openpyxl raises for a broken workbook (its parsers raise many kinds)."""
    from openpyxl.utils.exceptions import InvalidFileException

    return (
        InvalidFileException,
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        ParseError,
        KeyError,
        IndexError,
        ValueError,
        TypeError,
        EOFError,
        OSError,
    )


def xlsx_error(exc: BaseException, name: str) -> ImportFileError | None:
    """The user's error for an exception openpyxl raised on workbook `name`, or None.

    XML that declares entities (external ones read files of the server, nested ones
    expand to gigabytes) is refused by defusedxml, which openpyxl uses when installed;
    other malformed parts raise parser errors. None means a fault of gridmap, not of the
    file: let it propagate.
    """
    from defusedxml import DefusedXmlException

    cause: BaseException | None = exc
    while cause is not None:  # openpyxl wraps the parser's error in a ValueError
        if isinstance(cause, DefusedXmlException):
            return ImportFileError(Message("xlsx_unsafe_xml", name=name))
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, _xlsx_faults()):
        detail = str(exc) or type(exc).__name__
        return ImportFileError(Message("xlsx_unreadable", name=name, detail=detail[:200]))
    return None
