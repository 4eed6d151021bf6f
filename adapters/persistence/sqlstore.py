"""The ledger's tables in a SQL database: the part SQLite and PostgreSQL share.

Tables (beside the events tables the eventsourcing library makes):
- `ledger_logs`: the events tables the ledger covers (log id, table name);
- `ledger_leaves`: one row per stored event, written in the event's own transaction:
  dense ledger index, log id, notification id, leaf hash;
- `ledger_nodes`: cached hashes of perfect subtrees of 2^4 leaves and more, built when a
  checkpoint is made, so proofs need a few lookups instead of a pass over the leaves;
- `ledger_checkpoints`: the signed checkpoints (signed body text, signatures as JSON).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from ledger.leaf import StoredRow
from ledger.source import LeafRecord, StoredCheckpoint

BATCH = 50_000


class SqlLedgerStore(ABC):
    """Ledger tables in one SQL database; subclasses give the dialect and connections."""

    marker = "?"  # the driver's DB-API parameter marker (sqlite3: ?, psycopg: %s)

    def __init__(self) -> None:
        self._log_ids: dict[str, int] = {}

    # -- what a dialect provides ---------------------------------------------------------

    @abstractmethod
    def table(self, name: str) -> str:
        """A table's name, quoted and qualified for this database."""

    @abstractmethod
    def ddl(self) -> list[str]:
        """The statements that create the ledger's tables if missing."""

    @abstractmethod
    def reading(self) -> AbstractContextManager[Any]:
        """A cursor for reads (inside the current snapshot when there is one)."""

    @abstractmethod
    def writing(self) -> AbstractContextManager[Any]:
        """A cursor in a transaction that commits when the block ends without error."""

    @abstractmethod
    def events_query(self, log: str) -> str:
        """SELECT the log (a parameter), notification id, originator id (text), version,
        topic, state (bytes) of one log's events above a notification id, in order, up to
        a limit."""

    @abstractmethod
    def register_log_sql(self) -> str:
        """INSERT of a log name that does nothing when it is already there."""

    # -- set-up --------------------------------------------------------------------------

    def create_tables(self) -> None:
        """Create the ledger's tables if they are missing."""
        with self.writing() as curs:
            for statement in self.ddl():
                curs.execute(statement)

    def log_id(self, name: str) -> int:
        """The id of an events table in the ledger, registering it the first time."""
        if name not in self._log_ids:
            logs = self.table("ledger_logs")
            with self.writing() as curs:
                curs.execute(self.register_log_sql(), (name,))
                curs.execute(f"SELECT log_id FROM {logs} WHERE name = {self.marker}", (name,))
                self._log_ids[name] = int(curs.fetchall()[0][0])
        return self._log_ids[name]

    # -- reading (LedgerSource) ------------------------------------------------------------

    def _logs(self) -> dict[int, str]:
        with self.reading() as curs:
            curs.execute(f"SELECT log_id, name FROM {self.table('ledger_logs')}")
            return {int(row[0]): str(row[1]) for row in curs.fetchall()}

    def log_names(self) -> list[str]:
        """The events tables the ledger covers."""
        return sorted(self._logs().values())

    def leaf_records(self) -> Iterator[LeafRecord]:
        """Every leaf record in ledger order, fetched in large batches."""
        names = self._logs()
        sql = (
            f"SELECT idx, log_id, notification_id, leaf_hash FROM {self.table('ledger_leaves')} "
            f"WHERE idx > {self.marker} ORDER BY idx LIMIT {self.marker}"
        )
        for rows in self.batches(sql, lambda last: (last, BATCH), -1, 0):
            yield from [LeafRecord(i, names.get(n, f"#{n}"), nid, h) for i, n, nid, h in rows]

    def leaf_records_between(self, start: int, end: int) -> list[LeafRecord]:
        """The leaf records of ledger indexes start..end-1 (an entry bundle's)."""
        return self._leaf_records(f"idx >= {self.marker} AND idx < {self.marker}", (start, end))

    def _leaf_records(self, where: str, params: Sequence[Any]) -> list[LeafRecord]:
        names = self._logs()
        with self.reading() as curs:
            curs.execute(
                "SELECT idx, log_id, notification_id, leaf_hash "
                f"FROM {self.table('ledger_leaves')} WHERE {where} ORDER BY idx",
                params,
            )
            rows = curs.fetchall()
        return [LeafRecord(i, names.get(n, f"#{n}"), nid, bytes(h)) for i, n, nid, h in rows]

    def stored_events(
        self, log: str, after: int = 0, limit: int | None = None
    ) -> Iterator[StoredRow]:
        """One log's stored events in notification order, fetched in large batches."""
        sql = self.events_query(log)
        if limit is not None:  # a few rows: one query
            with self.reading() as curs:
                curs.execute(sql, (log, after, limit))
                yield from map(StoredRow._make, curs.fetchall())
            return
        for rows in self.batches(sql, lambda last: (log, last, BATCH), after, 1):
            yield from map(StoredRow._make, rows)

    def batches(
        self, sql: str, params: Callable[[Any], Sequence[Any]], start: Any, key: int
    ) -> Iterator[list[Any]]:
        """Keyset pagination: run `sql` with `params(last key)` until a short batch."""
        last = start
        while True:
            with self.reading() as curs:
                curs.execute(sql, params(last))
                rows = curs.fetchall()
            yield rows
            if len(rows) < BATCH:
                return
            last = rows[-1][key]

    def stored_checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint, oldest first."""
        with self.reading() as curs:
            curs.execute(
                "SELECT seq, tree_size, body, signatures "
                f"FROM {self.table('ledger_checkpoints')} ORDER BY seq"
            )
            return [StoredCheckpoint(*row) for row in curs.fetchall()]

    def latest_stored_checkpoint(self, tree_size: int | None = None) -> StoredCheckpoint | None:
        """The newest checkpoint (of `tree_size` if given): one read of an index."""
        where = f"WHERE tree_size = {self.marker} " if tree_size is not None else ""
        with self.reading() as curs:
            curs.execute(
                "SELECT seq, tree_size, body, signatures "
                f"FROM {self.table('ledger_checkpoints')} {where}ORDER BY seq DESC LIMIT 1",
                () if tree_size is None else (tree_size,),
            )
            rows = curs.fetchall()
        return StoredCheckpoint(*rows[0]) if rows else None

    def replace_checkpoint(self, seq: int, body: str, signatures: str) -> None:
        """Rewrite a stored checkpoint (the move to signed notes)."""
        with self.writing() as curs:
            curs.execute(
                f"UPDATE {self.table('ledger_checkpoints')} SET body = {self.marker}, "
                f"signatures = {self.marker} WHERE seq = {self.marker}",
                (body, signatures, seq),
            )

    def replace_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Throw the node cache away and store `nodes` instead (rebuilt from the leaves)."""
        with self.writing() as curs:
            curs.execute(f"DELETE FROM {self.table('ledger_nodes')}")
            self.insert_nodes(curs, nodes)

    # -- lookups for proofs ------------------------------------------------------------------

    def size(self) -> int:
        """How many entries the ledger holds."""
        with self.reading() as curs:
            curs.execute(f"SELECT max(idx) FROM {self.table('ledger_leaves')}")
            top = curs.fetchall()[0][0]
        return 0 if top is None else int(top) + 1

    def entries_for(self, notification_id: int) -> list[LeafRecord]:
        """The ledger entries that record an event with this notification id (one per log)."""
        return self._leaf_records(f"notification_id = {self.marker}", (notification_id,))

    def leaf_hashes(self, indexes: Sequence[int]) -> dict[int, bytes]:
        """The stored leaf hashes at the given ledger indexes."""
        found: dict[int, bytes] = {}
        leaves = self.table("ledger_leaves")
        for chunk in _chunks(sorted(set(indexes)), 500):
            marks = ",".join([self.marker] * len(chunk))
            with self.reading() as curs:
                curs.execute(f"SELECT idx, leaf_hash FROM {leaves} WHERE idx IN ({marks})", chunk)
                found.update((int(i), bytes(h)) for i, h in curs.fetchall())
        return found

    def leaf_hash_range(self, start: int, end: int) -> list[bytes]:
        """The stored leaf hashes of ledger indexes start..end-1, in order."""
        result: list[bytes] = []
        sql = (
            f"SELECT leaf_hash FROM {self.table('ledger_leaves')} "
            f"WHERE idx >= {self.marker} AND idx < {self.marker} ORDER BY idx"
        )
        for low in range(start, end, BATCH * 4):
            with self.reading() as curs:
                curs.execute(sql, (low, min(end, low + BATCH * 4)))
                result.extend(bytes(row[0]) for row in curs.fetchall())
        return result

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Cached perfect-subtree hashes by (level, index at that level)."""
        found: dict[tuple[int, int], bytes] = {}
        table = self.table("ledger_nodes")
        for chunk in _chunks(sorted(set(keys)), 250):
            where = " OR ".join([f"(level = {self.marker} AND idx = {self.marker})"] * len(chunk))
            params = [value for key in chunk for value in key]
            with self.reading() as curs:
                curs.execute(f"SELECT level, idx, hash FROM {table} WHERE {where}", params)
                found.update(((int(lv), int(i)), bytes(h)) for lv, i, h in curs.fetchall())
        return found

    def built_size(self) -> int:
        """Up to which tree size the node cache is built (the largest checkpoint's size)."""
        with self.reading() as curs:
            curs.execute(  # the index on tree_size makes max() one read
                f"SELECT max(tree_size) FROM {self.table('ledger_checkpoints')}"
            )
            top = curs.fetchall()[0][0]
        return int(top or 0)

    # -- writing checkpoints -----------------------------------------------------------------

    def add_checkpoint(
        self, tree_size: int, body: str, signatures: str, nodes: Sequence[tuple[int, int, bytes]]
    ) -> int:
        """Store a checkpoint and the node cache built for it, in one transaction."""
        table = self.table("ledger_checkpoints")
        with self.writing() as curs:
            self.insert_nodes(curs, nodes)
            curs.execute(f"SELECT coalesce(max(seq), 0) + 1 FROM {table}")
            seq = int(curs.fetchall()[0][0])
            curs.execute(
                f"INSERT INTO {table} (seq, tree_size, body, signatures) "
                f"VALUES ({self.marker}, {self.marker}, {self.marker}, {self.marker})",
                (seq, tree_size, body, signatures),
            )
        return seq

    def insert_nodes(self, curs: Any, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Add cached node hashes (the PostgreSQL store uses COPY instead)."""
        curs.executemany(
            f"INSERT INTO {self.table('ledger_nodes')} (level, idx, hash) "
            f"VALUES ({self.marker}, {self.marker}, {self.marker})",
            list(nodes),
        )

    def set_signatures(self, seq: int, signatures: str) -> None:
        """Replace a checkpoint's signatures (a witness co-signed it)."""
        with self.writing() as curs:
            curs.execute(
                f"UPDATE {self.table('ledger_checkpoints')} SET signatures = {self.marker} "
                f"WHERE seq = {self.marker}",
                (signatures, seq),
            )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
