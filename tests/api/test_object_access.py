"""Object-level access over HTTP: each role acting on a deployment or application it is and
is not appointed to, and a worker's token used for another deployment or camera.

Refusals are 403 with the reason; a refused read of personal data is not a read, so it
leaves no s.62 record, while every read that is allowed leaves one."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.process import USERS, Deployment, Tokens, authority, submission
from tests.scenario import probe_jpeg

STRANGERS = {
    "gold": "ci-other-gold",
    "operator": "pc-other-operator",
    "engagement_officer": "pc-other-engager",
    "applicant": "insp-other-applicant",
    "authorising_officer": "supt-other-ao",
}


@pytest.fixture
def live(client: TestClient, headers: Tokens, watchlist_upload: bytes) -> tuple[Deployment, str]:
    """A live deployment with one alert raised by its bound worker."""
    d = Deployment(client, headers).granted()
    d.prepared(watchlist_upload)
    d.live()
    return d, d.match(0)


def refused(d: Deployment, headers: dict[str, str], method: str, path: str, **kw: Any) -> str:
    answer = d.client.request(method, path, headers=headers, **kw)
    assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
    return str(answer.json()["detail"])


def test_officers_not_appointed_to_a_deployment_are_refused_403_and_nothing_changes(
    live: tuple[Deployment, str], headers: Tokens
) -> None:
    d, alert = live
    dp, entry = d.deployment_path(), d.entry_ids[0]
    app = f"/applications/{d.application_id}"
    why = {"justification": "curious"}
    matrix: list[tuple[str, str, str, dict[str, Any]]] = [
        ("gold", "POST", f"{dp}/pause", {"json": {"reason": "crowd"}}),
        ("gold", "POST", f"{dp}/end", {"json": {"reason": "done"}}),
        ("gold", "POST", f"{dp}/command", {"json": {"members": {"operators": ["pc-x"]}}}),
        ("gold", "POST", f"{dp}/watchlist/review", {"json": {"notes": "ok"}}),
        (
            "gold",
            "POST",
            f"{dp}/cancellation-report",
            {"json": {"evaluation": "e", "learning": "l"}},
        ),
        ("gold", "POST", f"{dp}/register-entry", {}),
        ("gold", "GET", dp, {}),
        ("gold", "GET", f"{dp}/cancellation-report", {}),
        ("gold", "GET", f"{dp}/cancellation-report.pdf", {}),
        ("gold", "GET", app, {}),
        ("operator", "POST", f"/alerts/{alert}/consultation", {"json": why}),
        ("operator", "POST", f"/alerts/{alert}/adjudication", {"json": {"decision": "engage"}}),
        ("operator", "GET", f"/alerts/{alert}", {}),
        ("operator", "GET", f"/alerts?deployment_id={d.deployment_id}", {}),
        ("operator", "POST", f"{dp}/pause", {"json": {"reason": "crowd"}}),
        ("operator", "POST", f"{dp}/end", {"json": {"reason": "done"}}),
        ("operator", "GET", dp, {}),
        ("operator", "POST", f"/watchlist/entries/{entry}/consultation", {"json": why}),
        ("engagement_officer", "POST", f"/alerts/{alert}/consultation", {"json": why}),
        (
            "engagement_officer",
            "POST",
            f"/alerts/{alert}/adjudication",
            {"json": {"decision": "engage"}},
        ),
        (
            "engagement_officer",
            "POST",
            f"/alerts/{alert}/engagement",
            {
                "json": {
                    "outcome": "confirmed_true",
                    "duration_s": 60,
                    "told_why": True,
                    "leaflet_given": True,
                }
            },
        ),
        (
            "engagement_officer",
            "POST",
            f"/alerts/{alert}/outcome",
            {"json": {"disposal": "arrest", "reason": "wanted"}},
        ),
        ("applicant", "GET", app, {}),
        (
            "applicant",
            "POST",
            f"{app}/intelligence-case",
            {"json": {"reference": "r", "summary": "s"}},
        ),
        ("applicant", "POST", f"{dp}/watchlist/compilation", {"json": {"entry_ids": [entry]}}),
        ("applicant", "POST", f"/watchlist/entries/{entry}/consultation", {"json": why}),
        ("authorising_officer", "GET", app, {}),
        ("authorising_officer", "POST", f"{app}/amendment-request", {"json": {"notes": "n"}}),
        (
            "authorising_officer",
            "POST",
            f"{dp}/threshold",
            {"json": {"threshold": 0.7, "rationale": "fewer alerts"}},
        ),
        (
            "authorising_officer",
            "POST",
            f"{dp}/watchlist-size",
            {"json": {"max_size": 5, "rationale": "smaller"}},
        ),
        ("authorising_officer", "POST", f"/watchlist/entries/{entry}/consultation", {"json": why}),
    ]
    before = d.call("gold", "GET", dp)
    for role, method, path, kw in matrix:
        stranger = headers.officer(STRANGERS[role], role)
        detail = refused(d, stranger, method, path, **kw)
        assert STRANGERS[role] in detail and "may not" in detail, (role, path, detail)
    after = d.call("gold", "GET", dp)
    assert after["version"] == before["version"] and after["status"] == "live"
    assert d.call("operator", "GET", f"/alerts/{alert}")["adjudication"] == {}
    assert d.call("dpo", "GET", "/dpo/consultations")["rows"] == []  # refused: no read


def test_the_alert_queue_shows_only_the_deployments_an_officer_is_appointed_to(
    live: tuple[Deployment, str], headers: Tokens
) -> None:
    d, alert = live
    mine = d.call("operator", "GET", "/alerts")["rows"]
    assert [r["alert_id"] for r in mine] == [alert]
    stranger = headers.officer(STRANGERS["operator"], "operator")
    theirs = d.client.get("/alerts", headers=stranger)
    assert theirs.status_code == 200 and theirs.json()["rows"] == []


def test_appointed_officers_act_on_their_deployment_and_each_read_is_logged(
    live: tuple[Deployment, str],
) -> None:
    d, alert = live
    dp, why = d.deployment_path(), {"justification": "adjudicating the alert"}
    assert d.call("operator", "GET", dp)["status"] == "live"
    d.call("gold", "POST", f"{dp}/pause", json={"reason": "crowd surge"})
    d.call("operator", "POST", f"{dp}/resume")
    d.call("engagement_officer", "POST", f"/alerts/{alert}/consultation", json=why)
    d.call(
        "engagement_officer", "POST", f"/alerts/{alert}/adjudication", json={"decision": "engage"}
    )
    d.call(
        "engagement_officer",
        "POST",
        f"/alerts/{alert}/engagement",
        json={
            "outcome": "confirmed_true",
            "duration_s": 120,
            "told_why": True,
            "leaflet_given": True,
        },
    )
    d.call("applicant", "GET", f"/applications/{d.application_id}")
    d.call(
        "authorising_officer",
        "POST",
        f"{dp}/threshold",
        json={"threshold": 0.7, "rationale": "NPL"},
    )
    d.call("operator", "POST", f"{dp}/end", json={"reason": "planned end"})
    d.call("gold", "POST", f"{dp}/cancellation-report", json={"evaluation": "e", "learning": "l"})
    d.call("gold", "POST", f"{dp}/register-entry")
    assert d.call("auditor", "GET", dp)["status"] == "published"
    log = d.call("dpo", "GET", "/dpo/consultations")["rows"]
    assert {(r["actor_id"], r["data_class"]) for r in log} == {
        (USERS["engagement_officer"], "probe_image"),
        (USERS["engagement_officer"], "watchlist_entry"),
    }


def test_another_applicant_cannot_upload_or_add_to_someone_elses_watchlist(
    client: TestClient, headers: Tokens, watchlist_upload: bytes
) -> None:
    d = Deployment(client, headers).granted()
    stranger = headers.officer(STRANGERS["applicant"], "applicant")
    dp = d.deployment_path()
    detail = refused(
        d,
        stranger,
        "POST",
        f"{dp}/watchlist/uploads",
        files={"files": ("watchlist.zip", watchlist_upload, "application/zip")},
    )
    assert "another applicant's application" in detail
    image = base64.b64encode(watchlist_upload[:10]).decode()
    body = {
        "reference": "WL-1",
        "category": "wanted_by_courts",
        "source": "PNC",
        "legal_basis": "PACE",
        "image_date": "2025-01-01",
        "image_base64": image,
    }
    refused(d, stranger, "POST", f"{dp}/watchlist/entries", json=body)
    job = d.upload(watchlist_upload)  # the applicant's own: accepted
    assert len(job["added"]) == 3
    progress = f"/watchlist/uploads/{job['job_id']}"
    refused(d, stranger, "GET", progress)


def test_only_the_authorising_officer_the_application_is_submitted_to_decides_over_http(
    client: TestClient, headers: Tokens
) -> None:
    from datetime import UTC, datetime

    d = Deployment(client, headers)
    app = d.call(
        "applicant",
        "POST",
        "/applications",
        201,
        json={"objective": "o", "use_case": "Crime Hotspot"},
    )["id"]
    path = f"/applications/{app}"
    d.call(
        "applicant", "POST", f"{path}/intelligence-case", json={"reference": "r", "summary": "s"}
    )
    d.call("applicant", "POST", f"{path}/submission", json=submission(datetime.now(UTC)))
    stranger = headers.officer(STRANGERS["authorising_officer"], "authorising_officer")
    detail = refused(d, stranger, "POST", f"{path}/authority", json=authority())
    assert "assigned to another Authorising Officer" in detail
    d.call("authorising_officer", "POST", f"{path}/authority", 201, json=authority())
    no_ao = {**submission(datetime.now(UTC))}
    del no_ao["authorising_officer_id"]
    other = d.call(
        "applicant",
        "POST",
        "/applications",
        201,
        json={"objective": "o", "use_case": "Crime Hotspot"},
    )["id"]
    answer = client.post(
        f"/applications/{other}/submission", headers=headers["applicant"], json=no_ao
    )
    assert answer.status_code == 422 and "authorising_officer_id" in answer.text


def test_a_worker_token_used_for_another_deployment_or_camera_is_refused(
    live: tuple[Deployment, str], headers: Tokens
) -> None:
    d, _ = live
    other = Deployment(d.client, headers).granted()
    dp = d.deployment_path()
    faces = {
        "camera_id": "camera-1",
        "interval_start": d.match_body()["observed_at"],
        "interval_end": d.match_body()["observed_at"],
        "faces_seen": 3,
        "faces_passed_quality": 3,
    }
    for token, reason in [
        (headers.worker(other.deployment_id), "bound to another deployment"),
        (headers.worker(d.deployment_id, ("camera-2",)), "does not cover camera 'camera-1'"),
    ]:
        assert reason in refused(d, token, "POST", "/matches", json=d.match_body(1, "w"))
        assert reason in refused(d, token, "POST", f"{dp}/faces-seen", json=faces)
    assert "bound to another deployment" in refused(
        d, headers.worker(other.deployment_id), "GET", dp
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"camera_id": "camera-9"}, "camera 'camera-9' is not"),
        ({"watchlist_version": "0" * 64}, "not the deployment's current version"),
        ({"model_id": "forged-model"}, "not the imported"),
        ({"probe_jpeg_base64": base64.b64encode(b"not a face at all").decode()}, "not a JPEG"),
    ],
)
def test_a_bound_worker_cannot_raise_an_alert_with_a_foreign_match(
    live: tuple[Deployment, str], headers: Tokens, change: dict[str, str], reason: str
) -> None:
    d, _ = live
    token = headers.worker(d.deployment_id, ("camera-1", "camera-9"))
    answer = d.client.post("/matches", headers=token, json=d.match_body(1, "forged", **change))
    assert answer.status_code == 409 and reason in answer.json()["detail"], answer.text
    assert probe_jpeg()  # the real probe passes: see the `live` fixture's alert


def test_a_worker_cannot_report_a_billion_faces_seen(
    live: tuple[Deployment, str],
) -> None:
    d, _ = live
    now = d.match_body()["observed_at"]
    answer = d.client.post(
        f"{d.deployment_path()}/faces-seen",
        headers=d.tokens["worker"],
        json={
            "camera_id": "camera-1",
            "interval_start": now,
            "interval_end": now,
            "faces_seen": 1_000_000_000,
            "faces_passed_quality": 0,
        },
    )
    assert answer.status_code in (409, 422) and "faces" in answer.text
