"""A database an attacker edited: nothing that can be recomputed is trusted, and verification
reports where the damage starts, never a traceback and never a wrong entry.

Each test edits the SQLite or PostgreSQL database with SQL, outside the application.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import urlparse

import pytest

from cli.main import main
from ledger.merkle import EMPTY_ROOT
from ledger.proofs import check_row_inclusion
from ledger.service import Ledger, LedgerError
from tests.ledger.conftest import LOG_KEY, Database
from tests.ledger.notebook import notebook_for


def fresh_ledger(db: Database, published: Path | None = None) -> Ledger:
    """The same store's ledger as another process would open it (nothing checked yet)."""
    return Ledger(
        db.app.recorder.ledger_store, "lfr-ledger", LOG_KEY,
        published_dir=published or db.ledger.published_dir,
    )  # fmt: skip


def grow(db: Database, notes: int) -> None:
    for i in range(notes):
        db.app.write(f"more {i}")


def corrupt_node(db: Database, level: int, index: int) -> None:
    db.sql(
        "UPDATE ledger_nodes SET hash = %s WHERE level = %s AND idx = %s",
        (b"\x07" * 32, level, index),
    )


def test_a_corrupted_node_cache_is_reported_and_rebuilt_before_signing(
    db_with_nodes: Database,
) -> None:
    db = db_with_nodes
    corrupt_node(db, 4, 0)
    report = db.ledger.verify()
    assert (
        not report.ok and "node cache differs from the leaves for entries 0..15" in report.summary()
    )
    grow(db, 3)
    ledger = fresh_ledger(db)
    signed = ledger.checkpoint()  # the cache is checked against the leaves first
    assert ledger.verify().ok, ledger.verify().summary()
    assert signed.tree_size == 38
    proof, row = ledger.prove_inclusion(4)
    check_row_inclusion(proof, row, signed, [ledger.log_key])  # type: ignore[list-item]


def test_a_node_corrupted_while_running_is_caught_by_the_proof_check(
    db_with_nodes: Database,
) -> None:
    db = db_with_nodes
    checkpoint = db.ledger.latest_checkpoint()
    assert checkpoint is not None
    db.ledger.prove_inclusion(3)  # the cache was checked in this process
    corrupt_node(db, 4, 0)  # entries 0..15: on the path of entry 20
    proof, row = db.ledger.prove_inclusion(21)
    check_row_inclusion(proof, row, checkpoint, [db.ledger.log_key])  # type: ignore[list-item]
    assert db.ledger.verify().ok  # the cache was rebuilt


def test_an_append_after_the_last_checkpoint_is_not_signed_over_a_corrupted_cache(
    db_with_nodes: Database,
) -> None:
    db = db_with_nodes
    corrupt_node(db, 5, 0)
    grow(db, 1)
    honest = fresh_ledger(db).checkpoint()
    report = fresh_ledger(db).verify()
    assert report.ok, report.summary()  # honest entries are not blamed afterwards
    assert honest.tree_size == 36


def test_an_edited_ledger_logs_table_names_the_first_entry(database: Database) -> None:
    database.ledger.checkpoint()
    database.sql("UPDATE ledger_logs SET name = 'no_such_table'")
    report = fresh_ledger(database).verify()
    assert not report.ok
    assert report.first_bad is not None and report.first_bad.index == 0, report.summary()


def test_a_leaf_hash_of_the_wrong_type_names_its_entry(database: Database) -> None:
    database.ledger.checkpoint()
    if database.kind == "sqlite":
        database.sql("UPDATE ledger_leaves SET leaf_hash = 'not a hash' WHERE idx = 6")
        expected = 6
    else:
        database.sql(
            "ALTER TABLE ledger_leaves ALTER COLUMN leaf_hash TYPE text "
            "USING encode(leaf_hash, 'hex')"
        )
        expected = 0
    report = fresh_ledger(database).verify()
    assert report.first_bad is not None and report.first_bad.index == expected, report.summary()
    assert "malformed" in report.first_bad.reason


def test_an_event_field_of_the_wrong_type_names_its_entry(database: Database) -> None:
    if database.kind == "sqlite":
        database.sql("UPDATE stored_events SET state = 'plain text' WHERE rowid = 9")
        expected = 8
    else:
        database.sql("ALTER TABLE notebook_events ALTER COLUMN originator_version TYPE text")
        expected = 0
    report = fresh_ledger(database).verify()
    assert report.first_bad is not None and report.first_bad.index == expected, report.summary()


