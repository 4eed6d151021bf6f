"""The cancellation report's plots, drawn from the alerts its submission recorded.

Each plot has a title, labelled axes, a legend and whole-number ticks on its counts; alerts
are split into true, false and not adjudicated, and the scores plot marks every threshold
that was in force with the alerts raised at it. No image of any person appears.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from services.report_words import LOCAL  # noqa: E402

#: The alerts' verdicts, in the order (and colours) every plot shows them.
VERDICTS: tuple[tuple[str, str, str], ...] = (
    ("true", "true alerts", "#1d70b8"),
    ("false", "false alerts", "#d4351c"),
    ("pending", "not adjudicated", "#b1b4b6"),
)
SIZE = (7.5, 3.4)  # inches; shown at 100 % of the page's width, up to 720 CSS pixels


def _figure(title: str, xlabel: str) -> tuple[Figure, Any]:
    figure = Figure(figsize=SIZE, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("Alerts")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axes.grid(axis="y", alpha=0.3)
    return figure, axes


def _by_verdict(alerts: Sequence[dict[str, Any]], key: str) -> list[list[float]]:
    return [
        [a[key] for a in alerts if a["verdict"] == v and a[key] is not None] for v, *_ in VERDICTS
    ]


def _stacked_hist(axes: Any, series: list[list[float]], bins: Any) -> None:
    labels = [label for _, label, _ in VERDICTS]
    colours = [colour for *_, colour in VERDICTS]
    axes.hist(series, bins=bins, stacked=True, label=labels, color=colours)


def alerts_per_hour(alerts: Sequence[dict[str, Any]]) -> Figure:
    figure, axes = _figure("Alerts per hour", "Hour (London time)")
    hours = sorted({_hour(a["observed_at"]) for a in alerts}) or ["–"]
    bottom = [0] * len(hours)
    for verdict, label, colour in VERDICTS:
        counts = [sum(_hour(a["observed_at"]) == h and a["verdict"] == verdict for a in alerts)
                  for h in hours]  # fmt: skip
        axes.bar(hours, counts, bottom=bottom, label=label, color=colour)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.legend(loc="best", fontsize="small")
    return figure


def _hour(iso: str) -> str:
    at = datetime.fromisoformat(iso).astimezone(LOCAL)
    return f"{at:%H}:00"


def scores(alerts: Sequence[dict[str, Any]], thresholds: Sequence[dict[str, Any]]) -> Figure:
    figure, axes = _figure("Scores of true and false alerts", "Similarity score")
    low = min([a["score"] for a in alerts] + [t["threshold"] for t in thresholds] + [0.5])
    bins = [round(low - 0.01 + n * 0.01, 2) for n in range(int((1.01 - low) / 0.01) + 2)]
    _stacked_hist(axes, _by_verdict(alerts, "score"), bins)
    for n, period in enumerate(thresholds):
        raised = period["alerts"]
        axes.axvline(
            period["threshold"],
            color="black",
            linestyle=("--", ":", "-.")[n % 3],
            label=f"threshold {period['threshold']:g} ({raised} alert{'' if raised == 1 else 's'})",
        )
    axes.legend(loc="best", fontsize="small")
    return figure


def delays(alerts: Sequence[dict[str, Any]]) -> Figure:
    figure, axes = _figure("Time from alert to adjudication", "Minutes from the alert")
    series = [[s / 60 for s in group] for group in _by_verdict(alerts, "delay_s")][:2]
    longest = max([m for group in series for m in group] + [1.0])
    bins = [longest * n / 20 for n in range(21)]
    axes.hist(
        series,
        bins=bins,
        stacked=True,
        label=[label for _, label, _ in VERDICTS[:2]],
        color=[colour for *_, colour in VERDICTS[:2]],
    )
    axes.legend(loc="best", fontsize="small")
    return figure


def report_figures(record: dict[str, Any]) -> list[tuple[str, Figure]]:
    """(title, figure) of each plot of a report's recorded figures."""
    alerts, thresholds = record.get("alerts", []), record.get("thresholds", [])
    return [
        ("Alerts per hour", alerts_per_hour(alerts)),
        ("Scores of true and false alerts", scores(alerts, thresholds)),
        ("Time from alert to adjudication", delays(alerts)),
    ]


def png(figure: Figure, dpi: int = 96) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
