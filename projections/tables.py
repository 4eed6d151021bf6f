"""Read-model tables: a fixed schema each, and the changes one batch of events makes to them.

A projection declares its tables as `Table`s; the view (`projections.views`) creates them
in the event store's database and writes a batch's `Changes` together with the
projection's tracking record in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ColumnType = Literal["text", "int", "real", "json"]
Row = dict[str, Any]
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """One read-model table: its columns (name -> type), primary key and indexes.

    `json` columns hold lists or dicts, stored as JSON text and decoded on read."""

    name: str
    columns: Mapping[str, ColumnType]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    def key_of(self, row: Mapping[str, Any]) -> Key:
        return tuple(row[c] for c in self.key)

    def encode(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row's values in column order, JSON columns as text; unknown keys refused."""
        if row.keys() - self.columns.keys():
            raise ValueError(
                f"{self.name} has no columns {sorted(row.keys() - self.columns.keys())}"
            )
        values = [row.get(c) for c in self.columns]
        for index in self._json_positions:
            values[index] = json.dumps(values[index], sort_keys=True)
        return tuple(values)

    @property
    def _json_positions(self) -> list[int]:
        return [i for i, t in enumerate(self.columns.values()) if t == "json"]

    def decode(self, values: Iterable[Any]) -> Row:
        row = dict(zip(self.columns, values, strict=True))
        for c, t in self.columns.items():
            if t == "json" and row[c] is not None:
                row[c] = json.loads(row[c])
        return row


@dataclass
class Changes:
    """What one batch does to the tables: rows put (insert or replace) and rows deleted."""

    puts: dict[str, dict[Key, Row]] = field(default_factory=dict)
    deletes: dict[str, set[Key]] = field(default_factory=dict)

    def put(self, table: Table, row: Row) -> None:
        key = table.key_of(row)
        self.puts.setdefault(table.name, {})[key] = row
        self.deletes.get(table.name, set()).discard(key)

    def delete(self, table: Table, key: Key) -> None:
        self.puts.get(table.name, {}).pop(key, None)
        self.deletes.setdefault(table.name, set()).add(key)

    def __bool__(self) -> bool:
        return any(self.puts.values()) or any(self.deletes.values())
