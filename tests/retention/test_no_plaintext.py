"""After a whole lifecycle with real faces, no face image, template, name or officer's note about a
person is anywhere in plaintext: database, read models, exports, proofs and audit views."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import numpy as np
import orjson
import pytest

from domain.alert import TOLD_AND_GIVEN_LEAFLET, HoldBasis, HoldRequest
from domain.values import Adjudication, Disposal, EngagementOutcome, PreDeploymentCheck
from runtime.bootstrap import open_services
from runtime.settings import Settings
from services.lfr import Match
from services.sweeper import sweep
from tests.retention.plaintext import findings, postgres_cells, sqlite_cells
from tests.scenario import (
    APPLICANT,
    DPO,
    ENGAGER,
    GOLD,
    OPERATOR,
    Clock,
    Scenario,
    entry,
)


def faces(shared_dir: Path, people: int = 3) -> list[tuple[bytes, bytes]]:
    """(watchlist image, probe image) of a few real people."""
    folders = sorted(p for p in (shared_dir / "faces" / "dev").iterdir() if p.is_dir())
    pairs = []
    for folder in folders:
        images = sorted(folder.glob("*.jpg"))
        if len(images) >= 2:
            pairs.append((images[0].read_bytes(), images[1].read_bytes()))
        if len(pairs) == people:
            return pairs
    pytest.skip("not enough identities with two images in the shared faces")


def template(n: int) -> bytes:
    return np.random.default_rng(n).standard_normal(128).astype(np.float32).tobytes()


# Names and free text about the people, as officers would type them.
NAMES = ["Jonathan Quillfeather", "Amara Okonkwo-Reyes", "Deirdre Van Halloran"]
NOTES = {
    "adjudication note": "identity confirmed via PNC, name John Doe DOB 1990",
    "engagement note": "Subject gave name Jonathan Quillfeather, tattoo on left hand",
    "outcome reason": "Wanted on warrant 4471 for Jonathan Quillfeather",
    "hold reason": "Amara Okonkwo-Reyes: CPS file 88213 pending",
    "false alert note": "Deirdre's lookalike; different eye colour",
}


def whole_lifecycle(
    url: str, data_dir: Path, clock: Clock, people: list[tuple[bytes, bytes]]
) -> UUID:
    """Application to register, alerts adjudicated with notes naming people, an arrest (held
    by itself) and a DPO's hold, then the retention sweeps."""
    services = open_services(Settings(database_url=url, data_dir=data_dir), clock=clock)
    s = services.lfr
    scenario = Scenario(s, clock).granted()
    d = scenario.deployment
    s.appoint_command(GOLD, d, {"operators": [OPERATOR.id], "engagement": [ENGAGER.id]})
    for check in PreDeploymentCheck:
        s.record_pre_deployment(GOLD, d, check, "done")
    ids = [
        s.add_watchlist_entry(APPLICANT, d, entry(NAMES[n]), image, template(n), "dlib-r1")
        for n, (image, _) in enumerate(people)
    ]
    version = s.compile_watchlist(APPLICANT, d, ids)
    s.review_watchlist(GOLD, d, "reviewed")
    s.import_watchlist(OPERATOR, d, "encrypted USB 1")
    clock.advance(hours=1, minutes=5)
    s.start_deployment(GOLD, d)
    clock.advance(minutes=10)
    worker = scenario.worker
    s.count_faces(worker, d, "camera-1", clock.now - timedelta(minutes=10), clock.now, 5000, 4100)
    alerts = [
        s.raise_alert(
            worker,
            Match(
                f"m-{n}",
                d,
                ids[n],
                "camera-1",
                clock.now,
                0.9,
                {"id": "dlib-r1"},
                version,
                f"t{n}",
                probe,
            ),
        )
        for n, (_, probe) in enumerate(people)
    ]
    s.consult_probe_image(ENGAGER, alerts[0], "adjudication")
    s.adjudicate_alert(ENGAGER, alerts[0], Adjudication.ENGAGE, NOTES["adjudication note"])
    s.record_engagement(
        ENGAGER,
        alerts[0],
        EngagementOutcome.CONFIRMED_TRUE,
        120,
        NOTES["engagement note"],
        stop=TOLD_AND_GIVEN_LEAFLET,
    )
    s.record_outcome(ENGAGER, alerts[0], Disposal.ARREST, NOTES["outcome reason"])
    s.approve_legal_hold(DPO, alerts[0])  # the arrest placed it; a DPO approves
    s.adjudicate_alert(ENGAGER, alerts[1], Adjudication.FALSE_ALERT, NOTES["false alert note"])
    hold = HoldRequest(HoldBasis.PROCEEDINGS, NOTES["hold reason"], date(2027, 6, 1))
    s.place_legal_hold(DPO, alerts[2], hold)
    s.end_deployment(GOLD, d, "Operation complete")
    s.submit_cancellation_report(GOLD, d, {"evaluation": "ok", "learning": "none"})
    s.publish_register_entry(GOLD, d, {"alerts": len(alerts)})
    clock.advance(days=1)
    sweep(services)  # the watchlist
    clock.advance(days=31)
    sweep(services)  # the alerts not held
    return d


