"""Every kind of tampering with the real database is detected and the entry is named.

Each test changes the SQLite or PostgreSQL database with SQL, outside the application,
then verifies the ledger.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ledger.checkpoint import SigningKey
from tests.ledger.conftest import Database


def assert_names(db: Database, notification_id: int, reason: str) -> None:
    report = db.ledger.verify()
    assert not report.ok
    assert report.first_bad is not None, report.summary()
    assert report.first_bad.notification_id == notification_id, report.summary()
    assert reason in report.first_bad.reason, report.summary()
    assert f"notification {notification_id}" in report.summary()


def test_an_untouched_store_verifies(database: Database) -> None:
    database.ledger.checkpoint()
    report = database.ledger.verify()
    assert report.ok, report.summary()
    assert report.size == 15


def test_verification_names_an_event_whose_payload_was_edited(database: Database) -> None:
    database.ledger.checkpoint()
    state = bytes(database.event(5)[3]).replace(b"note 4", b"note X")
    database.sql(
        f"UPDATE {database.events_table} SET state = %s WHERE {database.nid_column} = 5", (state,)
    )
    assert_names(database, 5, "edited")
    report = database.ledger.verify()
    assert [c.ok for c in report.checkpoints] == [False, False]


def test_verification_names_an_event_whose_time_was_edited(database: Database) -> None:
    state = bytes(database.event(7)[3])
    earlier = re.sub(rb'"_data_":"\d{4}', b'"_data_":"1999', state)
    assert earlier != state
    database.sql(
        f"UPDATE {database.events_table} SET state = %s WHERE {database.nid_column} = 7", (earlier,)
    )
    assert_names(database, 7, "edited")


def test_verification_names_an_event_whose_topic_was_edited(database: Database) -> None:
    database.sql(
        f"UPDATE {database.events_table} SET topic = topic || 'X' WHERE {database.nid_column} = 3"
    )
    assert_names(database, 3, "edited")


def test_verification_names_an_event_whose_originator_was_edited(database: Database) -> None:
    other = uuid.uuid4()
    value = other.hex if database.kind == "sqlite" else other
    database.sql(
        f"UPDATE {database.events_table} SET originator_id = %s WHERE {database.nid_column} = 9",
        (value,),
    )
    assert_names(database, 9, "edited")


def test_verification_names_an_event_whose_version_was_edited(database: Database) -> None:
    database.sql(
        f"UPDATE {database.events_table} SET originator_version = originator_version + 7 "
        f"WHERE {database.nid_column} = 14"
    )
    assert_names(database, 14, "edited")


def test_verification_names_a_deleted_event(database: Database) -> None:
    database.sql(f"DELETE FROM {database.events_table} WHERE {database.nid_column} = 6")
    assert_names(database, 6, "deleted")


def test_verification_names_an_inserted_event(database: Database) -> None:
    oid, _, topic, state = database.event(2)
    database.sql(
        f"INSERT INTO {database.events_table} (originator_id, originator_version, topic, state) "
        "VALUES (%s, %s, %s, %s)",
        (oid, 99, topic, state),
    )
    assert_names(database, 16, "inserted")


def test_verification_names_the_first_of_two_swapped_events(database: Database) -> None:
    table, nid = database.events_table, database.nid_column
    database.sql(f"UPDATE {table} SET {nid} = -1 WHERE {nid} = 4")
    database.sql(f"UPDATE {table} SET {nid} = 4 WHERE {nid} = 8")
    database.sql(f"UPDATE {table} SET {nid} = 8 WHERE {nid} = -1")
    assert_names(database, 4, "edited or moved")


def test_an_event_rewritten_together_with_its_ledger_hash_fails_the_checkpoint(
    database: Database,
) -> None:
    from ledger.leaf import StoredRow, row_leaf_hash

    database.ledger.checkpoint()
    oid, version, topic, state = database.event(5)
    state = bytes(state).replace(b"note 4", b"note X")
    database.sql(
        f"UPDATE {database.events_table} SET state = %s WHERE {database.nid_column} = 5", (state,)
    )
    row = StoredRow(database.events_table, 5, str(oid), version, topic, state)
    database.sql("UPDATE ledger_leaves SET leaf_hash = %s WHERE idx = 4", (row_leaf_hash(row),))
    report = database.ledger.verify()
    assert not report.ok
    assert "root differs" in report.checkpoints[0].reason
    # Only the signed root can tell: the report names the range, not a wrong entry.
    assert report.first_bad is not None and report.first_bad.index is None
    assert (report.first_bad.first, report.first_bad.last) == (0, 14)
    assert "an entry in 0..14" in report.summary()


def test_verification_reports_an_edited_checkpoint(database: Database) -> None:
    database.ledger.checkpoint()
    database.sql(
        "UPDATE ledger_checkpoints SET body = replace(body, %s, %s), tree_size = 14",
        ("\n15\n", "\n14\n"),
    )
    report = database.ledger.verify()
    stored = report.checkpoints[0]
    assert not report.ok and not stored.ok
    assert "edited" in stored.reason
    assert "checkpoint of size 14" in report.summary()


def test_verification_reports_a_checkpoint_signed_by_an_unknown_key(database: Database) -> None:
    checkpoint = database.ledger.checkpoint()
    forger = SigningKey(checkpoint.origin, b"F" * 32)
    forged = type(checkpoint)(
        checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash
    ).signed_by(forger)
    database.sql("UPDATE ledger_checkpoints SET signatures = %s", (forged.signature_lines(),))
    report = database.ledger.verify()
    assert not report.ok
    assert "unknown key" in report.checkpoints[0].reason


def test_verification_detects_a_rollback_of_the_whole_store(database: Database) -> None:
    first = database.ledger.checkpoint()
    snapshot = _snapshot(database)
    for i in range(3):
        database.app.write(f"later note {i}")
    database.ledger.checkpoint()
    _restore(database, snapshot)
    assert database.ledger.latest_checkpoint() == first
    report = database.ledger.verify()
    assert not report.ok
    assert "rolled back" in report.summary()


def _snapshot(db: Database) -> dict[str, list[Any]]:
    tables = [db.events_table, "ledger_leaves", "ledger_nodes", "ledger_checkpoints"]
    columns = {db.events_table: f"{db.nid_column}, originator_id, originator_version, topic, state"}
    return {t: db.sql(f"SELECT {columns.get(t, '*')} FROM {t}") for t in tables}


def _restore(db: Database, snapshot: dict[str, list[Any]]) -> None:
    """Put every table back as it was: what restoring an old backup does."""
    for table, rows in snapshot.items():
        db.sql(f"DELETE FROM {table}")
        names = (
            f"({db.nid_column}, originator_id, originator_version, topic, state)"
            if table == db.events_table
            else ""
        )
        for row in rows:
            marks = ", ".join(["%s"] * len(row))
            db.sql(f"INSERT INTO {table} {names} VALUES ({marks})", tuple(row))
