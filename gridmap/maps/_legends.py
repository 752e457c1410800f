"""Legends drawn as Leaflet controls from escaped HTML.

Private: import these names from :mod:`gridmap.maps`, which re-exports them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Literal

import folium
from branca.element import MacroElement
from folium.template import Template

from gridmap._errors import ValidationError
from gridmap.maps._base import _js
from gridmap.maps._layers import _check_color, _map_of

LegendShape = Literal["square", "circle", "line"]
Position = Literal["topleft", "topright", "bottomleft", "bottomright"]


class Legend(MacroElement):
    """A legend drawn as a Leaflet control (``L.control``) from escaped HTML.

    Being part of the map's script, it appears both in folium's HTML and in what
    ``st_folium`` sends to the browser. It needs no outside CSS or JavaScript.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position_js }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "gridmap-legend");
            div.innerHTML = {{ this.html_js }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, *, position: Position = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.html_text = html_text
        self.position_js = _js(position)
        self.html_js = _js(html_text)


_SWATCH_STYLE = {
    "square": "width:14px;height:14px;border:1px solid #888;",
    "circle": "width:12px;height:12px;border:1px solid #555;border-radius:50%;",
    "line": "width:18px;height:0;border-top:3px solid {color};",
}


def legend_html(
    *,
    title: str,
    entries: Sequence[tuple[str, str]],
    shape: LegendShape = "square",
    note: str | None = None,
) -> str:
    """The legend's HTML: escaped title, one swatch and escaped label per entry, a note."""
    if shape not in _SWATCH_STYLE:
        msg = f"`shape` must be one of {', '.join(_SWATCH_STYLE)}; got {shape!r}"
        raise ValidationError(msg)
    lines = [
        '<div style="background:rgba(255,255,255,0.92);padding:6px 9px;border-radius:4px;'
        "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:12px/1.5 sans-serif;color:#222;"
        'max-width:260px;">',
        f'<div style="font-weight:bold;margin-bottom:3px;">{html.escape(title)}</div>',
    ]
    for color, label in entries:
        color = _check_color(color, "entries")
        swatch = _SWATCH_STYLE[shape].format(color=color)
        background = "" if shape == "line" else f"background:{color};"
        lines.append(
            '<div style="display:flex;align-items:center;gap:6px;">'
            f'<span style="display:inline-block;flex:none;{swatch}{background}"></span>'
            f"<span>{html.escape(str(label))}</span></div>"
        )
    if note:
        lines.append(
            f'<div style="margin-top:4px;color:#555;font-size:11px;">{html.escape(note)}</div>'
        )
    lines.append("</div>")
    return "".join(lines)


def add_legend(
    m: folium.Map,
    *,
    title: str,
    entries: Sequence[tuple[str, str]],
    position: Position = "bottomright",
    shape: LegendShape = "square",
    note: str | None = None,
) -> Legend:
    """Add a legend control to the map: `entries` are (CSS colour, label) pairs.

    Title, labels and note are plain text (escaped here); colours are checked to be CSS
    colours. Works inside ``st_folium`` because it is drawn by the map's own script.
    """
    if position not in ("topleft", "topright", "bottomleft", "bottomright"):
        msg = f"`position` must be a Leaflet control corner; got {position!r}"
        raise ValidationError(msg)
    legend = Legend(
        legend_html(title=title, entries=entries, shape=shape, note=note), position=position
    )
    legend.add_to(_map_of(m))
    return legend