def test_a_checkpoint_row_of_the_wrong_type_is_reported_and_not_signed_over(
    database: Database,
) -> None:
    database.ledger.checkpoint()
    database.sql("UPDATE ledger_checkpoints SET signatures = %s", ("\u2014 x y\n",))
    report = fresh_ledger(database).verify()
    assert not report.ok and "unreadable" in report.checkpoints[0].reason
    with pytest.raises(LedgerError, match="cannot be read"):
        fresh_ledger(database).checkpoint()


@pytest.mark.parametrize("table", ["ledger_leaves", "ledger_checkpoints", "ledger_logs"])
def test_a_renamed_ledger_table_is_reported_not_a_crash(database: Database, table: str) -> None:
    database.ledger.checkpoint()
    database.sql(f"ALTER TABLE {table} RENAME TO {table}_gone")
    report = fresh_ledger(database).verify()
    assert not report.ok and "cannot be read" in report.summary()


def test_a_renamed_events_table_names_its_first_entry(database: Database) -> None:
    database.ledger.checkpoint()
    database.sql(f"ALTER TABLE {database.events_table} RENAME TO hidden_events")
    report = fresh_ledger(database).verify()
    assert report.first_bad is not None and report.first_bad.index == 0, report.summary()
    assert "cannot be read" in report.first_bad.reason


def test_a_ledger_cut_short_names_the_first_missing_entry(database: Database) -> None:
    database.ledger.checkpoint()
    database.sql("DELETE FROM ledger_leaves WHERE idx >= 10")
    report = fresh_ledger(database).verify()
    assert report.first_bad is not None and report.first_bad.index == 10, report.summary()


@pytest.mark.parametrize("keep", [0.97, 0.6])
def test_a_truncated_sqlite_file_is_reported_in_one_line_not_a_crash(
    tmp_path: Path, keep: float, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    app = notebook_for(url)
    for i in range(400):
        app.write(f"note {i} " + "x" * 200)
    Ledger(app.recorder.ledger_store, "lfr-ledger", LOG_KEY).checkpoint()
    app.close()
    path = urlparse(url).path
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.truncate(path, int(os.path.getsize(path) * keep))
    monkeypatch.setenv("LFR_DATABASE_URL", url)
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path / "data"))
    status = main(["ledger", "verify"])
    out, err = capsys.readouterr()
    assert status == 1, out + err
    assert out.startswith("ledger does NOT verify") and len(out.splitlines()) == 1, out
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_empty_tree_is_a_checkpoint_that_later_verification_accepts(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "postgres":
        request.applymarker(pytest.mark.postgres)
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = notebook_for(url)
    try:
        ledger = Ledger(app.recorder.ledger_store, "lfr-ledger", LOG_KEY, published_dir=tmp_path)
        empty = ledger.checkpoint()
        assert (empty.tree_size, empty.root_hash) == (0, EMPTY_ROOT)
        assert ledger.verify().ok, ledger.verify().summary()
        app.write("the first note")
        assert ledger.checkpoint().tree_size == 1
        assert ledger.verify().ok, ledger.verify().summary()
    finally:
        app.close()


@pytest.fixture
def db_with_nodes(database: Database) -> Database:
    """The database grown to 35 entries and checkpointed, so the node cache holds subtrees."""
    grow(database, 20)
    database.ledger.checkpoint()
    return database


def test_a_consistency_proof_from_an_unsigned_size_is_right_despite_a_corrupted_node(
    db_with_nodes: Database,
) -> None:
    from ledger.merkle import root_of, verify_consistency

    db = db_with_nodes
    corrupt_node(db, 4, 0)
    ledger = fresh_ledger(db)
    ledger._nodes_checked = True  # as if the corruption came after this process checked
    proof = ledger.prove_consistency(20, 35)
    leaves = db.ledger.store.leaf_hash_range(0, 35)
    assert verify_consistency(20, 35, root_of(leaves[:20]), root_of(leaves), proof.path)


def test_deleted_cached_nodes_are_rebuilt_when_signing(db_with_nodes: Database) -> None:
    db = db_with_nodes
    db.ledger.prove_inclusion(3)  # checked in this process before the deletion
    db.sql("DELETE FROM ledger_nodes")
    grow(db, 2)
    assert db.ledger.checkpoint().tree_size == 37
    assert db.ledger.verify().ok, db.ledger.verify().summary()
