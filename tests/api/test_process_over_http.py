"""The process through the API in-process: commands, refusals, s.62 logging, the upload."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from runtime.settings import Settings
from tests.api.process import Deployment


def test_watchlist_upload_adds_good_entries_and_refuses_others_with_reasons(
    client: TestClient, headers: dict[str, dict[str, str]], watchlist_upload: bytes
) -> None:
    d = Deployment(client, headers).granted()
    job = d.upload(watchlist_upload)
    assert job["state"] == "done" and (job["done"], job["total"]) == (5, 5)
    assert len(job["added"]) == 3 and len(job["refused"]) == 2
    assert "Ali_Naimi" not in str(job)  # folder names are people's names: read under s.62
    report = d.call(
        "applicant",
        "POST",
        f"/watchlist/uploads/{job['job_id']}/report",
        json={"justification": "checking what the upload refused"},
    )
    added = {r["folder"] for r in report["rows"] if r["entry_id"]}
    assert added == {"Ali_Naimi", "Allyson_Felix", "Ana_Guevara"}
    reasons = {r["folder"]: r["reason"] for r in report["rows"]}
    assert "not authorised" in reasons["Art_Howe"]
    assert "no face" in reasons["No_Face"]


def test_an_ended_upload_keeps_no_plaintext_faces_or_names_on_disk(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    watchlist_upload: bytes,
    settings: Settings,
) -> None:
    d = Deployment(client, headers).granted()
    assert d.upload(watchlist_upload)["state"] == "done"
    kept = [p for p in (settings.data_dir / "upload-jobs").rglob("*") if p.is_file()]
    assert kept and "upload.zip" not in [p.name for p in kept]  # the report stays, the zip goes
    # The report kept names its rows, never their folders (people's names): those are sealed.
    for name in ("Ali_Naimi", "Allyson_Felix", "Ana_Guevara", "Art_Howe", "No_Face"):
        assert all(name.encode() not in p.read_bytes() for p in kept), name


def test_whole_deployment_commands_through_http(
    client: TestClient, headers: dict[str, dict[str, str]], watchlist_upload: bytes
) -> None:
    d = Deployment(client, headers).granted()
    d.prepared(watchlist_upload)
    d.live()
    alert_id = d.match(0)
    assert d.match(0) == alert_id  # a replayed match is a no-op
    images = d.call(
        "operator",
        "POST",
        f"/alerts/{alert_id}/consultation",
        json={"justification": "adjudicating the alert"},
    )
    assert images["probe_image_base64"] and images["watchlist_image_base64"]
    d.call(
        "engagement_officer",
        "POST",
        f"/alerts/{alert_id}/adjudication",
        json={"decision": "engage"},
    )
    d.call(
        "engagement_officer",
        "POST",
        f"/alerts/{alert_id}/engagement",
        json={
            "outcome": "confirmed_true",
            "duration_s": 240,
            "told_why": True,
            "leaflet_given": True,
        },
    )
    d.call(
        "engagement_officer",
        "POST",
        f"/alerts/{alert_id}/outcome",
        json={"disposal": "arrest", "reason": "wanted by courts"},
    )
    path = f"/deployments/{d.deployment_id}"
    d.call("gold", "POST", f"{path}/end", json={"reason": "planned end"})
    d.call(
        "gold",
        "POST",
        f"{path}/cancellation-report",
        json={"evaluation": "as planned", "learning": "more signage"},
    )
    assert d.call("auditor", "GET", path)["status"] == "reported"
    log = d.call("dpo", "GET", "/dpo/consultations")["rows"]
    assert {(r["actor_id"], r["data_class"], r["justification"]) for r in log} == {
        ("pc-operator", "probe_image", "adjudicating the alert"),
        ("pc-operator", "watchlist_entry", "adjudicating the alert"),
    }


def test_reading_personal_data_without_justification_is_refused_and_not_logged(
    client: TestClient, headers: dict[str, dict[str, str]], watchlist_upload: bytes
) -> None:
    d = Deployment(client, headers).granted()
    d.prepared(watchlist_upload)
    entry = d.entry_ids[0]
    refused = d.call(
        "operator",
        "POST",
        f"/watchlist/entries/{entry}/consultation",
        422,
        json={"justification": ""},
    )
    assert refused["errors"][0]["field"] == "body.justification"
    assert d.call("dpo", "GET", "/dpo/consultations")["rows"] == []


def test_bad_input_names_the_field_and_changes_nothing(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    d = Deployment(client, headers).granted()
    a = f"/applications/{d.application_id}"
    before = d.call("applicant", "GET", a)["version"]
    answer: dict[str, Any] = d.call(
        "authorising_officer",
        "POST",
        f"{d.deployment_path()}/threshold",
        422,
        json={"threshold": 1.5, "rationale": "x"},
    )
    assert answer["errors"][0]["field"] == "body.threshold"
    assert "body.threshold" in answer["detail"]
    answer = d.call(
        "authorising_officer",
        "POST",
        f"{d.deployment_path()}/threshold",
        422,
        json={"threshold": 0.7, "rationale": "x", "thresold": 1},
    )
    assert answer["errors"][0]["field"] == "body.thresold"
    assert d.call("applicant", "GET", a)["version"] == before


def test_rule_refusal_is_409_with_the_rules_message_and_changes_nothing(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    d = Deployment(client, headers).granted()
    before = d.call("gold", "GET", d.deployment_path())["version"]
    answer = d.call(
        "authorising_officer",
        "POST",
        f"{d.deployment_path()}/threshold",
        409,
        json={"threshold": 0.55, "rationale": "more alerts"},
    )
    assert "below the authorised floor" in answer["detail"]
    answer = d.call(
        "gold", "POST", f"{d.deployment_path()}/start", 409, json={"cameras": ["camera-1"]}
    )
    assert "pre-deployment activity not recorded" in answer["detail"]
    assert d.call("gold", "GET", d.deployment_path())["version"] == before


def test_unknown_records_are_404_and_malformed_ids_422(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    d = Deployment(client, headers)
    d.call("gold", "GET", "/deployments/00000000-0000-0000-0000-000000000000", 404)
    answer = d.call("gold", "GET", "/deployments/not-a-uuid", 422)
    assert answer["errors"][0]["field"] == "path.deployment_id"


def test_the_ao_cannot_grant_their_own_application(
    client: TestClient, headers: dict[str, dict[str, str]], settings: Any
) -> None:
    from api.auth import issue_token

    both = {
        "Authorization": "Bearer "
        + issue_token(
            settings.secret("token_secret"), "insp-both", ["applicant", "authorising_officer"]
        )
    }
    d = Deployment(client, {**headers, "applicant": both, "authorising_officer": both})
    answer = client.post(
        "/applications", headers=both, json={"objective": "x", "use_case": "Crime Hotspot"}
    )
    assert answer.status_code == 201
    d.application_id = answer.json()["id"]
    d.call(
        "applicant",
        "POST",
        f"/applications/{d.application_id}/intelligence-case",
        json={"reference": "F3", "summary": "s"},
    )
    from datetime import UTC, datetime

    from tests.api.process import authority, submission

    to_themselves = {**submission(datetime.now(UTC)), "authorising_officer_id": "insp-both"}
    refused = d.call(
        "applicant",
        "POST",
        f"/applications/{d.application_id}/submission",
        409,
        json=to_themselves,
    )
    assert "cannot be the applicant" in refused["detail"]
    d.call(
        "applicant",
        "POST",
        f"/applications/{d.application_id}/submission",
        json=submission(datetime.now(UTC)),
    )
    refused = d.call(
        "authorising_officer",
        "POST",
        f"/applications/{d.application_id}/authority",
        403,
        json=authority(),
    )
    assert "assigned to another Authorising Officer" in refused["detail"]
