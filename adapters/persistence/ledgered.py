"""What the SQLite and PostgreSQL ledgered recorders share, written once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent


class LedgeredSql:
    """Registers the events table as a log of the ledger, and runs the writes that must
    commit with the events (`with_events`: a new subject's data key, each with
    `write(cursor)`) in the events' own transaction, before they are inserted."""

    ledger_store: Any
    events_table_name: str
    writes_with_events = True

    def create_table(self) -> None:
        super().create_table()  # type: ignore[misc]
        self.ledger_store.log_id(self.events_table_name)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        # Registering the log needs its own transaction, so it happens first (once).
        self.ledger_store.log_id(self.events_table_name)
        return super().insert_events(stored_events, **kwargs)  # type: ignore[misc]

    @staticmethod
    def _write_with_events(cursor: Any, kwargs: dict[str, Any]) -> None:
        for other in kwargs.get("with_events", ()):
            other.write(cursor)
