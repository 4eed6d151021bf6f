"""The ledger is written with the events: no window, gap-free, for every recorder kind."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from ledger.service import Ledger
from runtime.ledger_wiring import open_ledger
from tests.ledger.conftest import LOG_KEY, Database
from tests.ledger.notebook import Notebook, notebook_for


def test_an_event_is_in_the_ledger_as_soon_as_save_returns(store_url: str) -> None:
    app = notebook_for(store_url)
    store = app.recorder.ledger_store
    for i in range(5):
        app.write(f"note {i}")
        assert store.size() == app.recorder.max_notification_id()
    app.close()


def test_a_failed_insert_leaves_neither_event_nor_leaf(database: Database) -> None:
    """The leaf rows share the events' transaction: a ledger failure stores no event."""
    before = database.ledger.store.size()
    if database.kind == "sqlite":
        database.sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON ledger_leaves "
            "BEGIN SELECT RAISE(ABORT, 'ledger refused'); END"
        )
    else:
        database.sql(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'ledger refused'; END $$"
        )
        database.sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON ledger_leaves EXECUTE FUNCTION refuse()"
        )
    with pytest.raises(Exception, match="ledger refused"):
        database.app.write("never stored")
    assert database.ledger.store.size() == before
    assert database.app.recorder.max_notification_id() == 15
    assert database.ledger.verify().ok


def test_a_concurrency_conflict_stores_nothing_and_keeps_the_ledger_dense(
    database: Database,
) -> None:
    note = database.app.write("shared")
    first: Notebook = database.app
    copy = first.repository.get(note)
    first.edit(note, "officer A")
    copy.edit("officer B")
    with pytest.raises(IntegrityError):
        first.save(copy)
    first.edit(note, "officer A again")
    report = database.ledger.verify()
    assert report.ok, report.summary()
    assert report.size == 18


def test_events_and_tracking_from_a_process_recorder_are_ledgered(store_url: str) -> None:
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    from runtime.settings import StoreLocation

    factory = InfrastructureFactory.construct(
        Environment("ingest", StoreLocation.parse(store_url).eventsourcing_env())
    )
    recorder = factory.process_recorder()
    event = StoredEvent(uuid4(), 1, "kafka:Match", b"{}")
    recorder.insert_events([event], tracking=Tracking("kafka-matches-0", 41))
    ledger = Ledger(recorder.ledger_store, "lfr-ledger", LOG_KEY)  # type: ignore[attr-defined]
    assert recorder.max_tracking_id("kafka-matches-0") == 41
    assert ledger.verify().ok and ledger.verify().size == 1
    factory.close()


def test_a_batch_of_events_sharing_their_state_is_stored_and_ledgered_each_as_itself(
    store_url: str,
) -> None:
    """A batch of erasures shares one state (the same bytes): PostgreSQL is sent it once."""
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    from runtime.settings import StoreLocation

    factory = InfrastructureFactory.construct(
        Environment("erasures", StoreLocation.parse(store_url).eventsourcing_env())
    )
    recorder = factory.application_recorder()
    shared = b'{"rule": "alert-data-31d-after-alert"}'
    erased = "domain.alert:Alert.AlertDataErased"
    erasures = [StoredEvent(uuid4(), version, erased, shared) for version in (2, 3, 5)]
    others = [
        StoredEvent(uuid4(), 2, "domain.alert:Alert.LegalHoldPlaced", b'{"basis": "a"}'),
        StoredEvent(uuid4(), 4, erased, shared),
    ]
    recorder.insert_events(erasures)
    recorder.insert_events(others)

    events = erasures + others
    for event in events:
        (stored,) = recorder.select_events(event.originator_id)
        assert (stored.originator_version, stored.topic, stored.state) == (
            event.originator_version, event.topic, event.state,
        )  # fmt: skip
    ledger = Ledger(recorder.ledger_store, "lfr-ledger", LOG_KEY)  # type: ignore[attr-defined]
    report = ledger.verify()
    assert report.ok and report.size == 5, report.summary()
    factory.close()


def test_two_applications_in_one_database_share_one_ledger(
    postgres_url: str, tmp_path: Path
) -> None:
    notebook = notebook_for(postgres_url)

    class Diary(Notebook):
        pass

    diary = Diary(env=notebook.env)
    notebook.write("in the notebook")
    diary.write("in the diary")
    notebook.write("notebook again")
    ledger = Ledger(notebook.recorder.ledger_store, "lfr-ledger", LOG_KEY)
    report = ledger.verify()
    assert report.ok and report.size == 3
    assert sorted(ledger.store.log_names()) == ["diary_events", "notebook_events"]
    with pytest.raises(Exception, match="several logs"):
        ledger.prove_inclusion(1)


def test_open_ledger_takes_the_key_from_the_settings(tmp_path: Path) -> None:
    from runtime.settings import Settings

    settings = Settings(data_dir=tmp_path, database_url="memory:")
    app = notebook_for("memory:")
    app.write("a note")
    ledger = open_ledger(settings, app.recorder)
    checkpoint = ledger.checkpoint()
    assert checkpoint.tree_size == 1
    published = tmp_path / "ledger" / "published"
    assert (published / "checkpoint").read_text() == checkpoint.note()
    assert (published / "checkpoints" / "1").read_text() == checkpoint.note()
    assert (published / "log.vkey").read_text().strip() == ledger.log_key.vkey  # type: ignore[union-attr]
    assert checkpoint.origin.startswith("lfr.localhost/ledger/")  # this installation's own
    assert ledger.verify().ok


def test_production_refuses_a_missing_signing_key(tmp_path: Path) -> None:
    from runtime.settings import Settings
    from services.errors import ConfigurationError

    settings = Settings(env="production", data_dir=tmp_path, database_url="memory:")
    with pytest.raises(ConfigurationError, match="LEDGER_SIGNING_KEY"):
        open_ledger(settings, notebook_for("memory:").recorder)


def test_a_witness_co_signature_is_stored_and_verified(tmp_path: Path) -> None:
    import threading

    from ledger.note import KeyType, SigningKey
    from ledger.witness import Witness
    from ledger.witness_http import WitnessEndpoint, witness_server

    dpo = SigningKey("dpo.example.org/w1", b"D" * 32, KeyType.COSIGNATURE_V1)
    server = witness_server(Witness(dpo, [LOG_KEY.public], tmp_path / "dpo.json"), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = WitnessEndpoint.parse(
        f"{dpo.public.vkey} http://127.0.0.1:{server.server_address[1]}"
    )
    try:
        app = notebook_for("memory:")
        app.write("first")
        ledger = Ledger(
            app.recorder.ledger_store, "lfr-ledger", LOG_KEY, published_dir=tmp_path,
            witnesses=[endpoint], quorum=1,
        )  # fmt: skip
        ledger.checkpoint()
        app.write("second")
        cosigned = ledger.checkpoint()
    finally:
        server.shutdown()
        server.server_close()
    assert [s.name for s in cosigned.signatures] == ["lfr-ledger", "dpo.example.org/w1"]
    assert ledger.latest_checkpoint() == cosigned  # stored with the checkpoint
    assert ledger.verify().ok, ledger.verify().summary()
    stricter = Ledger(
        app.recorder.ledger_store, "lfr-ledger", LOG_KEY, witnesses=[endpoint], quorum=2
    )
    report = stricter.verify()
    assert not report.ok and "witnessed by 1 of the 2 witnesses required" in report.summary()
