"""The public register: MPS columns, counts by adjudication, and no personal data."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from domain.alert import TOLD_AND_GIVEN_LEAFLET
from domain.values import Adjudication, Disposal, EngagementOutcome
from projections import REGISTER_COLUMNS
from projections.exports import register_bytes, typed_row
from tests.projections.conftest import World
from tests.scenario import DPO, ENGAGER, GOLD


def run_deployment(world: World) -> list:
    """Four alerts: confirmed true + arrest, confirmed false, not stopped, false alert."""
    s, lfr, clock = world.scenario, world.services.lfr, world.clock
    s.live()
    alerts = [s.alert(0, track=f"t{n}") for n in range(4)]
    clock.advance(seconds=90)
    for alert, outcome in zip(alerts[:3], EngagementOutcome, strict=True):
        lfr.adjudicate_alert(ENGAGER, alert, Adjudication.ENGAGE)
        lfr.record_engagement(ENGAGER, alert, outcome, 60, stop=TOLD_AND_GIVEN_LEAFLET)
    lfr.adjudicate_alert(ENGAGER, alerts[3], Adjudication.FALSE_ALERT, "not the same person")
    lfr.record_outcome(ENGAGER, alerts[0], Disposal.ARREST, "wanted on warrant")
    clock.advance(hours=1)
    lfr.count_faces(
        s.worker,
        s.deployment,
        "camera-1",
        clock.now - timedelta(minutes=60),
        clock.now,
        12_120,
        11_000,
    )
    lfr.end_deployment(GOLD, s.deployment, "planned end")
    return alerts


def test_register_counts_true_and_false_alerts_from_their_adjudication(world: World) -> None:
    run_deployment(world)
    world.models.catch_up()

    row = world.models.register_row(world.scenario.deployment)

    assert row is not None
    assert tuple(row) == REGISTER_COLUMNS
    assert (
        row["alerts"],
        row["true_alerts_confirmed"],
        row["false_alerts_confirmed"],
        row["true_alerts_unconfirmed"],
        row["false_alerts_unconfirmed"],
    ) == (4, 1, 1, 1, 1)
    assert (row["true_alerts"], row["false_alerts"], row["engagements"], row["arrests"]) == (
        2,
        2,
        2,
        1,
    )
    assert row["faces_seen"] == 12_120
    assert row["false_alert_rate_per_faces"] == pytest.approx(2 / 12_120)
    assert row["false_alert_rate_per_alerts"] == pytest.approx(0.5)
    assert (row["watchlist_size"], row["threshold"], row["status"]) == (2, 0.64, "ended")
    assert row["duration_minutes"] == pytest.approx(61.5)
    assert (row["location"], row["borough"], row["use_case"]) == (
        "Oxford Circus",
        "Westminster",
        "Crime Hotspot",
    )


def test_register_row_names_the_notifications_it_was_built_from(memory_world: World) -> None:
    run_deployment(memory_world)
    memory_world.models.catch_up()
    row = memory_world.models.register_row(memory_world.scenario.deployment)
    assert row is not None
    log = memory_world.services.lfr.recorder.select_notifications(start=1, limit=1000)
    by_id = {n.id: n.topic for n in log}
    topics = {by_id[nid].rpartition(".")[2] for nid in row["notification_ids"]}
    assert {
        "DeploymentPlanned",
        "AlertRaised",
        "AlertAdjudicated",
        "FacesSeenCounted",
        "DeploymentEnded",
    } <= topics
    assert "WatchlistEntryAdded" not in topics


PERSONAL = ("Jane Doe", "PNC-99-ZZ", "Flat 3 Acacia", "IMGBYTES", "Rosalind")


def test_register_has_no_personal_data_even_when_events_carry_it(memory_world: World) -> None:
    from tests.scenario import APPLICANT, entry

    w, lfr = memory_world, memory_world.services.lfr
    w.scenario.granted()
    d = w.scenario.deployment
    lfr.add_watchlist_entry(
        APPLICANT,
        d,
        entry("Jane Doe PNC-99-ZZ", source="Flat 3 Acacia"),
        b"IMGBYTES Jane Doe",
        b"\x01" * 16,
        "dlib-r1",
    )
    lfr.appoint_command(GOLD, d, {"silver": ["Rosalind"]})
    w.models.catch_up()
    stored = b"".join(n.state for n in lfr.recorder.select_notifications(start=1, limit=1000))
    assert b"Rosalind" in stored  # the events do carry an officer's name
    assert b"Jane Doe" not in stored  # the reference is sealed under the entry's key

    rows = w.models.register_rows()
    exports = [register_bytes(rows, fmt) for fmt in ("csv", "json", "parquet")]

    assert rows and all(tuple(r) == REGISTER_COLUMNS for r in rows)
    text = json.dumps(rows) + "".join(e.decode("latin-1") for e in exports)
    for value in PERSONAL:
        assert value not in text


def test_register_exports_hold_exactly_the_register_columns(memory_world: World) -> None:
    run_deployment(memory_world)
    memory_world.models.catch_up()
    rows = memory_world.models.register_rows()

    from_csv = list(csv.DictReader(io.StringIO(register_bytes(rows, "csv").decode())))
    from_json = json.loads(register_bytes(rows, "json"))
    from_parquet = pq.read_table(io.BytesIO(register_bytes(rows, "parquet"))).to_pylist()

    assert tuple(from_csv[0]) == REGISTER_COLUMNS
    assert from_json == rows
    assert from_parquet == [typed_row(row) for row in rows]  # the same values, typed
    assert from_parquet[0]["started_at"].isoformat() == rows[0]["started_at"]
    assert from_csv[0]["notification_ids"] == " ".join(map(str, rows[0]["notification_ids"]))


def test_register_filters_by_column_and_month_and_refuses_unknown_columns(
    memory_world: World,
) -> None:
    run_deployment(memory_world)
    models = memory_world.models
    models.catch_up()
    assert len(models.register_rows({"borough": "Westminster"})) == 1
    assert models.register_rows({"borough": "Camden"}) == []
    assert len(models.register_rows({"month": "2026-11"})) == 1
    with pytest.raises(ValueError, match="no columns"):
        models.register_rows({"reference": "x"})


def test_erasure_and_dpo_actions_do_not_change_the_register_counts(memory_world: World) -> None:
    alerts = run_deployment(memory_world)
    memory_world.models.catch_up()
    before = memory_world.models.register_row(memory_world.scenario.deployment)
    memory_world.services.lfr.erase_alert_data(DPO, alerts[3], "alert-data-31d")
    memory_world.models.catch_up()
    after = memory_world.models.register_row(memory_world.scenario.deployment)
    assert before is not None and after is not None
    assert {k: v for k, v in after.items() if k != "notification_ids"} == {
        k: v for k, v in before.items() if k != "notification_ids"
    }
