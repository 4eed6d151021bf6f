"""A tiny event-sourced application of the tests' own: notes that can be edited."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Note(Aggregate):
    """A note whose text changes over time."""

    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Edited")
    def edit(self, text: str) -> None:
        self.text = text


class Notebook(Application[UUID]):
    """Writes and edits notes; each call stores events."""

    def write(self, text: str) -> UUID:
        note = Note(text)
        self.save(note)
        return note.id

    def edit(self, note_id: UUID, text: str) -> None:
        note: Note = self.repository.get(note_id)
        note.edit(text)
        self.save(note)


def notebook_for(url: str, tmp_env: dict[str, str] | None = None, **env: Any) -> Notebook:
    """A Notebook on the store a LFR_DATABASE_URL names, through the ledgered persistence."""
    from runtime.settings import StoreLocation

    return Notebook(env={**StoreLocation.parse(url).eventsourcing_env(), **(tmp_env or {}), **env})
