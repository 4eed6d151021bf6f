"""Read-model tables: a fixed schema each, and the changes one batch of events makes to them.

A projection declares its tables as `Table`s; the view (`projections.views`) creates them
in the event store's database and writes a batch's `Changes` together with the
projection's tracking record in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any, Literal

import orjson

ColumnType = Literal["text", "int", "real", "json"]
Row = dict[str, Any]
Key = tuple[Any, ...]
# A row as it is stored: its values in column order, JSON columns already as text. Rows
# a projection writes many of (an alert raised, a timeline entry) are built this way: no
# dict to build and take apart again.
Values = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """One read-model table: its columns (name -> type), primary key and indexes.

    `json` columns hold lists or dicts, stored as JSON text and decoded on read."""

    name: str
    columns: Mapping[str, ColumnType]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    def key_of(self, row: Mapping[str, Any] | Values) -> Key:
        if isinstance(row, tuple):
            return self.key_of_values(row)
        if len(self.key) == 1:
            return (row[self.key[0]],)
        return tuple(row[c] for c in self.key)

    @cached_property
    def key_of_values(self) -> Callable[[Values], Key]:
        """The key of a row given as `Values` (in C: no Python call per row)."""
        positions = [list(self.columns).index(c) for c in self.key]
        if len(positions) == 1:
            return itemgetter(slice(positions[0], positions[0] + 1))  # a 1-tuple
        return itemgetter(*positions)

    def encode(self, row: Mapping[str, Any] | Values) -> Values:
        """The row's values in column order, JSON columns as text; unknown keys refused.
        `Values` are already encoded: they are checked for their length only."""
        if isinstance(row, tuple):
            if len(row) != len(self.columns):
                raise ValueError(f"{self.name} has {len(self.columns)} columns, not {len(row)}")
            return row
        try:
            values = self._getter(row)
        except KeyError:
            values = None
        if values is None or len(row) != len(self.columns):  # a column missing, or unknown
            if row.keys() - self.columns.keys():
                unknown = sorted(row.keys() - self.columns.keys())
                raise ValueError(f"{self.name} has no columns {unknown}")
            values = tuple(row.get(c) for c in self.columns)
        if not self._json_positions:
            return values
        encoded = list(values)
        for index in self._json_positions:
            encoded[index] = orjson.dumps(encoded[index], option=orjson.OPT_SORT_KEYS).decode()
        return tuple(encoded)

    def values_of(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row's values in column order, None for a column it lacks (in C when it has
        them all)."""
        try:
            return self._getter(row)
        except KeyError:
            return tuple(row.get(c) for c in self.columns)

    @cached_property
    def _getter(self) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        names = tuple(self.columns)
        if len(names) == 1:
            return lambda row: (row[names[0]],)
        return itemgetter(*names)

    @cached_property
    def _json_positions(self) -> tuple[int, ...]:
        return tuple(i for i, t in enumerate(self.columns.values()) if t == "json")

    @cached_property
    def _json_columns(self) -> tuple[str, ...]:
        return tuple(c for c, t in self.columns.items() if t == "json")

    def decode(self, values: Iterable[Any]) -> Row:
        row = dict(zip(self.columns, values, strict=True))
        for c in self._json_columns:
            if row[c] is not None:
                row[c] = orjson.loads(row[c])
        return row


@dataclass
class Changes:
    """What one batch does to the tables: rows put (insert or replace, as a dict or as
    `Values`), rows new to the table (`insert`, `add`: PostgreSQL copies them in) and rows
    deleted."""

    puts: dict[str, dict[Key, Row | Values]] = field(default_factory=dict)
    deletes: dict[str, set[Key]] = field(default_factory=dict)
    # Rows whose key is not in the table yet, by key: put again, they stay new.
    new: dict[str, dict[Key, Row | Values]] = field(default_factory=dict)
    # New rows never read, changed or deleted again (`add`).
    added: dict[str, list[Row | Values]] = field(default_factory=dict)

    def put(self, table: Table, row: Row | Values, key: Key | None = None) -> None:
        key = table.key_of(row) if key is None else key
        new = self.new.get(table.name)
        if new is not None and key in new:
            new[key] = row
            return
        puts = self.puts.get(table.name)
        if puts is None:
            puts = self.puts[table.name] = {}
        puts[key] = row
        deleted = self.deletes.get(table.name)
        if deleted:
            deleted.discard(key)

    def insert(self, table: Table, row: Row | Values, key: Key) -> None:
        new = self.new.get(table.name)
        if new is None:
            new = self.new[table.name] = {}
        new[key] = row

    def delete(self, table: Table, key: Key) -> None:
        self.puts.get(table.name, {}).pop(key, None)
        self.new.get(table.name, {}).pop(key, None)
        self.deletes.setdefault(table.name, set()).add(key)

    def add(self, table: Table, row: Row | Values) -> None:
        added = self.added.get(table.name)
        if added is None:
            added = self.added[table.name] = []
        added.append(row)

    def __bool__(self) -> bool:
        parts = (self.puts, self.deletes, self.new, self.added)
        return any(any(part.values()) for part in parts)
