"""`lfr demo`: one complete deployment lifecycle on the configured stores, narrated.

The officers' decisions are scripted (the demo stands in for the people); everything else is the
real system: the domain, the vault, the face engine over a real video, the broker, the ingest,
the projections, retention and the ledger.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from cli.paperwork import LOCATION, SECTIONS, authority, entry, proposal
from cli.progress import progress
from cli.sample import Person, astronaut_folder, demo_video, people_in
from domain.alert import TOLD_AND_GIVEN_LEAFLET, Alert
from domain.values import (
    Actor,
    Adjudication,
    Disposal,
    EngagementOutcome,
    PreDeploymentCheck,
    Role,
    UseCase,
    WatchlistCategory,
)
from projections.register import counts_of
from recognition.engines import load_engine
from runtime.bootstrap import Services
from runtime.live import run_worker_in_process
from services.enrolment import EnrolmentError, enrol
from services.errors import UserError
from services.report import (
    cancellation_report_html,
    cancellation_report_pdf,
    submit_cancellation_report,
)
from services.retention import retention_view

APPLICANT = Actor("insp-okafor", Role.APPLICANT)
AO = Actor("supt-hughes", Role.AUTHORISING_OFFICER)
GOLD = Actor("ci-patel", Role.GOLD)
OPERATOR = Actor("pc-lewis", Role.OPERATOR)
ENGAGER = Actor("pc-ahmed", Role.ENGAGEMENT_OFFICER)
SWEEPER = Actor("retention-sweeper", Role.SYSTEM)


@dataclass
class DemoOptions:
    video: Path | None = None
    watchlist: Path | None = None
    threshold: float | None = None


@dataclass
class Narrative:
    """What happened, step by step: printed as it goes, or collected for --json."""

    say: Callable[[str], None]
    steps: list[dict[str, Any]] = field(default_factory=list)

    def step(self, name: str, text: str, **facts: Any) -> None:
        self.steps.append({"step": name, "text": text, **facts})
        self.say(f"- {text}")


def run(services: Services, options: DemoOptions, narrative: Narrative) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lfr-demo-") as scratch:
        work = Path(scratch)
        people, distractors = _watchlist_people(options, work)
        video = options.video or demo_video(work / "walk-past.avi", people, distractors)
        if not video.is_file():
            raise UserError(f"no such video: {video}")
        deployment_id = _authorise(services, options, narrative, len(people))
        _prepare(services, deployment_id, people, narrative)
        summary = _live(services, deployment_id, video, narrative)
        alerts = _adjudicate(services, deployment_id, narrative)
        closing = _close(services, deployment_id, narrative)
    return {
        "deployment_id": str(deployment_id),
        "recognition": summary,
        "alerts": alerts,
        **closing,
        "steps": narrative.steps,
    }


def _watchlist_people(options: DemoOptions, work: Path) -> tuple[list[Person], Path | None]:
    folder = options.watchlist or astronaut_folder(work / "watchlist")
    if not folder.is_dir():
        raise UserError(f"no such watchlist folder: {folder}")
    people = people_in(folder)
    if not people:
        raise UserError(f"{folder} holds no person folders with images")
    return people, folder / "_distractors"


def _authorise(services: Services, options: DemoOptions, narrative: Narrative, size: int) -> UUID:
    lfr, now = services.lfr, services.lfr.clock()
    application = lfr.identify_need(
        APPLICANT,
        "Locate wanted offenders linked to West End robberies",
        UseCase.CRIME_HOTSPOT.value,
    )
    lfr.submit_intelligence_case(
        APPLICANT, application, "F3-DEMO", "Robbery hotspot; offenders linked"
    )
    window = proposal(
        now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=8),
        watchlist_categories=(WatchlistCategory.WANTED_BY_COURTS,),
        watchlist_max_size=max(size, 1),
        threshold=options.threshold or 0.64,
    )
    lfr.submit_application(APPLICANT, application, SECTIONS, window, AO.id)
    narrative.step(
        "application",
        f"{APPLICANT.id} submitted the 8-section application for "
        f"{LOCATION.name} ({LOCATION.borough}), threshold {window.threshold}",
    )
    deployment = lfr.grant_authority(AO, application, authority(GOLD.id))
    narrative.step(
        "authority",
        f"{AO.id} granted the Written Authority (7 decisions); Gold {GOLD.id}",
        authority_id=str(application),
        deployment_id=str(deployment),
    )
    return deployment


def _prepare(
    services: Services, deployment: UUID, people: list[Person], narrative: Narrative
) -> None:

    lfr = services.lfr
    lfr.appoint_command(
        GOLD,
        deployment,
        {"silver": ["insp-silver"], "operators": [OPERATOR.id], "engagement": [ENGAGER.id]},
    )
    for check in PreDeploymentCheck:
        lfr.record_pre_deployment(
            GOLD, deployment, check, f"{check.value.replace('_', ' ')} in place"
        )
    engine = load_engine(services.settings)
    entries = []
    with progress("  … enrolling the watchlist", len(people)) as advance:
        for number, person in enumerate(people):
            image = person.images[0].read_bytes()
            details = entry(f"WL-{number:05d}")
            try:
                entries.append(enrol(lfr, engine, APPLICANT, deployment, details, image))
            except EnrolmentError as error:
                narrative.say(f"  (skipped {person.name}: {error})")
                continue
            advance(number + 1)
    if not entries:
        raise UserError("no watchlist image held a face that passed the quality gate")
    version = lfr.compile_watchlist(APPLICANT, deployment, entries)
    lfr.review_watchlist(GOLD, deployment, "Reviewed against the intelligence case")
    lfr.import_watchlist(OPERATOR, deployment, "encrypted USB")
    narrative.step(
        "watchlist",
        f"watchlist of {len(entries)} entries compiled, reviewed and imported "
        f"(engine {engine.model_id}, version {version[:12]})",
        entries=len(entries),
    )


def _live(
    services: Services, deployment: UUID, video: Path, narrative: Narrative
) -> dict[str, Any]:

    services.lfr.start_deployment(GOLD, deployment)
    narrative.step("start", f"deployment started at {LOCATION.name}")
    summary = run_worker_in_process(services, deployment, video)
    narrative.step(
        "recognition",
        f"worker processed {summary['frames']} frames: "
        f"{summary['faces_seen']} faces seen, {summary['alerts']} alerts",
        **summary,
    )
    return summary


def _adjudicate(services: Services, deployment: UUID, narrative: Narrative) -> list[dict[str, Any]]:
    lfr = services.lfr
    outcomes = []
    for number, alert_id in enumerate(alert_ids_of(services, deployment)):
        lfr.consult_probe_image(OPERATOR, alert_id, "Adjudicating the alert")
        if number == 0:
            lfr.adjudicate_alert(ENGAGER, alert_id, Adjudication.ENGAGE, "Viable match")
            lfr.record_engagement(
                ENGAGER,
                alert_id,
                EngagementOutcome.CONFIRMED_TRUE,
                240,
                stop=TOLD_AND_GIVEN_LEAFLET,
            )
            lfr.record_outcome(ENGAGER, alert_id, Disposal.ARREST, "Wanted by courts")
            outcome = "engaged: confirmed true, arrest"
        else:
            lfr.adjudicate_alert(OPERATOR, alert_id, Adjudication.ENGAGE, "Viable match")
            lfr.record_engagement(ENGAGER, alert_id, EngagementOutcome.NOT_STOPPED, 0)
            outcome = "engaged: not stopped (already in custody)"
        outcomes.append({"alert_id": str(alert_id), "outcome": outcome})
        narrative.step("adjudication", f"alert {str(alert_id)[:8]}: {outcome}")
    return outcomes


def alert_ids_of(services: Services, deployment: UUID) -> list[UUID]:

    notifications = services.lfr.recorder.select_notifications(
        start=1, limit=10**9, topics=[f"{Alert.__module__}:Alert.AlertRaised"]
    )
    events = [services.lfr.mapper.to_domain_event(n) for n in notifications]
    return [e.originator_id for e in events if e.deployment_id == deployment]  # type: ignore[attr-defined]


def _close(services: Services, deployment: UUID, narrative: Narrative) -> dict[str, Any]:

    lfr = services.lfr
    lfr.end_deployment(GOLD, deployment, "Operation complete")
    narrative.step("end", "deployment ended")
    erased = lfr.erase_watchlist(SWEEPER, deployment, "watchlist within 24 hours of the end")
    narrative.step(
        "retention", f"watchlist erased: {len(erased)} data keys destroyed", erased=len(erased)
    )
    models = services.read_models()
    models.catch_up()
    submit_cancellation_report(
        models,
        GOLD,
        deployment,
        {
            "evaluation": "Objectives met",
            "learning": "None recorded",
            "algorithm_assurance": "Threshold as authorised throughout",
        },
    )
    report = Path(services.settings.data_dir) / "reports" / f"cancellation-{deployment}.html"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(cancellation_report_html(lfr, deployment))
    report.with_suffix(".pdf").write_bytes(cancellation_report_pdf(lfr, deployment))
    narrative.step(
        "report",
        f"cancellation report (Form 1 Part 3) submitted: {report} (and as PDF)",
        report=str(report),
        pdf=str(report.with_suffix(".pdf")),
    )
    models.catch_up()
    row = models.register_row(deployment)
    periods = models.threshold_periods(deployment)
    lfr.publish_register_entry(GOLD, deployment, counts_of(row) if row else {}, periods)
    entry = lfr.public_row(deployment) or {}
    narrative.step(
        "register",
        f"register entry published: {entry.get('alerts')} alerts, "
        f"{entry.get('faces_seen')} faces seen",
        entry=entry,
    )
    return {"register_entry": entry, **_retention_and_ledger(services, narrative)}


def _retention_and_ledger(services: Services, narrative: Narrative) -> dict[str, Any]:
    view = retention_view(services.lfr, services.retention_rules, services.lfr.clock())
    counts = view.counts()
    narrative.step(
        "retention-report",
        "personal data: " + ", ".join(f"{n} {status}" for status, n in counts.items()),
        counts=counts,
    )
    ledger = services.ledger()
    checkpoint = ledger.checkpoint()
    verification = ledger.verify()
    narrative.step(
        "ledger",
        f"{verification.summary()}; checkpoint {checkpoint.tree_size} "
        f"root {checkpoint.root_hash.hex()[:16]}… signed by {services.settings.ledger_origin}",
        verified=verification.ok,
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash.hex(),
    )
    return {
        "retention": counts,
        "ledger": {
            "verified": verification.ok,
            "tree_size": checkpoint.tree_size,
            "root_hash": checkpoint.root_hash.hex(),
        },
    }
