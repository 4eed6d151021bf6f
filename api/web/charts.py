"""Small inline SVG charts for the public register: no script, no library, readable by
screen readers (each chart has a title and a description, and a table follows it)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 40
COLOURS = ("#1d4f91", "#c2410c", "#15803d")  # dark enough on white for 3:1 non-text contrast


def _frame(title: str, description: str, body: list[str]) -> Markup:
    slug = abs(hash(title)) % 10**8
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="t{slug} d{slug}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="t{slug}">{escape(title)}</title>'
        f'<desc id="d{slug}">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _axes(labels: Sequence[str], top: float, unit: str) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'class="axis"/>'
    ]
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(value)}{unit}</text>'
        )
    step = -(-len(labels) // 7) or 1  # at most 7 labels under the axis, so none overlap
    for i, label in enumerate(labels):
        if i % step == 0:
            x = LEFT + plot_w * (i + 0.5) / max(len(labels), 1)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return parts


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def _legend(names: Sequence[str]) -> list[str]:
    parts = []
    for i, name in enumerate(names):
        x = LEFT + i * 180
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{COLOURS[i]}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 5}">{escape(name)}</text>'
        )
    return parts


def stacked_bars(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> Markup:
    """Bars per label, each stacked from the series in order."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = max(totals, default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    width = plot_w / max(len(labels), 1)
    body = _axes(labels, top, "")
    for i, label in enumerate(labels):
        y = float(TOP + plot_h)
        for colour, (name, values) in zip(COLOURS, series.items(), strict=False):
            h = plot_h * values[i] / top
            y -= h
            body.append(
                f'<rect x="{LEFT + width * i + width * 0.15:.1f}" y="{y:.1f}" '
                f'width="{width * 0.7:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(label)}: {values[i]:g} {escape(name)}</title></rect>"
            )
    body += _legend(list(series))
    summary = "; ".join(
        f"{label}: " + ", ".join(f"{v[i]:g} {n}" for n, v in series.items())
        for i, label in enumerate(labels)
    )
    return _frame(title, summary or "no data", body)


def lines(
    title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]], unit: str = ""
) -> Markup:
    """One line per series over the labels; missing values leave a gap."""
    values = [v for vs in series.values() for v in vs if v is not None]
    top = max(values, default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body = _axes(labels, top, unit)
    for colour, (_, points) in zip(COLOURS, series.items(), strict=False):
        xy = [
            (LEFT + plot_w * (i + 0.5) / max(len(labels), 1), TOP + plot_h - plot_h * v / top)
            for i, v in enumerate(points)
            if v is not None
        ]
        if xy:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in xy]
    body += _legend(list(series))

    def said(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3g}{unit}"

    summary = "; ".join(
        f"{label}: " + ", ".join(f"{n} {said(v[i])}" for n, v in series.items())
        for i, label in enumerate(labels)
    )
    return _frame(title, summary or "no data", body)
