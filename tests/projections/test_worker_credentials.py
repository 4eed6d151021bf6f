"""Only a worker holding a valid token for the deployment and camera raises alerts: every
message carries proof of the worker's token, the ingest checks it before anything else, and
a message that fails is recorded as rejected (in the timeline), never stored as an alert."""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.kafka_ingest import KafkaIngest
from api.auth import issue_token
from recognition.credential import WorkerCredential
from recognition.events import FACES_SEEN_TOPIC, MATCHES_TOPIC, FacesSeenCount, utc_iso
from recognition.transport import KafkaSink
from services.ingest import Message, ingest_batch
from tests.projections.conftest import World, make_world
from tests.support.broker import Broker
from tests.support.credentials import worker_credential, worker_token


def rejections(world: World, value: bytes, topic: str = MATCHES_TOPIC) -> list[str]:
    report = ingest_batch(world.ingest, [Message(topic, 0, 0, value)])
    assert report.alerts == report.tallies == 0
    return [reason for *_, reason in report.rejected]


def test_a_match_without_a_worker_credential_is_rejected_and_raises_no_alert(
    world: World,
) -> None:
    world.scenario.live()
    signed = json.loads(world.wire(world.match_event(0)))
    unsigned = {k: v for k, v in signed.items() if k not in ("credential", "proof")}

    [reason] = rejections(world, json.dumps(unsigned).encode())

    assert reason == "worker credential refused: the message carries no worker credential"
    world.models.catch_up()
    timeline = world.models.timeline(world.scenario.deployment)
    [row] = [r for r in timeline if r["event"] == "MessageRejected"]
    assert "worker credential refused" in str(row["detail"])


def test_a_match_altered_after_it_was_signed_is_rejected(memory_world: World) -> None:
    world = memory_world
    world.scenario.live()
    signed = json.loads(world.wire(world.match_event(0)))
    signed["entry_id"] = str(world.scenario.entry_ids[1])  # pinned on another person

    [reason] = rejections(world, json.dumps(signed).encode())

    assert reason == (
        "worker credential refused: the message's proof does not match its worker credential"
    )


def test_a_match_altered_after_its_token_was_accepted_is_still_rejected(
    memory_world: World,
) -> None:
    """The token is checked once per token, each message's proof every time."""
    world = memory_world
    world.scenario.live()
    credential, sealer = world.worker_credential(), world.ingest.probe_keys.sealer
    accepted = world.match_event(0).to_json(sealer, credential)
    report = ingest_batch(world.ingest, [Message(MATCHES_TOPIC, 0, 0, accepted)])
    assert report.alerts == 1  # the token is now known to the ingest
    signed = json.loads(world.match_event(0, track="t2").to_json(sealer, credential))
    signed["entry_id"] = str(world.scenario.entry_ids[1])  # pinned on another person
    altered = json.dumps(signed).encode()

    report = ingest_batch(world.ingest, [Message(MATCHES_TOPIC, 0, 1, altered)])

    assert report.alerts == 0
    assert [reason for *_, reason in report.rejected] == [
        "worker credential refused: the message's proof does not match its worker credential"
    ]


def test_a_token_not_issued_with_this_installation_s_secret_is_rejected(
    memory_world: World,
) -> None:
    world = memory_world
    world.scenario.live()
    forged = worker_token(secrets.token_bytes(32), world.scenario.deployment, now=world.clock.now)
    event = world.match_event(0)

    [reason] = rejections(
        world, event.to_json(world.ingest.probe_keys.sealer, WorkerCredential(forged))
    )

    # The ingest derives the proof's key from the claims with its own secret: no match.
    assert reason == (
        "worker credential refused: the message's proof does not match its worker credential"
    )


def test_a_worker_token_for_another_deployment_cannot_raise_its_alerts(
    memory_world: World,
) -> None:
    world = memory_world
    world.scenario.live()
    other = worker_credential(world.settings, uuid.uuid4(), now=world.clock.now)

    [reason] = rejections(
        world, world.match_event(0).to_json(world.ingest.probe_keys.sealer, other)
    )

    assert reason.startswith("refused: ") and "bound to another deployment" in reason


