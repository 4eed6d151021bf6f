"""`lfr api` as a process on real PostgreSQL: a whole deployment through HTTP, a token per
role, each role refused where it does not belong, and a public client that checks a
register row with the ledger's stand-alone verifier alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.checkpoint import Checkpoint, PublicKey
from ledger.proofs import InclusionProof, check_row_inclusion, row_from_json
from runtime.settings import Settings
from tests.api.process import USERS, Deployment, tokens

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(postgres_url: str, tmp_path: Path) -> Iterator[tuple[httpx.Client, Settings]]:
    settings = Settings(database_url=postgres_url, data_dir=tmp_path)
    settings.secret("token_secret")  # made once here, read by the server from data_dir
    port = _free_port()
    env = {
        **os.environ,
        "LFR_DATABASE_URL": postgres_url,
        "LFR_DATA_DIR": str(tmp_path),
        "LFR_ENV": "development",
    }
    log = (tmp_path / "api.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "api", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/openapi.json").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp_path / "api.log").read_text()
            assert time.monotonic() < deadline, "lfr api did not start"
            time.sleep(0.2)
        yield client, settings
    finally:
        client.close()
        process.terminate()
        process.wait(10)
        log.close()
        sys.stderr.write((tmp_path / "api.log").read_text()[-5000:])


# (method, path template, body, the roles admitted)
GUARDED: list[tuple[str, str, dict[str, str] | None, set[str]]] = [
    ("POST", "/applications", {}, {"applicant"}),
    ("POST", "/deployments/{d}/command", {}, {"gold"}),
    ("POST", "/deployments/{d}/watchlist/import", {}, {"operator"}),
    ("GET", "/alerts", None, {"operator", "engagement_officer"}),
    ("POST", "/alerts/{a}/engagement", {}, {"engagement_officer"}),
    ("POST", "/matches", {}, {"worker"}),
    ("GET", "/dpo/retention", None, {"dpo"}),
    ("GET", "/dpo/consultations", None, {"dpo", "auditor"}),
    ("GET", "/ledger/verification", None, {"auditor"}),
]


def test_a_whole_deployment_through_the_served_api_on_postgres(
    served: tuple[httpx.Client, Settings], shared_dir: Path
) -> None:
    from tests.api.process import watchlist_zip

    client, settings = served
    headers = tokens(settings.secret("token_secret"))
    d = Deployment(client, headers).granted()
    job = d.prepared(watchlist_zip(shared_dir / "faces" / "dev"))
    assert len(job["added"]) == 3 and len(job["refused"]) == 2
    d.live()
    path = d.deployment_path()
    d.call(
        "worker",
        "POST",
        f"{path}/faces-seen",
        201,
        json={
            "camera_id": "camera-1",
            "interval_start": d.match_body()["observed_at"],
            "interval_end": d.match_body()["observed_at"],
            "faces_seen": 12,
            "faces_passed_quality": 9,
        },
    )
    true_alert, false_alert = d.match(0, "t1"), d.match(1, "t2")
    queue = d.call("operator", "GET", "/alerts", params={"deployment_id": d.deployment_id})
    assert {r["alert_id"] for r in queue["rows"]} == {true_alert, false_alert}
    seen = d.call(
        "operator",
        "POST",
        f"/alerts/{true_alert}/consultation",
        json={"justification": "adjudicating alert"},
    )
    assert seen["watchlist_entry"]["reference"] == "Ali_Naimi"
    d.call(
        "operator", "POST", f"/alerts/{false_alert}/adjudication", json={"decision": "false_alert"}
    )
    d.call(
        "engagement_officer",
        "POST",
        f"/alerts/{true_alert}/adjudication",
        json={"decision": "engage"},
    )
    d.call(
        "engagement_officer",
        "POST",
        f"/alerts/{true_alert}/engagement",
        json={
            "outcome": "confirmed_true",
            "duration_s": 300,
            "told_why": True,
            "leaflet_given": True,
        },
    )
    d.call(
        "engagement_officer",
        "POST",
        f"/alerts/{true_alert}/outcome",
        json={"disposal": "arrest", "reason": "wanted by courts"},
    )
    # The arrest placed a hold for its investigation; a DPO (not its requester) approves it.
    d.call("dpo", "POST", f"/alerts/{true_alert}/legal-hold/approval", json={})
    d.call("gold", "POST", f"{path}/end", json={"reason": "planned end"})
    d.call(
        "gold",
        "POST",
        f"{path}/cancellation-report",
        json={"evaluation": "as planned", "learning": "more signage"},
    )
    report = d.call("gold", "GET", f"{path}/cancellation-report")
    assert "Oxford Circus" in report.text
    d.call("gold", "POST", f"{path}/register-entry")
    _roles_are_refused_where_they_do_not_belong(d, client, true_alert)
    _auditor_and_dpo_see_the_record(d, true_alert)
    _public_client_verifies_the_register_row(client, d.deployment_id)


def _roles_are_refused_where_they_do_not_belong(
    d: Deployment, client: httpx.Client, alert_id: str
) -> None:
    for method, template, body, admitted in GUARDED:
        url = template.format(d=d.deployment_id, a=alert_id)
        assert client.request(method, url, json=body).status_code == 401, url
        for role in set(USERS) - admitted:
            answer = client.request(method, url, json=body, headers=d.tokens[role])
            assert answer.status_code == 403, (role, url, answer.text)


def _auditor_and_dpo_see_the_record(d: Deployment, alert_id: str) -> None:
    assert d.call("auditor", "GET", "/ledger/verification")["ok"] is True
    timeline = d.call("auditor", "GET", f"/audit/deployments/{d.deployment_id}/timeline")["rows"]
    assert len(timeline) > 10
    first = d.call("auditor", "GET", f"/audit/aggregates/{alert_id}", params={"version": 1})
    assert first is not None
    held = d.call("dpo", "GET", "/dpo/retention")
    assert "held" in str(held)
    log = d.call("dpo", "GET", "/dpo/consultations")["rows"]
    assert {r["data_class"] for r in log} == {"probe_image", "watchlist_entry"}
    export = d.call("auditor", "GET", "/ledger/export.zip")
    assert export.content[:2] == b"PK"


def _public_client_verifies_the_register_row(client: httpx.Client, deployment_id: str) -> None:
    published = client.get(f"/public/register/{deployment_id}").json()  # no token
    checkpoint = Checkpoint.from_json(published["checkpoint"])
    key = PublicKey.parse(published["log_public_key"])
    (row,) = published["rows"]
    assert row["alerts"] == 2 and row["arrests"] == 1 and row["proofs"]
    for item in row["proofs"]:
        check_row_inclusion(
            InclusionProof.from_json(item["proof"]), row_from_json(item["event"]), checkpoint, [key]
        )
    forged = {**row["proofs"][0]["event"], "state": "00"}
    with pytest.raises(Exception, match="not entry"):
        check_row_inclusion(
            InclusionProof.from_json(row["proofs"][0]["proof"]),
            row_from_json(forged),
            checkpoint,
            [key],
        )
    assert client.get("/public/register.csv").text.startswith("deployment_id")
    assert client.get("/public/metrics").status_code == 200
