"""The ingest: one alert per match message, offsets with the events, bad messages recorded."""

from __future__ import annotations

import json
from datetime import timedelta

from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, FacesSeenCount, utc_iso
from recognition.sealing import ProbeKeyPair
from recognition.transport import InProcessBroker
from services.ingest import (
    MAX_RUN_BYTES,
    MAX_RUN_MESSAGES,
    Message,
    bounded_runs,
    drain_broker,
    ingest_batch,
)
from tests.projections.conftest import World
from tests.scenario import GOLD


def matches(world: World, count: int, start: int = 0) -> list[Message]:
    return [
        Message(
            MATCHES_TOPIC,
            0,
            start + n,
            world.wire(world.match_event(n % 2, track=f"track-{start + n}")),
        )
        for n in range(count)
    ]


def alert_count(world: World) -> int:
    world.models.catch_up()
    row = world.models.register_row(world.scenario.deployment)
    return row["alerts"] if row else 0


def test_each_match_message_raises_one_alert_and_a_replay_is_a_no_op(world: World) -> None:
    world.scenario.live()
    messages = matches(world, 5)

    first = ingest_batch(world.ingest, messages)
    replay = ingest_batch(world.ingest, messages)

    assert (first.alerts, replay.alerts, replay.messages) == (5, 0, 0)
    assert world.ingest.offset(MATCHES_TOPIC, 0) == 4
    assert alert_count(world) == 5


def test_a_message_redelivered_at_a_new_offset_still_raises_no_second_alert(
    memory_world: World,
) -> None:
    memory_world.scenario.live()
    message = matches(memory_world, 1)[0]
    ingest_batch(memory_world.ingest, [message])
    report = ingest_batch(memory_world.ingest, [Message(MATCHES_TOPIC, 0, 7, message.value)])
    assert (report.alerts, report.already_stored) == (0, 1)
    assert memory_world.ingest.offset(MATCHES_TOPIC, 0) == 7
    assert alert_count(memory_world) == 1


def test_malformed_messages_are_rejected_with_their_reason_and_the_ingest_goes_on(
    world: World,
) -> None:
    world.scenario.live()
    good = matches(world, 2)
    incomplete = {"schema": "lfr.match", "version": "1.0", "event_id": "x"}  # signed, yet short
    bad = [
        Message(MATCHES_TOPIC, 0, 2, b"{not json"),
        Message(MATCHES_TOPIC, 0, 3, world.worker_credential().attest(incomplete)),
        Message(FACES_SEEN_TOPIC, 0, 0, b"[]"),
    ]
    after = Message(MATCHES_TOPIC, 0, 4, world.wire(world.match_event(0, track="after")))

    report = ingest_batch(world.ingest, [*good, *bad, after])

    assert report.alerts == 3
    assert [(t, o) for t, _, o, _ in report.rejected] == [
        (FACES_SEEN_TOPIC, 0),
        (MATCHES_TOPIC, 2),
        (MATCHES_TOPIC, 3),
    ]
    assert all(reason.startswith("malformed") for *_, reason in report.rejected)
    assert "missing fields ['probe_sealed']" in report.rejected[2][3]
    world.models.catch_up()
    stored = [n.topic for n in world.services.lfr.recorder.select_notifications(1, 10_000)]
    assert sum(t.endswith("MessageRejected") for t in stored) == 3
    assert world.ingest.offset(MATCHES_TOPIC, 0) == 4


def test_a_signed_match_naming_its_entry_by_a_number_is_rejected_and_the_ingest_goes_on(
    world: World,
) -> None:
    world.scenario.live()
    fields = json.loads(world.wire(world.match_event(0, track="numbered")))
    fields["entry_id"] = 7  # a JSON number where an id's text belongs
    numbered = Message(MATCHES_TOPIC, 0, 0, world.worker_credential().attest(fields))
    after = Message(MATCHES_TOPIC, 0, 1, world.wire(world.match_event(1, track="after")))

    report = ingest_batch(world.ingest, [numbered, after])

    assert report.alerts == 1
    assert [(o, reason.split(":")[0]) for _, _, o, reason in report.rejected] == [
        (0, "malformed lfr.matches message")
    ]
    assert world.ingest.offset(MATCHES_TOPIC, 0) == 1


def test_a_signed_match_with_any_field_of_the_wrong_kind_is_rejected_never_stops_a_batch(
    world: World,
) -> None:
    world.scenario.live()
    fields = json.loads(world.wire(world.match_event(0, track="kinds")))
    credential = world.worker_credential()
    wrong = [
        {**fields, name: value}
        for name in sorted(set(fields) - {"credential", "proof", "schema", "version"})
        for value in (7, 0.5, [], {}, None, True)
    ]
    messages = [Message(MATCHES_TOPIC, 0, n, credential.attest(f)) for n, f in enumerate(wrong)]

    report = ingest_batch(world.ingest, messages)

    # Each is stored, refused with its reason, or the alert its event id already raised.
    assert report.alerts + len(report.rejected) + report.already_stored == len(messages)
    assert world.ingest.offset(MATCHES_TOPIC, 0) == len(messages) - 1