def test_a_worker_token_does_not_cover_a_camera_it_does_not_name(memory_world: World) -> None:
    world = memory_world
    world.scenario.live()
    # The token names camera-2 only; the message says camera-1.
    credential = worker_credential(
        world.settings, world.scenario.deployment, ("camera-2",), now=world.clock.now
    )
    count = FacesSeenCount(
        str(world.scenario.deployment),
        "camera-1",
        utc_iso(world.clock.now),
        utc_iso(world.clock.now + timedelta(seconds=10)),
        5,
        5,
    )

    [reason] = rejections(world, count.to_json(credential), FACES_SEEN_TOPIC)

    assert "does not cover camera 'camera-1'" in reason


def test_a_message_from_after_the_token_expired_is_rejected(memory_world: World) -> None:
    world = memory_world
    world.scenario.live()
    credential = world.worker_credential()
    world.clock.advance(hours=9)  # the token lives 8 hours

    [reason] = rejections(
        world, world.match_event(0).to_json(world.ingest.probe_keys.sealer, credential)
    )

    assert "the worker token was valid from" in reason


@pytest.mark.kafka
@pytest.mark.postgres
def test_on_the_real_broker_only_the_credentialled_worker_raises_alerts(
    postgres_url: str, tmp_path: Path
) -> None:
    broker = Broker().start()  # its own: the forgeries stay off the session's broker
    try:
        _only_the_credentialled_worker_raises_alerts(postgres_url, broker.bootstrap, tmp_path)
    finally:
        broker.stop()


def _only_the_credentialled_worker_raises_alerts(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    from kafka import KafkaProducer

    world = make_world(postgres_url, tmp_path)
    KafkaIngest(world.ingest, kafka_bootstrap).close()  # the ingest creates the topics
    world.scenario.live()
    genuine = world.match_event(0, track="genuine")
    sink = KafkaSink(kafka_bootstrap, world.ingest.probe_keys.sealer, world.worker_credential())
    sink.send(genuine)
    sink.close()
    # Anyone who can write to the topic: a copy of the genuine message with its credential
    # and proof but another track (a second alert), and one with no credential at all.
    copied = json.loads(world.wire(genuine)) | {
        "event_id": str(uuid.uuid4()),
        "track_id": "forged",
    }
    bare = {k: v for k, v in copied.items() if k not in ("credential", "proof")}
    key = str(world.scenario.deployment).encode()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for forged in (copied, bare):
        producer.send(MATCHES_TOPIC, key=key, value=json.dumps(forged).encode())
    producer.flush()
    producer.close()

    consumer = KafkaIngest(world.ingest, kafka_bootstrap)
    total = consumer.run(threading.Event(), idle_exit_s=2.0)
    consumer.close()

    raised = [
        n
        for n in world.services.lfr.recorder.select_notifications(1, 1_000_000)
        if n.topic.endswith("AlertRaised")
    ]
    assert len(raised) == 1  # the genuine one
    assert [r[3] for r in total.rejected] == [
        "worker credential refused: the message's proof does not match its worker credential",
        "worker credential refused: the message carries no worker credential",
    ]


def test_operators_see_the_messages_refused_for_their_deployment_and_others_do_not(
    tmp_path: Path,
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.process import tokens

    world = make_world("memory:", tmp_path)
    world.scenario.live()
    signed = json.loads(world.wire(world.match_event(0)))
    unsigned = {k: v for k, v in signed.items() if k not in ("credential", "proof")}
    ingest_batch(world.ingest, [Message(MATCHES_TOPIC, 0, 0, json.dumps(unsigned).encode())])
    path = f"/deployments/{world.scenario.deployment}/rejected-messages"
    secret = world.settings.secret("token_secret")
    other = {"Authorization": f"Bearer {issue_token(secret, 'pc-other', ['operator'])}"}

    with TestClient(create_app(world.settings, world.services)) as client:
        seen = client.get(path, headers=tokens(secret)["operator"])
        refused = client.get(path, headers=other)

    assert seen.status_code == 200, seen.text
    [row] = seen.json()["rows"]
    assert row["reason"] == "worker credential refused: the message carries no worker credential"
    assert refused.status_code == 403  # an operator not appointed to this deployment


def test_a_genuine_message_replayed_by_whoever_read_the_topic_raises_no_second_alert(
    memory_world: World,
) -> None:
    world = memory_world
    world.scenario.live()
    genuine = world.wire(world.match_event(0))

    first = ingest_batch(world.ingest, [Message(MATCHES_TOPIC, 0, 0, genuine)])
    replayed = ingest_batch(world.ingest, [Message(MATCHES_TOPIC, 0, 7, genuine)])

    assert (first.alerts, replayed.alerts, replayed.already_stored) == (1, 0, 1)
