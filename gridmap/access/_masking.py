r"""Masking personal data in free text (incident descriptions) for roles without the right.

What is masked, in text as 110 and 12345 operators write it:

- names after a label: 姓名 / 联系人 / 报警人 / 来电人 / 求助人 / 当事人 / 投诉人 / 举报人 …
  (+ optional 是 / 叫 / ： / :), two to four Han characters → the first and ``*`` (张**).
  Without word segmentation the name's end is a guess: up to four characters are
  masked (报警人张伟称 → 张**), erring towards masking too much;
- a name before 先生 / 女士 / 师傅 / 阿姨 → its first character + ``*``
  (王先生 stays, 王建国先生 → 王**先生);
- mainland mobile numbers ``1[3-9]\d{9}`` (with optional +86 / 86 and spaces or dashes)
  → the first 3 and last 4 digits (138****5678);
- ID-card numbers 身份证号 (18 characters, the last a digit or X, whose ISO 7064 MOD 11-2
  check digit is right; 15-digit first-generation numbers) → first 6 and last 4 kept;
- landlines ``0\d{2,3}-?\d{7,8}`` (with optional extension) → area code and last 2 digits.

Numbers are matched only where no other digit touches them, so incident ids, dates and
grid codes are left alone; an 18-digit number with a wrong check digit is not an ID card
(a grid code is 15 digits and 15-digit IDs are masked only after an ID label).

Digits typed in full-width mode (１３８１２３４５６７８, as a Chinese keyboard gives them)
and other Unicode digits are matched as their ASCII digits (each character folded to
one, so positions stay the same), and the characters as written are masked
(１３８****５６７８).

A city's number columns (a phone or ID-card number imported from GeoJSON, GeoPackage or
Shapefile as an integer or float) are masked by :func:`mask_number`: the number written
as its digits, then as text.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

_NAME_LABELS = (
    "姓名|联系人|报警人|来电人|求助人|当事人|投诉人|反映人|户主|租户|举报人|受害人|嫌疑人"
)
#: Words that end a name (or are not one): titles, and what operators write next.
_NOT_NAME = "先生|女士|师傅|阿姨|身份|电话|手机|联系|住址|地址|证件|姓名|反映|报警|来电|投诉|称"
_NAME = rf"(?!{_NOT_NAME})[\u4e00-\u9fff](?:(?!{_NOT_NAME})[\u4e00-\u9fff·]){{1,3}}"
_LABELLED_NAME = re.compile(rf"((?:{_NAME_LABELS})\s*(?:是|为|叫)?\s*[:：]?\s*)({_NAME})")
_TITLED_NAME = re.compile(r"([\u4e00-\u9fff])([\u4e00-\u9fff]{1,2})(先生|女士|师傅|阿姨)")
_MOBILE = re.compile(r"(?<![\d])((?:\+?86[ -]?)?)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![\d])")
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3})([\dXx])(?![\dA-Za-z])")
_ID_CARD_15 = re.compile(r"((?:身份证|证件)号?(?:码)?\s*[:：]?\s*)(\d{6})(\d{5})(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d])(0\d{2,3})[ -]?(\d{5,6})(\d{2})((?:[-转]\d{1,5})?)(?![\d])")

#: Full-width ASCII forms (！ … ～) to ASCII, and the ideographic space to a space: one
#: character for one, so a match's positions in the folded text are those in the original.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_card_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an 18-character ID-card number (GB 11643).

    >>> id_card_check_digit("11010519491231002")
    'X'
    """
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def mask_personal_data(text: object) -> object:
    """`text` with names, mobile, ID-card and landline numbers masked; other values as given.

    Parameters
    ----------
    text : str or any
        A description as written by an operator. Non-strings (None, NaN) are returned
        unchanged.

    Returns
    -------
    str or any
        The masked text.

    Examples
    --------
    >>> mask_personal_data("报警人张伟，电话13812345678，称电动车被盗")
    '报警人张*，电话138****5678，称电动车被盗'
    >>> mask_personal_data("联系人：欧阳娜娜 身份证号11010519491231002X")
    '联系人：欧*** 身份证号110105********002X'
    """
    if not isinstance(text, str) or not text:
        return text
    out = _sub(_ID_CARD, _mask_id_card, text)
    out = _sub(_ID_CARD_15, lambda m, g: g(1) + g(2) + "*" * 5 + g(4), out)
    out = _sub(_MOBILE, lambda m, g: g(1) + g(2) + "****" + g(4), out)
    out = _sub(_LANDLINE, lambda m, g: g(1) + "-" + "*" * len(g(2)) + g(3) + g(4), out)
    out = _LABELLED_NAME.sub(
        lambda m: m.group(1) + m.group(2)[0] + "*" * (len(m.group(2)) - 1), out
    )
    return _TITLED_NAME.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), out)


def _fold(text: str) -> str:
    """`text` with full-width forms and Unicode digits as ASCII, one character for one."""
    if text.isascii():
        return text
    folded = text.translate(_FULL_WIDTH)
    # Other scripts' decimal digits (\d matches them, the patterns' literal 1 and 0 not).
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(), m.group())), folded)


