"""The pages' own JSON: which deployments a person may choose (those of their appointments,
in any role they hold; every one for an auditor; none for a worker's token), and the
alert stream, which follows one deployment the officer is appointed to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.app import create_app
from api.auth import issue_token
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.scenario import GOLD, OPERATOR, Scenario, start_clock


def _client(tmp_path: Path) -> tuple[Any, Any, Any, Any]:
    from fastapi.testclient import TestClient

    settings = Settings(database_url="memory:", data_dir=tmp_path)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    mine = Scenario(services.lfr, clock).live().deployment
    secret = settings.secret("token_secret")

    def bearer(user: str, *roles: str, **binding: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(secret, user, roles, **binding)}"}

    return TestClient(create_app(settings, services)), mine, bearer, services


def test_a_person_chooses_among_the_deployments_of_their_appointments(tmp_path: Path) -> None:
    client, mine, bearer, _ = _client(tmp_path)
    with client:
        listed = client.get("/web/api/deployments", headers=bearer(GOLD.id, "gold")).json()
        assert [d["id"] for d in listed["rows"]] == [str(mine)]
        assert listed["rows"][0]["status"] == "live" and listed["rows"][0]["location"]
        other = client.get("/web/api/deployments", headers=bearer("ci-other", "gold")).json()
        assert other["rows"] == [], "a Gold not named in the authority sees none"
        both = bearer("ci-other", "applicant", "auditor")  # the auditor's role sees all
        assert len(client.get("/web/api/deployments", headers=both).json()["rows"]) == 1
        worker = bearer("w-1", "worker", deployment_id=str(mine), cameras=["camera-1"])
        answer = client.get("/web/api/deployments", headers=worker)
        assert answer.status_code == 200 and answer.json()["rows"] == []
        assert client.get("/web/api/deployments").status_code == 401


def test_the_alert_stream_follows_one_deployment_the_officer_is_appointed_to(
    tmp_path: Path,
) -> None:
    client, mine, bearer, _ = _client(tmp_path)
    with client:
        stream = "/web/api/alerts/stream"
        unnamed = client.get(stream, headers=bearer(OPERATOR.id, "operator"))
        assert unnamed.status_code == 422 and "deployment_id" in unnamed.text
        stranger = client.get(
            stream, params={"deployment_id": str(mine)}, headers=bearer("pc-x", "operator")
        )
        assert stranger.status_code == 403
