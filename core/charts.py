"""Charts drawn on the server as inline SVG: no script, no library, a few hundred bytes.

Each chart is one ``<svg>`` with a ``<title>`` and a ``<desc>`` it is labelled by (``role="img"``),
drawn in a 360-unit-wide ``viewBox`` and shown at the width of its container, so it fits a
360 px phone and grows on a wider screen. Its colours are classes (``chart-<name>``) that
kaaj.css paints from the site's colour variables: the Content-Security-Policy allows no
inline style. Every text in it is escaped here (``format_html``), so the result is safe to
put in a page as it is.

Each bar carries its own ``<title>`` (what a pointer or a screen reader tells), and
:func:`legend` names the colours in HTML, which wraps on a narrow screen where SVG text
would not.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
_ids = itertools.count(1)  # ids of titles and descriptions, unique within a page


@dataclass(frozen=True)
class Series:
    """One colour of a chart: its name (in the legend) and its class, ``chart-<css>``."""

    name: str
    css: str


@dataclass(frozen=True)
class Bar:
    """One bar of :func:`stacked_bars`: its values, one per series (stacked bottom up),
    its label under the axis (may be empty) and what it says as a whole (its title)."""

    values: Sequence[int]
    label: str
    note: str


def _frame(title: str, description: str, height: int, body: SafeString) -> SafeString:
    n = next(_ids)
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'width="100%" role="img" aria-labelledby="chart-{}-title chart-{}-desc">'
        '<title id="chart-{}-title">{}</title><desc id="chart-{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        n,
        n,
        n,
        title,
        n,
        description,
        body,
    )


def _ceiling(value: int) -> int:
    """A round top for the axis: 1, 2, 5 or 10 times a power of ten, at least ``value``."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def stacked_bars(
    *,
    title: str,
    description: str,
    series: Sequence[Series],
    bars: Sequence[Bar],
    height: int = 180,
    labels: int = 5,
) -> SafeString:
    """Vertical bars, each a stack of its series' values, on an axis from 0 to a round top
    (labelled at 0, half and top); about ``labels`` bars evenly spaced have their label
    under the axis."""
    left, right, top, bottom = 30, 18, 8, 22
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    peak = _ceiling(max((sum(bar.values) for bar in bars), default=0))
    base = top + plot_height
    ticks = [(0, base), (peak, top)]
    if peak % 2 == 0:  # a top of 1 has no whole half
        ticks.insert(1, (peak // 2, base - plot_height / 2))
    parts = [
        format_html(
            '<line class="chart-axis" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<text x="{}" y="{}" text-anchor="end">{}</text>',
            left,
            WIDTH - right,
            _n(y),
            _n(y),
            left - 4,
            _n(y + 4),
            value,
        )
        for value, y in ticks
    ]
    slot = plot_width / max(len(bars), 1)
    every = max(1, math.ceil(len(bars) / max(labels, 1)))
    for index, bar in enumerate(bars):
        x, width = left + index * slot + slot * 0.15, max(slot * 0.7, 1)
        y, rects = base, []
        for part, value in zip(series, bar.values, strict=True):
            if value:
                size = plot_height * value / peak
                y -= size
                rects.append(
                    format_html(
                        '<rect class="chart-{}" x="{}" y="{}" width="{}" height="{}"/>',
                        part.css,
                        _n(x),
                        _n(y),
                        _n(width),
                        _n(size),
                    )
                )
        parts.append(
            format_html(
                "<g><title>{}</title>{}</g>",
                bar.note,
                mark_safe("".join(rects)),  # noqa: S308
            )  # each rect built by format_html above
        )
        if bar.label and (len(bars) - 1 - index) % every == 0:  # the last day always labelled
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                    _n(left + index * slot + slot / 2),
                    height - 6,
                    bar.label,
                )
            )
    return _frame(title, description, height, mark_safe("".join(parts)))  # noqa: S308


@dataclass(frozen=True)
class Part:
    """One segment of :func:`share_bar`."""

    series: Series
    value: int


def share_bar(*, title: str, description: str, parts: Sequence[Part]) -> SafeString:
    """One horizontal bar split in proportion to ``parts`` (an empty outline when they add
    up to nothing)."""
    height, total = 28, sum(part.value for part in parts)
    pieces = [
        format_html(
            '<rect class="chart-outline" x="0.5" y="0.5" width="{}" height="{}"/>',
            WIDTH - 1,
            height - 1,
        )
    ]
    x = 0.0
    for part in parts:
        if part.value and total:
            width = WIDTH * part.value / total
            pieces.append(
                format_html(
                    '<rect class="chart-{}" x="{}" y="0" width="{}" height="{}">'
                    "<title>{}</title></rect>",
                    part.series.css,
                    _n(x),
                    _n(width),
                    height,
                    part.series.name,
                )
            )
            x += width
    return _frame(title, description, height, mark_safe("".join(pieces)))  # noqa: S308


def legend(entries: Sequence[tuple[Series, str]]) -> SafeString:
    """The colours' names in HTML, each with a value or a note (may be empty)."""
    return format_html(
        '<ul class="chart-legend">{}</ul>',
        format_html_join(
            "",
            '<li><svg class="chart-swatch" viewBox="0 0 10 10" width="10" height="10" '
            'aria-hidden="true"><rect class="chart-{}" width="10" height="10"/></svg> '
            "{}{}</li>",
            (
                (
                    series.css,
                    series.name,
                    format_html(": <strong>{}</strong>", text) if text else "",
                )
                for series, text in entries
            ),
        ),
    )


def _n(value: float) -> str:
    """A coordinate with at most two decimals (smaller pages, stable output)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _value(text: str) -> SafeString | str:
    return format_html(": <strong>{}</strong>", text) if text else ""
