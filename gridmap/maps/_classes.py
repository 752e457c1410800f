"""Classes and colours of choropleths: class edges a legend of counts can read, palettes.

Private: import these names from :mod:`gridmap.maps`, which re-exports them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import branca.colormap
import mapclassify
import numpy as np
import numpy.typing as npt

from gridmap._errors import ValidationError
from gridmap.maps._layers import _check_color, _format_number

Scheme = Literal["quantiles", "equal"]


def _brewer(name: str) -> tuple[str, ...]:
    """The colours of one of branca's ColorBrewer colormaps (``"YlOrRd_09"``) as hex."""
    try:
        colormap = getattr(branca.colormap.linear, name)
    except AttributeError:
        msg = f"`colors` names no branca colormap: {name!r} (e.g. 'YlOrRd_09', 'Blues_09')"
        raise ValidationError(msg) from None
    return tuple(colormap.rgb_hex_str(x) for x in colormap.index)


# ColorBrewer 2.0 "YlOrRd", 9 classes (Cynthia A. Brewer, colorbrewer2.org, Apache-2.0), as
# branca ships it: a sequential palette that stays readable in grey print and for
# colour-blind readers.
YLORRD: tuple[str, ...] = _brewer("YlOrRd_09")
NO_DATA_COLOR = "#d9d9d9"


def class_breaks(
    values: Any, *, bins: int = 5, scheme: Scheme = "quantiles"
) -> npt.NDArray[np.float64]:
    """Class edges of `values` (NaN ignored), lowest to highest, at most ``bins + 1``.

    The classification is mapclassify's (``Quantiles``: about as many values in each
    class; ``EqualInterval``: classes of equal width); this function adds what a legend of
    counts needs. Coinciding edges are merged, so there may be fewer classes. When every
    value is a whole number (counts of incidents, households) the edges are rounded up to
    whole numbers too, so a class reads "39 – 46", never "38.6 – 46.8". A value equal to
    an inner edge belongs to the class above it.

    Parameters
    ----------
    values : array-like of numbers
        The values to classify, shape (n,); NaN and infinities are left out.
    bins : int, default 5
        Most classes to make.
    scheme : {"quantiles", "equal"}
        Classification scheme.

    Returns
    -------
    numpy.ndarray of float
        Class edges, shape (k + 1,) for k classes; ``[v, v]`` when all values are v;
        empty when there are no finite values.

    Raises
    ------
    ValidationError
        for `bins` < 1 or an unknown `scheme`.

    >>> class_breaks([1.5, 2, 3, 4, 5, 6, 7, 8], bins=4, scheme="equal").tolist()
    [1.5, 3.125, 4.75, 6.375, 8.0]
    >>> class_breaks([1, 2, 3, 4, 5, 6, 7, 8], bins=4, scheme="equal").tolist()
    [1.0, 3.0, 5.0, 7.0, 8.0]
    >>> class_breaks([3, 3, 3]).tolist()
    [3.0, 3.0]
    >>> class_breaks([0] * 80 + list(range(1, 21)), bins=5).tolist()
    [0.0, 1.0, 6.0, 11.0, 16.0, 20.0]
    """
    if bins < 1:
        msg = f"`bins` must be at least 1; got {bins}"
        raise ValidationError(msg)
    classifiers = {"quantiles": mapclassify.Quantiles, "equal": mapclassify.EqualInterval}
    if scheme not in classifiers:
        msg = f"`scheme` must be 'quantiles' or 'equal'; got {scheme!r}"
        raise ValidationError(msg)
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if not len(arr):
        return np.array([], dtype=float)
    if arr.min() == arr.max():
        return np.repeat(arr[:1], 2)
    with warnings.catch_warnings():
        # mapclassify warns when there are fewer distinct values than classes; the
        # merged edges below say the same.
        warnings.simplefilter("ignore", UserWarning)
        upper = classifiers[scheme](arr, k=bins).bins
    edges = np.concatenate([[arr.min()], np.asarray(upper, dtype=float)])
    if np.array_equal(arr, np.round(arr)):
        edges = np.ceil(edges)
    edges = np.unique(edges)
    rest = arr[arr > arr.min()]
    lowest = 1 - len(rest) / len(arr)
    if scheme == "quantiles" and bins > 1 and lowest > 1 / bins and len(np.unique(rest)) > 1:
        # The lowest value fills several quantiles (most city blocks hold no household):
        # it is a class of its own and the other values are classed among themselves,
        # so the map still tells them apart.
        return np.concatenate([[arr.min()], class_breaks(rest, bins=bins - 1, scheme=scheme)])
    return edges if len(edges) > 1 else np.repeat(edges, 2)


def _palette(colors: Sequence[str] | str | None, k: int) -> list[str]:
    """`k` colours spread evenly over `colors`: a list of CSS colours or the name of a
    branca colormap (default YlOrRd without its near-white)."""
    if colors is None or isinstance(colors, str):
        brewer = YLORRD if colors is None else _brewer(colors)
        if k > len(brewer):
            msg = f"{k} classes need `colors`: the palette has {len(brewer)}"
            raise ValidationError(msg)
        if k == 1:
            return [brewer[round(0.6 * (len(brewer) - 1))]]  # a mid-strong colour
        low = 1 if k < len(brewer) else 0
        return [brewer[i] for i in np.round(np.linspace(low, len(brewer) - 1, k)).astype(int)]
    checked = [_check_color(c, "colors") for c in colors]
    if len(checked) < k:
        msg = f"`colors` has {len(checked)} colours but {k} classes are needed"
        raise ValidationError(msg)
    return [checked[i] for i in np.round(np.linspace(0, len(checked) - 1, k)).astype(int)]


def _range_label(low: float, high: float) -> str:
    if low == high:
        return _format_number(low)
    return f"{_format_number(low)} – {_format_number(high)}"