def secrets_of(people: list[tuple[bytes, bytes]]) -> dict[str, bytes]:
    named: dict[str, bytes] = {}
    for n, (image, probe) in enumerate(people):
        named |= {f"image {n}": image, f"probe {n}": probe, f"template {n}": template(n)}
        named[f"name {n}"] = NAMES[n].encode()
    return named | {what: text.encode() for what, text in NOTES.items()}


def test_the_scanner_finds_a_face_hidden_as_base64_inside_text(
    tmp_path: Path, shared_dir: Path
) -> None:
    import base64

    image = faces(shared_dir, 1)[0][0]
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (doc TEXT)")
        hidden = base64.b64encode(b"." + image[1000:1200]).decode()
        conn.execute("INSERT INTO t VALUES (?)", (f'{{"note": "{hidden}"}}',))
    assert "image in t.doc" in findings(sqlite_cells(path), {"image": image})


def test_the_scanner_finds_a_name_hidden_as_base64_or_hex_inside_text(tmp_path: Path) -> None:
    import base64

    name = b"Jonathan Quillfeather"
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (b64 TEXT, hex TEXT, other TEXT)")
        hidden = base64.b64encode(b"xy" + name + b"z").decode()
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (hidden, name.hex(), "nothing"))
    found = findings(sqlite_cells(path), {"name": name})
    assert "name in t.b64" in found and "name in t.hex" in found and "name in t.other" not in found


def test_no_face_template_name_or_note_in_plaintext_in_sqlite_after_a_whole_lifecycle(
    tmp_path: Path, shared_dir: Path, clock: Clock
) -> None:
    people = faces(shared_dir)
    path = tmp_path / "lfr.db"
    whole_lifecycle(f"sqlite:///{path}", tmp_path, clock, people)
    assert findings(sqlite_cells(path), secrets_of(people)) == []


@pytest.mark.postgres
def test_no_face_template_name_or_note_in_plaintext_in_postgres_after_a_whole_lifecycle(
    postgres_url: str,
    tmp_path: Path,
    shared_dir: Path,
    clock: Clock,
    settings_for: Callable[[str], Settings],
) -> None:
    people = faces(shared_dir)
    whole_lifecycle(postgres_url, tmp_path, clock, people)
    assert findings(postgres_cells(postgres_url), secrets_of(people)) == []


def parquet_cells(folder: Path) -> Iterator[tuple[str, object]]:
    """Every value of every column of every Parquet file below `folder`, decompressed."""
    import pyarrow.parquet as pq

    for path in sorted(folder.rglob("*.parquet")):
        table = pq.read_table(path)
        for column in table.column_names:
            for value in table.column(column).to_pylist():
                yield f"{path.name}.{column}", value


def test_no_face_template_name_or_note_in_the_auditors_exports_proofs_views_or_public_register(
    tmp_path: Path, shared_dir: Path, clock: Clock
) -> None:
    from ledger.proofs import row_to_json
    from projections.exports import register_bytes
    from runtime.bootstrap import open_read_models
    from runtime.ledger_wiring import open_ledger

    people = faces(shared_dir)
    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    deployment = whole_lifecycle(url, tmp_path, clock, people)
    settings = Settings(database_url=url, data_dir=tmp_path)
    ledger = open_ledger(settings)
    ledger.checkpoint()
    checkpoint = ledger.checkpoint()
    exported = ledger.export_parquet(tmp_path / "audit-export")
    assert exported["events"] > 20, "the export holds the stored events, ciphertext included"
    models = open_read_models(settings)
    models.catch_up()
    rows = models.register_rows()
    public = [(f"register.{fmt}", register_bytes(rows, fmt)) for fmt in ("csv", "json")]
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "register.parquet").write_bytes(register_bytes(rows, "parquet"))
    proofs = [
        (f"inclusion proof {n}", orjson.dumps(row_to_json(ledger.prove_inclusion(n)[1])))
        for n in range(1, checkpoint.tree_size + 1)
    ]
    timeline = models.timeline(deployment)
    aggregates = {row["aggregate_id"] for row in timeline}
    views = [("timeline", orjson.dumps(timeline))] + [
        (f"aggregate {a}", orjson.dumps(models.aggregate_as_of(a))) for a in sorted(aggregates)
    ]
    cells = [
        *parquet_cells(tmp_path / "audit-export"),
        *parquet_cells(tmp_path / "public"),
        *public,
        *proofs,
        *views,
    ]
    assert findings(cells, secrets_of(people)) == []
