"""Runs of messages are decided while the run before is stored: each run's events, offset and
new data keys commit together, and runs are stored in order even when one conflicts."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

import services.ingest as ingest_module
from domain.alert import Alert
from recognition.events import MATCHES_TOPIC, MatchEvent
from services.ingest import DecidedRun, Message, bounded_runs, ingest_batch
from tests.projections.conftest import World
from tests.services.test_alert_and_its_key import fail_the_events_insert


def events(world: World, count: int) -> list[MatchEvent]:
    return [world.match_event(n % 2, track=f"run-{n}") for n in range(count)]


def stored_offsets(world: World, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The last offset of each run as it is stored (attempts that fail included)."""
    offsets: list[int] = []
    store = world.ingest.store

    def recording(run: DecidedRun) -> None:
        assert run.tracking is not None
        offsets.append(run.tracking.notification_id)
        store(run)

    monkeypatch.setattr(world.ingest, "store", recording)
    return offsets


def test_a_conflicting_run_is_stored_again_one_message_at_a_time_before_the_next_run(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.scenario.live()
    sent = events(world, 9)
    # Another ingest stored the fifth match already (read from another partition).
    ingest_batch(world.ingest, [Message(MATCHES_TOPIC, 1, 0, world.wire(sent[4]))])
    monkeypatch.setattr(ingest_module, "bounded_runs", partial(bounded_runs, max_messages=3))
    offsets = stored_offsets(world, monkeypatch)

    page = [Message(MATCHES_TOPIC, 0, n, world.wire(e)) for n, e in enumerate(sent)]
    report = ingest_batch(world.ingest, page)

    # Runs end at 2, 5, 8; the second conflicts and is stored again message by message (the
    # one already stored only moves the offset on) before the third run is stored.
    assert offsets == [2, 5, 3, 4, 5, 8]
    assert (report.alerts, report.already_stored, report.rejected) == (8, 1, [])
    assert world.ingest.offset(MATCHES_TOPIC, 0) == 8
    assert all(world.ingest.exists(Alert.create_id(match_id=e.event_id)) for e in sent)


@pytest.mark.parametrize("store_url", ["sqlite", "postgres"], indirect=True)
def test_a_runs_new_data_keys_commit_with_its_events_or_not_at_all(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.scenario.live()
    sent = events(world, 4)
    page = [Message(MATCHES_TOPIC, 0, n, world.wire(e)) for n, e in enumerate(sent)]
    alert_ids = [str(Alert.create_id(match_id=e.event_id)) for e in sent]
    keys: Any = world.services.vault.keys

    fail_the_events_insert(world.ingest.recorder, monkeypatch)
    with pytest.raises(Exception):  # noqa: B017 (whatever the database said, nothing stays)
        ingest_batch(world.ingest, page)
    monkeypatch.undo()
    assert [keys.get(a) for a in alert_ids] == [None] * 4
    assert world.ingest.offset(MATCHES_TOPIC, 0) is None

    assert ingest_batch(world.ingest, page).alerts == 4
    assert all(keys.get(a) is not None for a in alert_ids)
