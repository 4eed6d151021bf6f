"""Personal data is sealed (encrypted under its own data key) before it enters an event.

Faces and templates are bytes; names, references and officers' free-text notes about a person
are text, sealed the same way under the same subject's key (the watchlist entry's, the
alert's), so erasing the subject erases them all."""

from __future__ import annotations

from typing import Protocol


class Sealer(Protocol):
    """Seals one data subject's bytes under that subject's own key, kept apart from the events.

    `open` raises `domain.errors.DataErased` once `destroy` has run for the subject."""

    def seal(self, subject_id: str, plaintext: bytes) -> bytes: ...

    def open(self, subject_id: str, sealed: bytes) -> bytes: ...

    def destroy(self, subject_id: str) -> None: ...


class TextSealer(Protocol):
    """Seals text about one data subject: given to an aggregate, which names no key itself."""

    def __call__(self, text: str) -> bytes: ...


def text_sealer(sealer: Sealer, subject_id: object) -> TextSealer:
    """Seals text under `subject_id`'s key (UTF-8)."""
    subject = str(subject_id)

    def seal(text: str) -> bytes:
        return sealer.seal(subject, text.encode())

    return seal


def watchlist_subject(deployment_id: object) -> str:
    """The data subject whose key seals text about a deployment's watchlist as a whole (its
    review notes, its upload reports): no one person's, erased with the watchlist."""
    return f"watchlist:{deployment_id}"


def open_text(sealer: Sealer, subject_id: object, sealed: bytes) -> str:
    """The text sealed under `subject_id`'s key; `b""` (nothing recorded) opens as ''."""
    return sealer.open(str(subject_id), sealed).decode() if sealed else ""