def test_a_match_for_a_deployment_not_live_is_refused_and_recorded(world: World) -> None:
    world.scenario.prepared()  # watchlist imported, deployment not started
    message = Message(MATCHES_TOPIC, 0, 0, world.wire(world.match_event(0)))

    report = ingest_batch(world.ingest, [message])

    assert report.alerts == 0
    assert report.rejected[0][3].startswith("refused: alerts are raised only while")
    world.models.catch_up()
    timeline = world.models.timeline(world.scenario.deployment)
    assert timeline[-1]["event"] == "MessageRejected"
    assert timeline[-1]["detail"]["reason"].startswith("refused")


def test_a_deployment_ended_between_batches_refuses_the_next_batchs_matches(
    world: World,
) -> None:
    world.scenario.live()
    assert ingest_batch(world.ingest, matches(world, 2)).alerts == 2  # the deployment is read
    world.services.lfr.end_deployment(GOLD, world.scenario.deployment, "Operation complete")

    report = ingest_batch(world.ingest, matches(world, 2, start=2))

    assert report.alerts == 0
    assert [reason for *_, reason in report.rejected] == [
        "refused: alerts are raised only while the deployment is live; it is ended"
    ] * 2


def test_faces_seen_counts_add_to_the_register(memory_world: World) -> None:
    w = memory_world
    w.scenario.live()
    counts = [
        FacesSeenCount(
            str(w.scenario.deployment),
            "camera-1",
            utc_iso(w.clock.now + timedelta(seconds=10 * n)),
            utc_iso(w.clock.now + timedelta(seconds=10 * n + 10)),
            100,
            90,
        )
        for n in range(3)
    ]
    signed = [c.to_json(w.worker_credential()) for c in counts]
    messages = [Message(FACES_SEEN_TOPIC, 0, n, value) for n, value in enumerate(signed)]
    report = ingest_batch(w.ingest, messages + messages)
    w.models.catch_up()
    assert report.tallies == 3
    row = w.models.register_row(w.scenario.deployment)
    assert row is not None and row["faces_seen"] == 300


def test_the_in_process_broker_drains_into_the_store(world: World) -> None:
    world.scenario.live()
    broker = InProcessBroker(world.ingest.probe_keys.sealer, world.worker_credential())
    for n in range(4):
        broker.publish(world.match_event(n % 2, track=f"b{n}"))
    broker.publish(world.match_event(0, track="b0"))  # the worker sent one twice

    report = drain_broker(world.ingest, broker)

    assert (report.alerts, report.already_stored) == (4, 1)
    assert world.ingest.offset(MATCHES_TOPIC, 0) == 4
    assert alert_count(world) == 4
    assert drain_broker(world.ingest, broker).messages == 0


def test_an_older_ingest_stores_a_match_with_an_added_optional_field(world: World) -> None:
    world.scenario.live()
    newer = json.loads(world.wire(world.match_event(0))) | {"version": "1.4", "blur": 0.1}

    signed = world.worker_credential().attest(newer)  # the newer worker signs what it sends

    report = ingest_batch(world.ingest, [Message(MATCHES_TOPIC, 0, 0, signed)])

    assert (report.alerts, report.rejected) == (1, [])


def test_a_message_of_an_unknown_major_version_is_recorded_as_rejected(world: World) -> None:
    world.scenario.live()
    future = json.loads(world.wire(world.match_event(0))) | {"version": "2.0"}

    signed = world.worker_credential().attest(future)

    report = ingest_batch(world.ingest, [Message(MATCHES_TOPIC, 0, 0, signed)])

    assert report.alerts == 0
    assert report.rejected[0][3] == (
        "unsupported schema: lfr.match version 2.0 (this reader knows 1.x)"
    )
    world.models.catch_up()
    timeline = world.models.timeline(world.scenario.deployment)
    assert timeline[-1]["event"] == "MessageRejected"
    assert world.ingest.offset(MATCHES_TOPIC, 0) == 0  # refused, recorded, and passed


def test_a_probe_not_sealed_to_this_ingest_is_rejected_and_raises_no_alert(
    memory_world: World,
) -> None:
    memory_world.scenario.live()
    stranger = ProbeKeyPair.generate().sealer
    value = memory_world.match_event(0).to_json(stranger, memory_world.worker_credential())

    report = ingest_batch(memory_world.ingest, [Message(MATCHES_TOPIC, 0, 0, value)])

    assert report.alerts == 0
    assert report.rejected[0][3].startswith("sealed probe refused: the probe is sealed for key")


def test_a_run_is_stored_in_transactions_bounded_by_count_and_about_a_megabyte() -> None:
    def sized(offset: int, size: int) -> Message:
        return Message(MATCHES_TOPIC, 0, offset, b"x" * size)

    large = [sized(n, 40_000) for n in range(100)]
    runs = list(bounded_runs(large))
    assert [len(r) for r in runs] == [25, 25, 25, 25]
    assert all(sum(len(m.value) for m in r) <= MAX_RUN_BYTES for r in runs)
    small = [sized(n, 10) for n in range(1200)]
    assert [len(r) for r in bounded_runs(small)] == [MAX_RUN_MESSAGES, MAX_RUN_MESSAGES, 200]
    assert [len(r) for r in bounded_runs([sized(0, 3_000_000), sized(1, 10)])] == [1, 1]
    assert [m.offset for r in runs for m in r] == list(range(100))
