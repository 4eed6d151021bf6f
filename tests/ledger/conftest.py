"""Fixtures for the ledger's tests: a ledgered Notebook on a real database, and SQL access
to that database so tests can tamper with it the way an intruder would."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from ledger.checkpoint import SigningKey
from ledger.service import Ledger
from tests.ledger.notebook import Notebook, notebook_for

LOG_KEY = SigningKey("lfr-ledger", b"K" * 32)


@dataclass
class Database:
    """A ledgered Notebook, its ledger, and raw SQL on the same database."""

    kind: str
    url: str
    app: Notebook
    ledger: Ledger
    events_table: str
    nid_column: str

    def sql(self, statement: str, params: Any = ()) -> list[Any]:
        """Run one statement directly against the database, outside the application."""
        if self.kind == "sqlite":
            with sqlite3.connect(urlparse(self.url).path) as conn:
                return conn.execute(statement.replace("%s", "?"), params).fetchall()
        import psycopg

        schema = parse_qs(urlparse(self.url).query)["schema"][0]
        with psycopg.connect(self.url.split("?")[0], autocommit=True) as conn:
            conn.execute(f"SET search_path TO {schema}")
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def event(self, nid: int) -> tuple[Any, ...]:
        """originator_id, originator_version, topic, state of one stored event."""
        rows = self.sql(
            f"SELECT originator_id, originator_version, topic, state FROM {self.events_table} "
            f"WHERE {self.nid_column} = %s",
            (nid,),
        )
        return tuple(rows[0])


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A Notebook with 12 notes, 3 of them edited (15 events), on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        url, table, nid = f"sqlite:///{tmp_path / 'events.db'}", "stored_events", "rowid"
    else:
        request.applymarker(pytest.mark.postgres)
        url, table, nid = (
            request.getfixturevalue("postgres_url"),
            "notebook_events",
            "notification_id",
        )
    app = notebook_for(url)
    notes = [app.write(f"note {i}") for i in range(12)]
    for note in notes[:3]:
        app.edit(note, "edited by its author")
    ledger = Ledger(
        app.recorder.ledger_store, "lfr-ledger", LOG_KEY, published_dir=tmp_path / "pub"
    )
    yield Database(request.param, url, app, ledger, table, nid)
    app.close()
