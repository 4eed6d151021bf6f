"""The in-memory view, for unit tests and the `memory:` store: the same tables and the
same exactly-once position as the database views (`projections.views`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.popo import POPOTrackingRecorder

from projections.sql import RowRefused
from projections.tables import Changes, Key, Row, Table


class MemoryView(POPOTrackingRecorder):
    """The same view in memory, for unit tests and the `memory:` store."""

    def __init__(self, tables: Sequence[Table]) -> None:
        super().__init__()
        self.tables = {t.name: t for t in tables}
        self._rows: dict[str, dict[Key, Row]] = {t.name: {} for t in tables}

    def write(self, changes: Changes, tracking: Tracking, after: int) -> None:
        self.write_prepared(self.prepare(changes), tracking, after)

    def prepare(self, changes: Changes) -> Changes:
        """The changes with every row encoded and decoded again: memory then holds what
        the databases would, and the rows can change again after."""
        prepared = Changes(deletes={n: set(keys) for n, keys in changes.deletes.items()})
        for name, rows in changes.puts.items():
            table = self.tables[name]
            prepared.puts[name] = {k: table.decode(table.encode(r)) for k, r in rows.items()}
        for name in changes.new.keys() | changes.added.keys():
            table = self.tables[name]
            fresh = [*changes.new.get(name, {}).values(), *changes.added.get(name, ())]
            puts = prepared.puts.setdefault(name, {})
            deleted = prepared.deletes.get(name, set())
            for row in fresh:
                key = table.key_of(row)
                if (key in self._rows[name] and key not in deleted) or key in puts:
                    raise RowRefused(f"{table.name} already has a row {key}")
                puts[key] = table.decode(table.encode(row))
        return prepared

    def write_prepared(self, prepared: Changes, tracking: Tracking, after: int) -> None:
        with self._database_lock:
            if (self._max_tracking_ids[tracking.application_name] or 0) != after:
                raise IntegrityError(f"{tracking.application_name} is no longer at {after}")
            for name, keys in prepared.deletes.items():
                for key in keys:
                    self._rows[name].pop(key, None)
            for name, rows in prepared.puts.items():
                self._rows[name].update(rows)
            self._insert_tracking(tracking)

    def get(self, table: Table, key: Key) -> Row | None:
        with self._database_lock:
            row = self._rows[table.name].get(tuple(key))
            return dict(row) if row is not None else None

    def select(
        self, table: Table, where: Mapping[str, Any] | None = None, order_by: Sequence[str] = ()
    ) -> list[Row]:
        with self._database_lock:
            rows = [
                dict(r)
                for r in self._rows[table.name].values()
                if all(r.get(c) == v for c, v in (where or {}).items())
            ]
        for column in reversed(order_by):
            rows.sort(key=lambda r, c=column: (r[c] is not None, r[c]))  # type: ignore[misc]
        return rows

    def select_after(self, table: Table, column: str, after: Any, limit: int) -> list[Row]:
        with self._database_lock:
            rows = [dict(r) for r in self._rows[table.name].values() if r[column] > after]
        return sorted(rows, key=lambda r: r[column])[:limit]

    def reset(self, application_name: str) -> None:
        with self._database_lock:
            for rows in self._rows.values():
                rows.clear()
            self._max_tracking_ids.pop(application_name, None)

    def ensure_position(self, application_name: str) -> None:
        """In memory, no position is the start."""

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """In memory there is nothing to defer."""
        yield
