"""The Patrol routes page's widgets: values kept across languages, and its solver forms.

Widgets whose labels change with the language get a key per language (Streamlit would
otherwise send the old label's state back); their values live under a plain session key,
so switching the language keeps what was typed and redraws the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from app_pages._common import lang, tr
from gridmap.i18n import t
from gridmap.schema import SITE_KINDS
from gridmap.uploads import safe_file_name


def kind_label(kind: str, *, zh: bool) -> str:
    """A site kind as people read it (学校, 商场); a city's own kinds as written."""
    return SITE_KINDS.get(kind, (kind, kind))[0 if zh else 1]


def multi(
    label: str, options: list, *, key: str, default: list, where: Any = st, **kwargs: Any
) -> list:
    """A multiselect keyed by language whose choice lives under the plain key `key`."""
    value = [v for v in st.session_state.get(key, default) if v in options]
    kwargs.setdefault("placeholder", tr("pr_choose"))  # not Streamlit's English default
    picked = where.multiselect(label, options, default=value, key=f"{key}.{lang()}", **kwargs)
    st.session_state[key] = [p for p in picked if p in options]
    return st.session_state[key]


def keep(widget: Any, label: str, *, key: str, default: Any, **kwargs: Any) -> Any:
    """A number, text or check box keyed by language, its value kept under the plain `key`
    (a label that changes with the language must not reset what was typed)."""
    value = st.session_state.get(key, default)
    out = widget(label, value=value, key=f"{key}.{lang()}", **kwargs)
    st.session_state[key] = out
    return out


def labels(key_of: Any) -> Any:
    """Labels of keyed options (`key_of` gives an option's text key) in the language of
    this run: the function outlives the run (AppTest formats values after it)."""
    language = lang()
    return lambda value: t(key_of(value), language)


def solve_form(
    name: str,
    inputs: Callable[[], tuple],
    *,
    submit: str,
    same: Callable[[tuple], tuple] = lambda values: values,
) -> tuple | None:
    """A form of a solver's inputs; the values of its last submit, or None before one.

    `inputs` draws the form's widgets and returns their values; a submit keeps them under
    ``pr_<name>_args``, so later runs (another widget, the language) show the same answer
    without solving again. Before the first submit a caption says to press the button
    labelled by the text key `submit`.

    An answer is shown only with the inputs it was made from: inputs drawn outside the
    form (the stops, shared by several views; the travel mode) may have changed since the
    submit, and then the old answer is hidden and a warning says to plan again. `same`
    maps values to what must match (e.g. without the language the names are shown in).
    """
    with st.form(f"pr_{name}_form"):
        values = inputs()
        if st.form_submit_button(tr(submit)):
            st.session_state[f"pr_{name}_args"] = values
    chosen = st.session_state.get(f"pr_{name}_args")
    if chosen is None:
        st.caption(tr("pr_press_solve"))
    elif same(chosen) != same(values):
        st.warning(tr("pr_inputs_changed", button=tr(submit)))
        return None
    return chosen


def download_name(unit: str, suffix: str) -> str:
    """A download's file name for `unit` (a post's or a GPS track's name, typed by someone):
    one plain name, no path separators, quotes or control characters."""
    plain = re.sub(r'[\\/"\'<>:|?*]+', "_", str(unit))
    return safe_file_name(f"route_{plain}.{suffix}")