def _sub(
    pattern: re.Pattern[str],
    replace: Callable[[re.Match[str], Callable[[int], str]], str],
    text: str,
) -> str:
    """`pattern.sub` matched on :func:`_fold` of `text`, replacing with its own characters.

    `replace` gets the match (of the folded text: ASCII digits, for checks) and a function
    giving a group's characters as written in `text` (what the masked text keeps).
    """
    folded = _fold(text)
    if folded == text:
        return pattern.sub(lambda m: replace(m, lambda i: m.group(i) or ""), text)
    pieces, end = [], 0
    for match in pattern.finditer(folded):
        start, stop = match.span()
        pieces += [text[end:start], replace(match, lambda i, m=match: text[m.start(i) : m.end(i)])]
        end = stop
    return "".join([*pieces, text[end:]])


def _mask_id_card(match: re.Match[str], written: Callable[[int], str]) -> str:
    head, middle, tail, check = match.groups()
    if id_card_check_digit(head + middle + tail) != check.upper():
        return written(0)  # not an ID card: a number that happens to be 18 digits
    return written(1) + "*" * 8 + written(3) + written(4)


#: A plausible birth date (YYYYMMDD, 1800-2099) in an ID-card number's digits 7 to 14.
_BIRTH_DATE = re.compile(r"\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{4}")


def mask_number(value: object) -> object:
    """A number from a city's number column as masked text if it looks personal, else as is.

    The number is written as its digits (``13812345678.0`` as ``13812345678``) and
    masked as text. A number has lost what text keeps, so three more shapes count:

    - 9 to 11 digits that mask as a landline once a leading ``0`` is put back (a
      column of landlines read as integers: 01062345678 became 1062345678) → masked
      as that landline, without the ``0``;
    - 18 digits from a float, whose last digits (with the check digit) are rounded away
      (a float holds 15 to 17 digits) → masked as an ID card when digits 7 to 14 are a
      birth date, check digit or not.

    Parameters
    ----------
    value : object
        A value of the column: an integer or float (NumPy's too), anything else.

    Returns
    -------
    object
        The masked text when the number looks like a mobile, landline or ID-card number;
        else `value` unchanged (booleans, other numbers, missing values, text).

    Examples
    --------
    >>> mask_number(13812345678)
    '138****5678'
    >>> mask_number(1062345678)
    '106-*****78'
    >>> mask_number(2000)
    2000
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return value
    if isinstance(value, numbers.Integral):
        digits, exact = str(abs(int(value))), True
    elif math.isfinite(value) and float(value).is_integer():
        digits, exact = str(abs(int(value))), abs(value) < 2**53
    else:
        return value
    masked = mask_personal_data(digits)
    if masked != digits:
        return masked
    if 9 <= len(digits) <= 11:
        landline = mask_personal_data("0" + digits)
        if landline != "0" + digits:
            return landline[1:]
    if not exact and len(digits) == 18 and _BIRTH_DATE.fullmatch(digits):
        return digits[:6] + "*" * 8 + digits[14:]
    return value


def looks_personal(values: pd.Series) -> bool:
    """Whether any value of a number column masks as a mobile, landline or ID-card number.

    Each distinct value once. Columns of other kinds (text, dates, booleans): False.
    """
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    distinct = values.dropna().unique()
    return any(mask_number(v) is not v for v in distinct)


def mask_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy of `frame` whose `columns` (those present) went through the masking.

    Text through :func:`mask_personal_data`, numbers (in a number column or among text)
    through :func:`mask_number`. A number column with a masked value becomes text (all
    its numbers written as digits): a column holds one kind.
    """
    present = [c for c in columns if c in frame.columns]
    if not present:
        return frame
    masked = frame.copy()
    for column in present:
        # Each distinct value once: descriptions repeat (templates, copied reports).
        values = masked[column]
        distinct = list(values.dropna().unique())  # the same objects in both loops below
        lookup = {value: _mask_value(value) for value in distinct}
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            if all(lookup[v] is v for v in distinct):
                continue  # no personal number: the column stays a number column
            lookup = {v: m if isinstance(m, str) else _digits(m) for v, m in lookup.items()}
            masked[column] = values.astype(object).map(lookup, na_action="ignore")
            masked[column] = masked[column].astype("string")
            continue
        masked[column] = values.map(lookup, na_action="ignore")
    masked.attrs = dict(frame.attrs)
    return masked


def _mask_value(value: object) -> object:
    return mask_personal_data(value) if isinstance(value, str) else mask_number(value)


def _digits(value: object) -> str:
    """A number as text, an integral float without its ``.0`` (as the masked ones)."""
    if (
        isinstance(value, numbers.Real)
        and not isinstance(value, numbers.Integral)
        and math.isfinite(value)
        and float(value).is_integer()
    ):
        return str(int(value))
    return str(value)
