"""The Written Authority's commands over HTTP, each with its role: structured decisions,
withdrawal, revocation, cancellation; a refusal is a 4xx that says why, and changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.process import Deployment, authority


def test_a_refused_decision_is_a_409_that_names_it_and_grants_nothing(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    d = Deployment(client, headers)
    body = authority()
    body["decisions"]["v_proportionality"] = {
        "outcome": "refuse",
        "rationale": "REFUSED - not proportionate",
    }
    application = d.submitted()
    answer = d.call(
        "authorising_officer", "POST", f"/applications/{application}/authority", 409, json=body
    )
    assert "refused ['v_proportionality']" in answer["detail"]
    free_text: dict[str, Any] = authority()
    free_text["decisions"]["v_proportionality"] = "REFUSED - not proportionate"
    d.call(
        "authorising_officer",
        "POST",
        f"/applications/{application}/authority",
        422,
        json=free_text,
    )
    unknown = {**authority(), "document_versions": {"x": "1"}}
    d.call(
        "authorising_officer", "POST", f"/applications/{application}/authority", 422, json=unknown
    )
    assert d.call("applicant", "GET", f"/applications/{application}")["status"] == "submitted"


def test_applicant_withdraws_and_the_planned_deployment_ends(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    d = Deployment(client, headers).granted()
    path = f"/applications/{d.application_id}/withdrawal"
    d.call("gold", "POST", path, 403, json={"reason": "not mine"})
    d.call("applicant", "POST", path, json={"reason": "Suspects arrested elsewhere"})
    deployment = d.call("gold", "GET", d.deployment_path())
    assert deployment["status"] == "ended"
    assert d.call("applicant", "GET", f"/applications/{d.application_id}")["status"] == (
        "withdrawn"
    )


def test_ao_revokes_and_gold_cancels_with_their_own_roles(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    d = Deployment(client, headers).granted()
    cancel = f"{d.deployment_path()}/cancellation"
    d.call("applicant", "POST", cancel, 403, json={"reason": "not Gold"})
    d.call("gold", "POST", cancel, json={"reason": "Officers needed at a major incident"})
    revoke = f"/applications/{d.application_id}/revocation"
    d.call("gold", "POST", revoke, 403, json={"reason": "not the AO"})
    d.call("authorising_officer", "POST", revoke, json={"reason": "No longer necessary"})
    answer = d.call("authorising_officer", "POST", revoke, 409, json={"reason": "again"})
    assert "cannot be revoked" in answer["detail"]


def test_starting_a_camera_the_authority_does_not_list_is_refused(
    client: TestClient, headers: dict[str, dict[str, str]], watchlist_upload: bytes
) -> None:
    d = Deployment(client, headers).granted()
    d.prepared(watchlist_upload)
    answer = d.call(
        "gold",
        "POST",
        f"{d.deployment_path()}/start",
        409,
        json={"cameras": ["camera-brixton"]},
    )
    assert "not listed in the authority" in answer["detail"]
    d.call("gold", "POST", f"{d.deployment_path()}/start", 422, json={"location_name": "x"})
    d.live()
    assert d.call("gold", "GET", d.deployment_path())["status"] == "live"


def test_corrections_are_reachable_with_their_roles_and_need_a_reason(
    client: TestClient, headers: dict[str, dict[str, str]], watchlist_upload: bytes
) -> None:
    d = Deployment(client, headers).granted()
    d.prepared(watchlist_upload)
    d.live()
    alert = d.match(0)
    d.call("operator", "POST", f"/alerts/{alert}/adjudication", json={"decision": "false_alert"})
    path = f"/alerts/{alert}/adjudication-correction"
    d.call("gold", "POST", path, 403, json={"decision": "engage", "reason": "x"})
    d.call("engagement_officer", "POST", path, 422, json={"decision": "engage"})
    d.call("engagement_officer", "POST", path, json={"decision": "engage", "reason": "A match"})
    d.call(
        "engagement_officer",
        "POST",
        f"/alerts/{alert}/engagement",
        json={
            "outcome": "confirmed_true",
            "duration_s": 60,
            "told_why": True,
            "leaflet_given": True,
        },
    )
    d.call(
        "engagement_officer",
        "POST",
        f"/alerts/{alert}/outcome",
        json={"disposal": "no_further_action", "reason": "in error"},
    )
    amend = f"/alerts/{alert}/outcome-amendment"
    d.call("operator", "POST", amend, 403, json={"disposal": "arrest", "reason": "x"})
    d.call("engagement_officer", "POST", amend, json={"disposal": "arrest", "reason": "Custody"})


def test_equality_review_is_recorded_and_its_status_read_with_their_roles(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    d = Deployment(client, headers)
    assert d.call("auditor", "GET", "/equality-reviews/status")["overdue"] is True
    body = {
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "findings": "No imbalance by ethnicity or sex",
        "actions": "None needed",
    }
    d.call("gold", "POST", "/equality-reviews", 403, json=body)
    d.call("dpo", "POST", "/equality-reviews", 422, json={**body, "findings": ""})
    d.call("dpo", "POST", "/equality-reviews", json=body)
    status = d.call("gold", "GET", "/equality-reviews/status")
    assert status["last_period_end"] == "2025-03-31"


def test_gold_amends_the_report_over_http_with_a_reason(
    client: TestClient, headers: dict[str, dict[str, str]], watchlist_upload: bytes
) -> None:
    d = Deployment(client, headers).granted()
    d.prepared(watchlist_upload)
    d.live()
    path = d.deployment_path()
    d.call("gold", "POST", f"{path}/end", json={"reason": "planned end"})
    report = {"evaluation": "Went to plan", "learning": "None"}
    d.call("gold", "POST", f"{path}/cancellation-report", json=report)
    amended = {**report, "learning": "Signage late at one exit", "reason": "Omitted"}
    d.call("operator", "POST", f"{path}/cancellation-report/amendment", 403, json=amended)
    d.call("gold", "POST", f"{path}/cancellation-report/amendment", 422, json=report)
    d.call("gold", "POST", f"{path}/cancellation-report/amendment", json=amended)
    assert d.call("gold", "GET", path)["report"]["learning"] == "Signage late at one exit"
