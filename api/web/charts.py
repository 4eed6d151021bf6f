"""Small inline SVG charts for the public register: no script, no library, readable by
screen readers (each chart has a title and a description, and a table follows it).

Charts are drawn at their size in CSS pixels (never scaled by the browser), so their text
is as large as the page's; a page draws a wide one for desks and a narrow one for phones.
Counts get whole-number ticks; every axis starts at zero and ends on a tick."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

COLOURS = ("#1d70b8", "#d4351c", "#00703c")  # GOV.UK blue, red, green: 3:1 on white at least
FONT_PX = 14


@dataclass(frozen=True)
class Size:
    """A chart's size in CSS pixels and the room its axes take."""

    width: int
    height: int
    left: int = 72
    right: int = 16
    top: int = 16
    bottom: int = 64

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom


WIDE = Size(600, 320)
NARROW = Size(340, 300, left=64)


def nice_ticks(top: float, whole: bool, most: int = 5) -> list[float]:
    """Ticks from zero to at least `top` in steps of 1, 2 or 5 times a power of ten (whole
    numbers only when the values are counts)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if whole:
        step = max(1.0, math.ceil(step))
    count = math.ceil(top / step - 1e-9)
    return [step * i for i in range(count + 1)]


def tick_text(value: float, unit: str = "") -> str:
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


def month_label(group: str) -> str:
    """`2026-11` -> `Nov 2026`; other groups unchanged."""
    try:
        return date.fromisoformat(f"{group}-01").strftime("%b %Y")
    except ValueError:
        return group


def _frame(size: Size, title: str, description: str, body: list[str], key: str) -> Markup:
    slug = f"{key}-{size.width}"
    return Markup(
        f'<svg class="chart" width="{size.width}" height="{size.height}" '
        f'viewBox="0 0 {size.width} {size.height}" role="img" '
        f'aria-labelledby="t-{slug} d-{slug}" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="{FONT_PX}">'
        f'<title id="t-{slug}">{escape(title)}</title>'
        f'<desc id="d-{slug}">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _y(size: Size, value: float, top: float) -> float:
    return size.top + size.plot_h - size.plot_h * value / top


def _axes(
    size: Size, labels: Sequence[str], ticks: list[float], unit: str, y_label: str = ""
) -> list[str]:
    top = ticks[-1]
    base = size.top + size.plot_h
    middle = size.top + size.plot_h / 2
    parts = [
        f'<text transform="translate(14 {middle:.1f}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>",
        f'<line x1="{size.left}" y1="{base}" x2="{size.width - size.right}" y2="{base}" '
        'class="axis"/>',
    ]
    for value in ticks:
        y = _y(size, value, top)
        parts.append(
            f'<line x1="{size.left}" y1="{y:.1f}" x2="{size.width - size.right}" y2="{y:.1f}" '
            f'class="grid"/><text x="{size.left - 6}" y="{y + 5:.1f}" text-anchor="end">'
            f"{tick_text(value, unit)}</text>"
        )
    room = max(1, size.plot_w // 80)  # a label needs about 80 px
    step = -(-len(labels) // room) or 1
    for i, label in enumerate(labels):
        if i % step == 0:
            x = size.left + size.plot_w * (i + 0.5) / max(len(labels), 1)
            parts.append(
                f'<text x="{x:.1f}" y="{base + 20}" text-anchor="middle">{escape(label)}</text>'
            )
    return parts


def _legend(size: Size, names: Sequence[str]) -> list[str]:
    parts = []
    x = size.left
    for i, name in enumerate(names):
        parts.append(
            f'<rect x="{x}" y="{size.height - 22}" width="14" height="14" fill="{COLOURS[i]}"/>'
            f'<text x="{x + 20}" y="{size.height - 10}">{escape(name)}</text>'
        )
        x += 30 + len(name) * 8
    return parts


def stacked_bars(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    size: Size = WIDE,
    key: str = "bars",
    y_label: str = "",
) -> Markup:
    """Bars per label, each stacked from the series in order; whole-number ticks."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0), whole=True)
    width = size.plot_w / max(len(labels), 1)
    body = _axes(size, labels, ticks, "", y_label)
    for i, label in enumerate(labels):
        below = 0.0
        for colour, (name, values) in zip(COLOURS, series.items(), strict=False):
            y0, y1 = _y(size, below, ticks[-1]), _y(size, below + values[i], ticks[-1])
            below += values[i]
            body.append(
                f'<rect x="{size.left + width * i + width * 0.15:.1f}" y="{y1:.1f}" '
                f'width="{width * 0.7:.1f}" height="{y0 - y1:.1f}" fill="{colour}">'
                f"<title>{escape(label)}: {values[i]:g} {escape(name)}</title></rect>"
            )
    body += _legend(size, list(series))
    summary = "; ".join(
        f"{label}: " + ", ".join(f"{v[i]:g} {n}" for n, v in series.items())
        for i, label in enumerate(labels)
    )
    return _frame(size, title, summary or "no data", body, key)


def lines(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    unit: str = "",
    size: Size = WIDE,
    key: str = "lines",
    y_label: str = "",
) -> Markup:
    """One line per series over the labels; missing values leave a gap."""
    values = [v for vs in series.values() for v in vs if v is not None]
    ticks = nice_ticks(max(values, default=0), whole=False)
    body = _axes(size, labels, ticks, unit, y_label)
    for colour, (_, points) in zip(COLOURS, series.items(), strict=False):
        xy = [
            (size.left + size.plot_w * (i + 0.5) / max(len(labels), 1), _y(size, v, ticks[-1]))
            for i, v in enumerate(points)
            if v is not None
        ]
        if xy:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="3"/>'
            )
            body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>' for x, y in xy]
    body += _legend(size, list(series))

    def said(value: float | None) -> str:
        return "no alerts" if value is None else f"{value:.3g}{unit}"

    summary = "; ".join(
        f"{label}: " + ", ".join(f"{n} {said(v[i])}" for n, v in series.items())
        for i, label in enumerate(labels)
    )
    return _frame(size, title, summary or "no data", body, key)
