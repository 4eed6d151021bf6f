"""Personal data is sealed (encrypted under its own data key) before it enters an event."""

from __future__ import annotations

from typing import Protocol


class Sealer(Protocol):
    """Seals one data subject's bytes under that subject's own key, kept apart from the events.

    `open` raises `domain.errors.DataErased` once `destroy` has run for the subject."""

    def seal(self, subject_id: str, plaintext: bytes) -> bytes: ...

    def open(self, subject_id: str, sealed: bytes) -> bytes: ...

    def destroy(self, subject_id: str) -> None: ...
