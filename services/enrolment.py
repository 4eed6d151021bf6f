"""Enrolment: a watchlist image becomes a face template and then an entry of a deployment's
watchlist. The one way the API, the upload jobs and the demo add an entry from an image."""

from __future__ import annotations

from uuid import UUID

from domain.values import Actor
from domain.watchlist import EntryDetails
from recognition.engines.base import FaceEngine
from recognition.enrol import EnrolmentError, template_from_image
from services.lfr import LfrService

__all__ = ["EnrolmentError", "enrol"]


def enrol(
    lfr: LfrService,
    engine: FaceEngine,
    actor: Actor,
    deployment_id: UUID,
    details: EntryDetails,
    image: bytes,
    entry_id: UUID | None = None,
) -> UUID:
    """Adds the entry with the template of the one face in `image`; `EnrolmentError` (no
    usable face) before anything is stored."""
    template = template_from_image(engine, image)
    return lfr.add_watchlist_entry(
        actor, deployment_id, details, image, template.vector.tobytes(), engine.model_id, entry_id
    )
