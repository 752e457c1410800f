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
"""

from __future__ import annotations

import re

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
    out = _ID_CARD.sub(_mask_id_card, text)
    out = _ID_CARD_15.sub(lambda m: m.group(1) + m.group(2) + "*" * 5 + m.group(4), out)
    out = _MOBILE.sub(lambda m: m.group(1) + m.group(2) + "****" + m.group(4), out)
    out = _LANDLINE.sub(
        lambda m: m.group(1) + "-" + "*" * len(m.group(2)) + m.group(3) + m.group(4), out
    )
    out = _LABELLED_NAME.sub(
        lambda m: m.group(1) + m.group(2)[0] + "*" * (len(m.group(2)) - 1), out
    )
    return _TITLED_NAME.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), out)


def _mask_id_card(match: re.Match[str]) -> str:
    head, middle, tail, check = match.groups()
    if id_card_check_digit(head + middle + tail) != check.upper():
        return match.group(0)  # not an ID card: a number that happens to be 18 digits
    return head + "*" * 8 + tail + check


def mask_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy of `frame` whose text `columns` (those present) went through the masking."""
    present = [c for c in columns if c in frame.columns]
    if not present:
        return frame
    masked = frame.copy()
    for column in present:
        # Each distinct text once: descriptions repeat (templates, copied reports).
        values = masked[column]
        distinct = values.dropna().unique()
        lookup = {value: mask_personal_data(value) for value in distinct}
        masked[column] = values.map(lookup, na_action="ignore")
    masked.attrs = dict(frame.attrs)
    return masked
