"""Tokens and roles: who may call what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.auth import TokenError, issue_token, read_token
from cli.main import main
from runtime.settings import Settings


def test_a_route_without_a_token_is_refused_401(client: TestClient) -> None:
    answer = client.post("/applications", json={"objective": "x", "use_case": "Crime Hotspot"})
    assert answer.status_code == 401
    assert answer.json()["detail"] == "a bearer token is required"


def test_an_expired_token_is_refused_401(client: TestClient, settings: Settings) -> None:
    old = issue_token(
        settings.secret("token_secret"),
        "insp-a",
        ["applicant"],
        hours=1,
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    answer = client.get("/alerts", headers={"Authorization": f"Bearer {old}"})
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def test_a_token_signed_with_another_key_is_refused_401(client: TestClient) -> None:
    forged = issue_token(b"not the server's key" * 2, "insp-a", ["operator"])
    assert client.get("/alerts", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_a_role_the_route_does_not_admit_is_refused_403(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    answer = client.get("/alerts", headers=headers["applicant"])
    assert answer.status_code == 403
    assert "engagement_officer or operator" in answer.json()["detail"]


def test_public_routes_need_no_token(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 200


def test_tokens_for_unknown_roles_or_the_system_role_are_not_issued() -> None:
    with pytest.raises(TokenError, match="unknown role"):
        issue_token(b"k" * 32, "u", ["superuser"])
    with pytest.raises(TokenError, match="unknown role"):
        issue_token(b"k" * 32, "u", ["system"])


def test_token_issue_command_prints_a_token_the_server_accepts(
    tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    assert main(["token", "issue", "--user", "pc-1", "--role", "operator", "--role", "gold"]) == 0
    token = capsys.readouterr().out.strip()
    secret = Settings(data_dir=tmp_path).secret("token_secret")
    assert read_token(secret, token) == ("pc-1", ("operator", "gold"))


def test_token_issue_command_refuses_an_unknown_role_in_one_line(
    tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    assert main(["token", "issue", "--user", "pc-1", "--role", "chief"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lfr: unknown role") and err.count("\n") == 1


def test_token_issue_in_production_without_a_secret_is_refused(
    tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LFR_ENV", "production")
    monkeypatch.delenv("LFR_TOKEN_SECRET", raising=False)
    assert main(["token", "issue", "--user", "pc-1", "--role", "operator"]) == 2
    assert "LFR_TOKEN_SECRET must be set in production" in capsys.readouterr().err


def test_every_route_states_its_roles_a_tag_and_a_response_model(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["tags"], (method, path)
            assert "x-roles" in operation and operation["description"].startswith("Roles:")
            ok = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            assert ok.get("content"), (method, path)


def test_a_worker_token_is_bound_to_one_deployment_and_its_cameras() -> None:
    from api.auth import read_claims

    deployment = "0b6f7c1e-4a55-5a8e-9f0e-0d5b2a2f4c11"
    token = issue_token(
        b"k" * 32, "w-1", ["worker"], deployment_id=deployment, cameras=["c2", "c1"]
    )
    claims = read_claims(b"k" * 32, token)
    assert (claims.deployment_id, claims.cameras) == (deployment, ("c1", "c2"))
    for roles, binding, reason in [
        (["worker"], {}, "must name its deployment"),
        (["worker"], {"deployment_id": deployment}, "must name the cameras"),
        (["worker"], {"deployment_id": "x", "cameras": ["c"]}, "not a deployment id"),
        (["worker"], {"deployment_id": deployment, "cameras": [" "]}, "not a camera id"),
        (["worker", "gold"], {"deployment_id": deployment, "cameras": ["c"]}, "worker role alone"),
        (["operator"], {"deployment_id": deployment}, "bind a worker's token only"),
    ]:
        with pytest.raises(TokenError, match=reason):
            issue_token(b"k" * 32, "w-1", roles, **binding)  # type: ignore[arg-type]


def test_token_issue_binds_a_worker_only_to_cameras_the_deployment_authorises(
    tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import jwt

    from api.auth import read_claims
    from runtime.bootstrap import open_services
    from tests.scenario import Clock, Scenario, start_clock

    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    settings = Settings(data_dir=tmp_path)
    clock = Clock(datetime.now(UTC))  # authorised from an hour from now, for 8 hours
    d = str(Scenario(open_services(settings, clock=clock).lfr, clock).granted().deployment)
    worker = ["token", "issue", "--user", "w-1", "--role", "worker", "--deployment", d]
    assert main([*worker, "--camera", "camera-1", "--hours", "48"]) == 0
    token = capsys.readouterr().out.strip()
    claims = read_claims(settings.secret("token_secret"), token)
    assert (claims.deployment_id, claims.cameras) == (d, ("camera-1",))
    expires = datetime.fromtimestamp(
        jwt.decode(token, options={"verify_signature": False})["exp"], UTC
    )
    assert expires <= clock.now + timedelta(hours=9, seconds=5)  # the authorised end, not 48 h
    past = start_clock()  # a deployment authorised days ago
    ended = str(Scenario(open_services(settings, clock=past).lfr, past).granted().deployment)
    assert main([*worker[:7], ended, "--camera", "camera-1"]) == 2
    assert "authorised window ended" in capsys.readouterr().err
    assert main([*worker, "--camera", "camera-1", "--camera", "roof-cam"]) == 2
    err = capsys.readouterr().err
    assert "['roof-cam'] are not authorised" in err and err.count("\n") == 1
    other = ["--deployment", "0b6f7c1e-4a55-5a8e-9f0e-0d5b2a2f4c11", "--camera", "camera-1"]
    assert main([*worker[:6], *other]) == 2
    assert "no deployment" in capsys.readouterr().err
    assert main(worker[:6]) == 2
    assert "must name its deployment" in capsys.readouterr().err
