"""Writers of several events tables at once on PostgreSQL share one ledger: dense, gap-free
at every moment a reader looks, in commit order, without deadlock; and the library's
notification of new events still goes out with them."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlparse

import psycopg

from ledger.service import Ledger
from tests.ledger.conftest import LOG_KEY
from tests.ledger.notebook import Note, Notebook, notebook_for

WRITERS_PER_TABLE = 3
SAVES_PER_WRITER = 25


class Diary(Notebook):
    """A second application: its events go to a table of their own, `diary_events`."""


def _visible_leaves(url: str, stop: threading.Event, seen: list[tuple[int, int]]) -> None:
    """Reads the ledger over and over while the writers run: the number of leaves and the
    next index, which differ if a reader could see a gap."""
    schema = parse_qs(urlparse(url).query)["schema"][0]
    with psycopg.connect(url.split("?")[0], autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute(
                f"SELECT count(*), coalesce(max(idx) + 1, 0) FROM {schema}.ledger_leaves"
            ).fetchone()
            assert row is not None
            seen.append((int(row[0]), int(row[1])))


def test_writers_of_two_events_tables_at_once_keep_one_dense_ledger(postgres_url: str) -> None:
    notebook = notebook_for(postgres_url, POSTGRES_POOL_SIZE=str(WRITERS_PER_TABLE))
    diary = Diary(env=notebook.env)
    failures: list[BaseException] = []

    def write(app: Notebook, n: int) -> None:
        try:
            for i in range(SAVES_PER_WRITER):
                if i % 5 == 0:  # several events in one transaction now and then
                    app.save(Note(f"{n}.{i}a"), Note(f"{n}.{i}b"), Note(f"{n}.{i}c"))
                else:
                    app.write(f"{n}.{i}")
        except BaseException as error:  # noqa: BLE001 (reported by the test below)
            failures.append(error)

    stop, seen = threading.Event(), []  # type: ignore[var-annotated]
    reader = threading.Thread(target=_visible_leaves, args=(postgres_url, stop, seen))
    writers = [
        threading.Thread(target=write, args=(app, n))
        for n in range(WRITERS_PER_TABLE)
        for app in (notebook, diary)
    ]
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    stop.set()
    reader.join(timeout=30)

    assert not failures, failures
    expected = 2 * WRITERS_PER_TABLE * SAVES_PER_WRITER * 7 // 5
    report = Ledger(notebook.recorder.ledger_store, "lfr-ledger", LOG_KEY).verify()
    assert report.ok, report.summary()
    assert report.size == expected
    assert seen and all(count == following for count, following in seen), "a gap was visible"
    for app in (notebook, diary):
        assert app.recorder.max_notification_id() == expected // 2
    notebook.close()
    diary.close()


def test_a_listener_hears_of_new_events_as_with_the_plain_library(postgres_url: str) -> None:
    notebook = notebook_for(postgres_url)
    notebook.write("first")  # creates the table
    with psycopg.connect(postgres_url.split("?")[0], autocommit=True) as conn:
        conn.execute('LISTEN "notebook_events"')
        notebook.write("heard")
        heard = [n.channel for n in conn.notifies(timeout=10, stop_after=1)]
    assert heard == ["notebook_events"]
    notebook.close()
