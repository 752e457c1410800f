"""The rejection ledger: why each imported row that cannot be used was left out.

Every source row either becomes a feature or is recorded in a :class:`Rejections` with
the first reason it failed and a message, never dropped silently. Messages are built only
for the rows rejected, so a clean million-row file costs a few boolean masks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from gridmap.i18n import Message


class Rejections:
    """The first reason each row is rejected for, with its message.

    Messages are built only for the rows rejected, so checking a clean million-row file
    costs a few boolean masks.
    """

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.int8)
        self.reasons = [""]
        self._parts: list[tuple[np.ndarray, object]] = []

    @property
    def good(self) -> np.ndarray:
        return self.code == 0

    def add(self, mask: np.ndarray, reason: str, message: object) -> int:
        """Reject the rows of `mask` not already rejected; `message` is text or a callable
        taking their positions and returning one text per row."""
        new = np.asarray(mask, dtype=bool) & (self.code == 0)
        count = int(new.sum())
        if count:
            if reason not in self.reasons:
                self.reasons.append(reason)
            self.code[new] = self.reasons.index(reason)
            idx = np.flatnonzero(new)
            self._parts.append((idx, list(message(idx)) if callable(message) else message))
        return count

    def messages(self, positions: np.ndarray) -> np.ndarray:
        """The messages of the rejected rows at `positions` (sorted positions)."""
        out = np.full(len(self.code), None, dtype=object) if self._parts else None
        for idx, text in self._parts:
            out[idx] = text  # type: ignore[index]
        return np.asarray([], dtype=object) if out is None else out[positions]


def row_messages(key: str, /, **values: object) -> Callable[[np.ndarray], list[Message]]:
    """Per-row :class:`~gridmap.i18n.Message` builder for :meth:`Rejections.add`.

    Each value is a constant, or a callable taking the rejected rows' positions and
    returning one value per row; values are shown as :func:`join_text` shows them, so the
    English text is the same whichever way a message is built.
    """

    def build(positions: np.ndarray) -> list[Message]:
        per_row = {
            name: _texts(value(positions)) for name, value in values.items() if callable(value)
        }
        fixed = {name: value for name, value in values.items() if not callable(value)}
        return [
            Message(key, **fixed, **{name: texts[j] for name, texts in per_row.items()})
            for j in range(len(positions))
        ]

    return build


def _texts(values: object) -> list[str]:
    return pd.Series(np.asarray(values, dtype=object)).astype("str").fillna("").tolist()


def join_text(*parts: object) -> list[str]:
    """Element-wise string concatenation of literals and arrays (for row messages)."""
    size = next(len(p) for p in parts if not isinstance(p, str))  # type: ignore[arg-type]
    out = pd.Series([""] * size, dtype="str")
    for part in parts:
        if isinstance(part, str):
            out = out + part
        else:
            values = pd.Series(np.asarray(part, dtype=object)).astype("str").fillna("")
            out = out + values.to_numpy()
    return out.tolist()


def reject_duplicates(
    ids: pd.Series,
    rows: np.ndarray,
    rej: Rejections,
    existing_ids: Iterable[object] | None,
    id_column: str,
) -> None:
    if existing_ids is not None:
        existing = pd.Index(list(existing_ids)).astype("str")
        known = rej.good & ids.isin(existing).to_numpy(dtype=bool)
        rej.add(
            known,
            "duplicate_id",
            row_messages("row_id_in_workspace", column=id_column, value=lambda i: ids.iloc[i]),
        )
    if ids.is_unique:  # the common case, found with one hash pass
        return
    good = rej.good
    repeat = np.zeros(len(ids), dtype=bool)
    repeat[good] = ids[good].duplicated(keep="first").to_numpy()
    if repeat.any():
        first = good & ~repeat
        first_rows = pd.Series(rows[first], index=ids[first].to_numpy())
        rej.add(
            repeat,
            "duplicate_id",
            row_messages(
                "row_id_repeated",
                column=id_column,
                value=lambda i: ids.iloc[i],
                first=lambda i: first_rows.reindex(ids.iloc[i].to_numpy()).to_numpy(),
            ),
        )
