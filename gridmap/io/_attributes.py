"""The values of imported columns turned into the layer's schema columns.

Once :mod:`gridmap.io._columns` has found which column plays which role, :func:`attributes`
turns their values into the schema's: ids, category keys, site kinds and post modes,
date-times, whole numbers, flags. Rows whose values cannot be used are rejected through
:class:`~gridmap.io._rejections.Rejections`; defaults fill what a file lacks, with a note.
Everything works on whole columns (or their distinct values).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from gridmap.i18n import Message
from gridmap.io._columns import normalise_name
from gridmap.io._numbers import as_text
from gridmap.io._rejections import Rejections, join_text, row_messages
from gridmap.io._times import (
    ACCEPTED_FORMS,
    TIME_UNIT,
    Times,
    blank_mask,
    parse_times,
    to_local,
)
from gridmap.schema import BOOLEAN_WORDS, SITE_KINDS, LayerSpec, category_key

#: Patrol modes of posts, by the words users write for them.
POST_MODES: dict[str, tuple[str, ...]] = {
    "walk": ("walk", "foot", "步巡", "步行", "徒步"),
    "bike": ("bike", "bicycle", "ebike", "骑巡", "自行车", "电动车", "骑行"),
    "car": ("car", "vehicle", "车巡", "车辆", "汽车", "巡逻车"),
}


def _lookup_table(pairs: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {normalise_name(word): key for key, words in pairs.items() for word in words}


_SITE_KIND_WORDS = _lookup_table({k: (k, zh, en) for k, (zh, en) in SITE_KINDS.items()})
_POST_MODE_WORDS = _lookup_table(POST_MODES)


def map_values(
    values: pd.Series, kind: str, *, default: str | None = None
) -> tuple[pd.Series, np.ndarray, dict[str, int]]:
    """Map labels to stable keys, keeping unknown values verbatim (stripped).

    `kind` is ``"category"`` (incident categories), ``"site_kind"`` or ``"post_mode"``.
    Works on the distinct values only, so it is cheap on a million rows. Empty values take
    `default` when given. Returns the mapped values, a mask of values still empty and the
    count of each value left unknown.
    """
    codes, uniques = pd.factorize(values)
    labels = as_text(pd.Series(uniques, dtype=values.dtype)).str.strip()
    empty = blank_mask(labels)
    keys = [None if e else _key(u, kind) for u, e in zip(labels, empty, strict=True)]
    mapped = [
        default if e else (u if k is None else k)
        for u, k, e in zip(labels, keys, empty, strict=True)
    ]
    table = pd.array([*mapped, default], dtype="str")  # the last entry stands for NA
    out = pd.Series(table.take(np.where(codes < 0, len(mapped), codes)), index=values.index)
    counts = np.bincount(codes[codes >= 0], minlength=len(mapped))
    unknown: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key is None and not empty[i]:
            unknown[labels.iloc[i]] = unknown.get(labels.iloc[i], 0) + int(counts[i])
    return out, out.isna().to_numpy(), unknown


def _key(value: object, kind: str) -> str | None:
    if kind == "category":
        return category_key(value)
    table = _SITE_KIND_WORDS if kind == "site_kind" else _POST_MODE_WORDS
    return table.get(normalise_name(value))


def describe_counts(counts: Mapping[str, int], *, limit: int = 10) -> tuple[str, int]:
    """``"抢劫 (120), 其他 (5)"``, most frequent first, cut after `limit` entries.

    Also returns how many entries were cut.
    """
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{value} ({n})" for value, n in ordered[:limit])
    return text, max(0, len(ordered) - limit)


#: Roles whose values map to stable keys, per layer.
_MAPPED_ROLES = {
    ("category", "incidents"): "category",
    ("kind", "sites"): "site_kind",
    ("mode", "posts"): "post_mode",
}
#: Message keys for values of those roles that are not in their tables.
_UNKNOWN_VALUES = {
    "category": "unknown_categories",
    "kind": "unknown_kinds",
    "mode": "unknown_modes",
}


def attributes(
    frame: pd.DataFrame,
    rows: np.ndarray,
    mapping: dict[str, str],
    spec: LayerSpec,
    rej: Rejections,
    notes: list[str],
    *,
    stem: str,
    default_category: str | None,
    timezone: str | None = None,
    default_time: pd.Timestamp | None = None,
) -> dict[str, pd.Series]:
    """Schema columns from the mapped source columns; rows with bad values rejected.

    Date-times written with an offset are put on one local clock (see
    :func:`gridmap.io._times.to_local`), `timezone`'s when given. A required date-time
    role with no column takes `default_time`, with a note.
    """
    index = frame.index
    out: dict[str, pd.Series] = {}
    times: dict[str, Times] = {}
    for role in spec.columns:
        column = mapping.get(role)
        kind = spec.dtypes.get(role)
        if column is None:
            if role == spec.id_column and role != "grid_code":
                out[role] = pd.Series(join_text(f"{stem}-", rows), index=index, dtype="str")
                if len(rows):
                    notes.append(
                        Message("ids_generated_no_column", column=role, example=out[role].iloc[0])
                    )
            elif role == "category" and default_category is not None:
                out[role] = pd.Series(default_category, index=index, dtype="str")
            elif role in spec.required and kind == "datetime" and default_time is not None:
                out[role] = pd.Series(default_time, index=index).astype(TIME_UNIT)
                notes.append(
                    Message("default_time_used", n=len(index), role=role, time=str(default_time))
                )
            continue
        values = frame[column]
        required = role in spec.required
        kind = spec.dtypes.get(role)
        if kind == "datetime":
            times[role] = _times(values, role, column, required, rej)
            continue
        if kind == "int":
            out[role] = _integers(values, role, column, notes)
            continue
        if role == "synthetic":
            text = as_text(values).str.strip().str.lower()
            flags = text.map(BOOLEAN_WORDS).to_numpy(dtype=object)
            out[role] = pd.Series(flags, index=index, dtype="boolean")
            continue
        kind = _MAPPED_ROLES.get((role, spec.name))
        if kind is not None:
            default = default_category if role == "category" else None
            text, blank, unknown = map_values(values, kind, default=default)
            if required:
                rej.add(
                    blank, "missing_value", Message("row_value_empty", role=role, column=column)
                )
            if unknown:
                listed, more = describe_counts(unknown)
                key = _UNKNOWN_VALUES[role] + ("_more" if more else "")
                notes.append(Message(key, n=len(unknown), values=listed, more=more))
            out[role] = text
            continue
        text = as_text(values)
        keyed = role == spec.id_column or role in ("category", "kind", "mode")
        if not (keyed or required):  # free text: kept exactly as written
            out[role] = text
            continue
        if keyed:
            text = text.str.strip()
        blank = blank_mask(text)
        if role == spec.id_column and role != "grid_code" and blank.any():
            generated = pd.Series(join_text(f"{stem}-", rows[blank]), dtype="str")
            text = text.copy()
            text[blank] = generated.to_numpy()
            notes.append(
                Message(
                    "ids_generated_blank",
                    n=int(blank.sum()),
                    column=role,
                    example=generated.iloc[0],
                )
            )
            blank = np.zeros(len(text), dtype=bool)
        if required:
            rej.add(blank, "missing_value", Message("row_value_empty", role=role, column=column))
        out[role] = text
    if times:
        local, time_notes = to_local(times, timezone)
        out.update(local)
        notes += time_notes
        out = {role: out[role] for role in spec.columns if role in out}  # schema order
    fill_defaults(out, spec, index, notes)
    if spec.name == "grids" and "grid_code" in out:
        _check_grid_codes(out["grid_code"], rej)
    return out


def fill_defaults(
    out: dict[str, pd.Series], spec: LayerSpec, index: pd.Index, notes: list[str]
) -> None:
    """Fill the optional columns of :attr:`LayerSpec.defaults` a file lacks or leaves empty.

    Each filled column adds one warning naming the column, how many rows and the value
    they got (the rule is documented in :mod:`gridmap.schema`). Changes `out` in place.
    """
    for column, default in spec.defaults.items():
        present = out.get(column)
        blank = (
            np.ones(len(index), dtype=bool)
            if present is None
            else blank_mask(as_text(present)) | present.isna().to_numpy(dtype=bool)
        )
        if not blank.any() or (default.source is not None and default.source not in out):
            continue
        if default.source is None:
            fill = pd.Series(default.value, index=index)
            key = "column_defaulted_value"
        elif default.table is None:
            fill = as_text(out[default.source])
            key = "column_defaulted_copy"
        else:
            fill = out[default.source].map(default.table).fillna(default.value)
            key = "column_defaulted_table"
        values = fill if present is None else present.where(~blank, fill)
        if spec.dtypes.get(column) == "int":
            values = pd.to_numeric(values, errors="coerce").astype("Int64")
        else:
            values = values.astype("str")
        out[column] = values
        if len(index):
            notes.append(
                Message(
                    key,
                    layer=spec.name,
                    column=column,
                    n=int(blank.sum()),
                    value=str(default.value),
                    source=default.source or "",
                )
            )
    order = [c for c in spec.columns if c in out]
    for column in order:  # schema order
        out[column] = out.pop(column)


def _times(values: pd.Series, role: str, column: str, required: bool, rej: Rejections) -> Times:
    times = parse_times(values)
    parsed = times.values
    nat = parsed.isna().to_numpy()
    blank = np.zeros(len(values), dtype=bool)
    blank[nat] = blank_mask(values[nat])
    if required:
        rej.add(blank, "missing_value", Message("row_value_empty", role=role, column=column))
    rej.add(
        nat & ~blank,
        "bad_time",
        row_messages(
            "row_bad_time",
            role=role,
            column=column,
            value=lambda i: as_text(values.iloc[i]),
            forms=ACCEPTED_FORMS,
        ),
    )
    return times


def _integers(values: pd.Series, role: str, column: str, notes: list[str]) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        v = values.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(v)
    else:
        blank = blank_mask(values)
        v = pd.to_numeric(as_text(values).str.strip(), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    bad = ~blank & ~(np.isfinite(v) & (v == np.round(v)))
    if bad.any():
        notes.append(Message("not_whole_numbers", n=int(bad.sum()), role=role, column=column))
    return pd.Series(np.where(bad, np.nan, v), index=values.index).astype("Int64")


def _check_grid_codes(codes: pd.Series, rej: Rejections) -> None:
    from gridmap.grids import invalid_grid_codes  # here, so gridmap.grids may import io

    candidates = codes[rej.good]
    invalid = codes.isin(list(invalid_grid_codes(candidates))).to_numpy(dtype=bool)
    rej.add(
        invalid,
        "bad_grid_code",
        row_messages("row_bad_grid_code", value=lambda i: codes.iloc[i]),
    )
