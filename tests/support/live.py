"""A live deployment on real faces for the browser tests: three people on the watchlist,
enrolled with the face engine, and videos of the first of them walking past the camera."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from cli.sample import walk_past_video
from domain.values import PreDeploymentCheck
from recognition.engines import load_engine
from recognition.enrol import template_from_image
from runtime.bootstrap import Services
from tests.scenario import (
    AO,
    APPLICANT,
    AUTHORITY,
    ENGAGER,
    GOLD,
    OPERATOR,
    SECTIONS,
    entry,
    proposal,
)
from tests.support.faces import photos

PEOPLE = ("Ali_Naimi", "Allyson_Felix", "Ana_Guevara")


def live_deployment(
    services: Services,
    faces: Path,
    ends_at: datetime | None = None,
    cameras: tuple[str, ...] = ("camera-1",),
) -> UUID:
    """A deployment started now with `PEOPLE` enrolled; the first is the one sought. Its
    authorised window ends at `ends_at` (default: in about 8 hours), on `cameras`."""
    lfr = services.lfr
    application = lfr.identify_need(APPLICANT, "Locate wanted offenders", "Crime Hotspot")
    lfr.submit_intelligence_case(APPLICANT, application, "F3-WEB", "Robbery hotspot")
    start = datetime.now(UTC) - timedelta(minutes=5)
    hours = (ends_at - start) / timedelta(hours=1) if ends_at else 8
    window = proposal(start, hours=hours, cameras=cameras)
    lfr.submit_application(APPLICANT, application, SECTIONS, window, AO.id)
    deployment = lfr.grant_authority(AO, application, AUTHORITY)
    lfr.appoint_command(GOLD, deployment, {"operators": [OPERATOR.id], "engagement": [ENGAGER.id]})
    for check in PreDeploymentCheck:
        lfr.record_pre_deployment(GOLD, deployment, check, f"{check.value} done")
    engine = load_engine(services.settings)
    entries = []
    for person in PEOPLE:
        image = photos(faces, person)[0].read_bytes()
        template = template_from_image(engine, image)
        entries.append(
            lfr.add_watchlist_entry(
                APPLICANT, deployment, entry(person), image, template.vector.tobytes(),
                engine.model_id,
            )
        )  # fmt: skip
    lfr.compile_watchlist(APPLICANT, deployment, entries)
    lfr.review_watchlist(GOLD, deployment, "Reviewed")
    lfr.import_watchlist(OPERATOR, deployment, "encrypted USB")
    lfr.start_deployment(GOLD, deployment)
    return deployment


def sought_walks_past(faces: Path, path: Path, photo: int) -> Path:
    """A video in which the sought person (another photo than the enrolled one) passes once."""
    return walk_past_video(path, [photos(faces, PEOPLE[0])[photo]])
