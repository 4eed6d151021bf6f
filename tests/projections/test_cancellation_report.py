"""The cancellation report is the document Gold submitted: Gold's text, the figures, the
timeline and the plots as the submission recorded them, in words people read, as HTML and PDF."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from uuid import UUID

import pytest

from domain.alert import TOLD_AND_GIVEN_LEAFLET
from domain.errors import NotFound
from domain.values import Adjudication, EngagementOutcome
from services.report import (
    amend_cancellation_report,
    cancellation_report_html,
    cancellation_report_pdf,
    submit_cancellation_report,
)
from services.report_plots import report_figures
from tests.projections.conftest import World
from tests.scenario import AO, ENGAGER, GOLD

GOLDS_TEXT = {
    "evaluation": "The deployment met its objective: two wanted people were found.",
    "learning": "Brief the engagement team on the leaflet before the start.",
    "algorithm_assurance": "Threshold raised to 0.7 after the NPL guidance was reread.",
    "notes": "Crowd was heavier than forecast after 11:00.",
}


def _alert(world: World, n: int, score: float) -> UUID:
    s = world.scenario
    return s.service.raise_alert(s.worker, s.match(n % 2, score=score, track=f"t{n}"))


def ran_with_two_thresholds(world: World) -> list[UUID]:
    """Three alerts at 0.64 (one true, one false, one left pending), a threshold change to
    0.7, one false alert at it; then the deployment ends."""
    s, lfr, clock = world.scenario, world.services.lfr, world.clock
    s.live()
    alerts = [_alert(world, n, score) for n, score in enumerate((0.91, 0.66, 0.7))]
    clock.advance(minutes=3)
    lfr.adjudicate_alert(ENGAGER, alerts[0], Adjudication.ENGAGE)
    lfr.record_engagement(
        ENGAGER, alerts[0], EngagementOutcome.CONFIRMED_TRUE, 240, stop=TOLD_AND_GIVEN_LEAFLET
    )
    lfr.adjudicate_alert(ENGAGER, alerts[1], Adjudication.FALSE_ALERT)
    clock.advance(minutes=30)
    lfr.authorise_threshold_change(AO, s.deployment, 0.7, "Too many alerts to adjudicate")
    clock.advance(minutes=20)
    alerts.append(_alert(world, 3, 0.72))
    clock.advance(minutes=1)
    lfr.adjudicate_alert(ENGAGER, alerts[3], Adjudication.FALSE_ALERT)
    clock.advance(hours=1)
    lfr.end_deployment(GOLD, s.deployment, "planned end")
    world.models.catch_up()
    return alerts


def submitted(world: World) -> list[UUID]:
    alerts = ran_with_two_thresholds(world)
    submit_cancellation_report(world.models, GOLD, world.scenario.deployment, GOLDS_TEXT)
    return alerts


def _unadjudicated(html: str) -> str:
    found = re.search(r"<th[^>]*>Alerts not adjudicated</th>\s*<td[^>]*>(\d+)</td>", html)
    assert found, "the report shows no count of alerts not adjudicated"
    return found.group(1)


def test_the_report_is_frozen_as_submitted_and_an_amendment_keeps_both_versions(
    world: World,
) -> None:
    lfr = world.services.lfr
    alerts = ran_with_two_thresholds(world)
    d = world.scenario.deployment
    with pytest.raises(NotFound, match="no cancellation report"):
        cancellation_report_html(lfr, d)
    submit_cancellation_report(world.models, GOLD, d, GOLDS_TEXT)
    as_submitted = cancellation_report_html(lfr, d)
    assert _unadjudicated(as_submitted) == "1"

    lfr.adjudicate_alert(ENGAGER, alerts[2], Adjudication.FALSE_ALERT)  # after the end
    world.models.catch_up()
    assert cancellation_report_html(lfr, d) == as_submitted  # later projections change nothing

    amended = {**GOLDS_TEXT, "learning": "Adjudicate every alert before standing down."}
    amend_cancellation_report(world.models, GOLD, d, amended, "The pending alert was adjudicated")
    # The first version is unchanged but for knowing that a second now follows it.
    first = cancellation_report_html(lfr, d, version=1)
    assert first == as_submitted.replace("Version 1 of 1", "Version 1 of 2")
    latest = cancellation_report_html(lfr, d)
    assert latest == cancellation_report_html(lfr, d, version=2)
    assert _unadjudicated(latest) == "0"
    assert "Adjudicate every alert before standing down." in latest
    assert "The pending alert was adjudicated" in latest and "Version 2 of 2" in latest
    with pytest.raises(NotFound, match="version 3"):
        cancellation_report_html(lfr, d, version=3)


class _Text(HTMLParser):
    """The text a reader sees (no markup, no style, no image data)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in {"style", "script"}

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in {"style", "script"}

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def test_the_report_reads_in_words_with_local_times_and_golds_own_text(
    memory_world: World,
) -> None:
    submitted(memory_world)
    html = cancellation_report_html(memory_world.services.lfr, memory_world.scenario.deployment)
    text = visible_text(html)

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    for written in GOLDS_TEXT.values():
        assert written in text
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text), "snake_case field names shown"
    assert not re.findall(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b", text), "class names shown"
    assert not re.findall(r"\d\d:\d\d:\d\d\.\d", text), "microseconds shown"
    assert not re.findall(r"\d{4}-\d\d-\d\dT\d", text), "raw ISO times shown"
    assert "26 Nov 2026" in text and "GMT" in text  # London time, as the day was
    assert "False alert rate" in text and "Cancellation report submitted" not in text
    assert "How it ended ended by the Gold team" in text
    assert "Alert adjudicated" in text and "Engagement officer" in text
    rows = re.findall(
        r'data-label="Threshold">(0\.\d+)<.*?data-label="Alerts raised at it">(\d+)<', html, re.S
    )
    assert rows == [("0.64", "3"), ("0.7", "1")]  # every threshold, with its alerts
    assert html.count("data:image/png;base64,") == 3


def test_the_reports_plots_are_labelled_with_whole_number_counts_and_split_true_and_false(
    memory_world: World,
) -> None:
    submitted(memory_world)
    from services.report import report_versions

    version = report_versions(memory_world.services.lfr, memory_world.scenario.deployment)[-1]
    figures = dict(report_figures(version["record"]))

    assert set(figures) == {
        "Alerts per hour",
        "Scores of true and false alerts",
        "Time from alert to adjudication",
    }
    for title, figure in figures.items():
        (axes,) = figure.axes
        figure.canvas.draw()
        assert axes.get_title() == title
        assert axes.get_xlabel() and axes.get_ylabel() == "Alerts"
        assert all(float(t).is_integer() for t in axes.get_yticks()), title
        assert axes.get_legend() is not None, title
    scores = figures["Scores of true and false alerts"].axes[0]
    labels = [t.get_text() for t in scores.get_legend().get_texts()]
    assert labels[:3] == ["true alerts", "false alerts", "not adjudicated"]
    assert "threshold 0.64 (3 alerts)" in labels and "threshold 0.7 (1 alert)" in labels


def test_the_report_as_pdf_holds_golds_text_the_figures_and_the_plots(
    memory_world: World,
) -> None:
    from pypdf import PdfReader

    submitted(memory_world)
    pdf = cancellation_report_pdf(memory_world.services.lfr, memory_world.scenario.deployment)

    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for written in GOLDS_TEXT.values():
        assert written in text
    assert "Alerts not adjudicated" in text and "Alert adjudicated" in text
    assert sum(len(page.images) for page in reader.pages) == 3


def test_gold_amends_the_figures_alone_once_they_changed_and_not_otherwise(
    memory_world: World,
) -> None:
    from domain.errors import RuleViolation

    lfr = memory_world.services.lfr
    alerts = submitted(memory_world)
    d = memory_world.scenario.deployment
    with pytest.raises(RuleViolation, match="same as the one in force"):
        amend_cancellation_report(memory_world.models, GOLD, d, GOLDS_TEXT, "nothing changed")

    lfr.adjudicate_alert(ENGAGER, alerts[2], Adjudication.FALSE_ALERT)
    amend_cancellation_report(memory_world.models, GOLD, d, GOLDS_TEXT, "late adjudication")
    assert _unadjudicated(cancellation_report_html(lfr, d)) == "0"
    assert _unadjudicated(cancellation_report_html(lfr, d, version=1)) == "1"
