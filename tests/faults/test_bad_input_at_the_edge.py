"""Bad input is refused at the edge with a 4xx that names it, on every store: control
characters and NUL in any text, text and bodies over their bounds, numbers too large for the
database, and reads of records in a state a route does not expect."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from runtime.settings import Settings
from tests.api.process import tokens

HUGE = "9" * 30  # beyond any 64-bit integer


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lfr.db'}"
    request.applymarker(pytest.mark.postgres)
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def client(store: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=store, data_dir=tmp_path, max_body_bytes=1 << 20)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        test_client.headers.update({"x-test": "1"})
        test_client.roles = tokens(settings.secret("token_secret"))  # type: ignore[attr-defined]
        yield test_client


def _as(client: TestClient, role: str) -> dict[str, str]:
    return client.roles[role]  # type: ignore[attr-defined,no-any-return]


def _application(client: TestClient) -> str:
    answer = client.post(
        "/applications",
        json={"objective": "Reduce knife crime", "use_case": "Crime Hotspot"},
        headers=_as(client, "applicant"),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _post(client: TestClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    """JSON as a client may send it: escapes such as \\ud800 (a lone surrogate) included."""
    content = json.dumps(body).encode()
    return client.post(
        path, content=content, headers={**headers, "content-type": "application/json"}
    )


POISON = ["\x00", "\x01", "\x1b[31m", "\x7f", "\ud800"]


@pytest.mark.parametrize("poison", POISON, ids=["nul", "soh", "escape", "del", "surrogate"])
def test_control_characters_in_any_body_text_are_refused_naming_the_field(
    client: TestClient, poison: str
) -> None:
    applicant = _as(client, "applicant")
    answer = _post(
        client,
        "/applications",
        {"objective": f"Reduce{poison} crime", "use_case": "Crime Hotspot"},
        applicant,
    )
    assert answer.status_code == 422, answer.text
    assert "body.objective" in answer.text
    if poison != "\ud800":  # pydantic refuses a lone surrogate itself, in its own words
        assert "control character" in answer.text
    application = _application(client)
    case = _post(
        client,
        f"/applications/{application}/intelligence-case",
        {"reference": "F3", "summary": f"Robbery{poison}"},
        applicant,
    )
    assert case.status_code == 422 and "body.summary" in case.text


def test_control_characters_in_dict_keys_and_list_items_are_refused(client: TestClient) -> None:
    path = f"/deployments/{uuid.uuid4()}/command"
    for members in ({"operators\x00": ["pc-1"]}, {"operators": ["pc-1", "pc\x01"]}):
        answer = client.post(path, json={"members": members}, headers=_as(client, "gold"))
        assert answer.status_code == 422 and "control character" in answer.text, answer.text


def test_a_name_may_not_hold_a_line_break_while_free_text_may(client: TestClient) -> None:
    application = _application(client)
    applicant = _as(client, "applicant")
    multi_line = client.post(
        f"/applications/{application}/intelligence-case",
        json={"reference": "F3", "summary": "First line.\nSecond line.\tTabbed."},
        headers=applicant,
    )
    assert multi_line.status_code == 200, multi_line.text
    answer = client.post(
        f"/deployments/{uuid.uuid4()}/start",
        json={"location_name": "Oxford\nCircus"},
        headers=_as(client, "gold"),
    )
    assert answer.status_code == 422 and "body.location_name" in answer.text


def test_text_over_its_bound_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/applications",
        json={"objective": "x" * 10_001, "use_case": "Crime Hotspot"},
        headers=_as(client, "applicant"),
    )
    assert answer.status_code == 422 and "body.objective" in answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/public/register?borough=%00",
        "/public/register?use_case=a%01b",
        "/public/register.csv?borough=%00",
        "/public/metrics?borough=%00",
        f"/public/register/{uuid.uuid4()}%00",
        "/web/register?borough=%00",
    ],
)
def test_a_nul_in_a_public_url_is_refused_with_422(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 422, (path, answer.status_code, answer.text)
    assert "control character" in answer.json()["detail"]


def test_a_query_value_over_the_text_bound_is_refused(client: TestClient) -> None:
    answer = client.get("/public/register", params={"x": "y" * 10_001})
    assert answer.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        f"/ledger/proofs/inclusion/{HUGE}",
        f"/ledger/proofs/inclusion/1?tree_size={HUGE}",
        f"/ledger/proofs/consistency?old=1&new={HUGE}",
        f"/dpo/consultations?after={HUGE}",
        f"/audit/aggregates/{uuid.uuid4()}?version={HUGE}",
    ],
)
def test_numbers_too_large_for_the_database_are_refused_with_422(
    client: TestClient, path: str
) -> None:
    role = "dpo" if path.startswith("/dpo") else "auditor"
    answer = client.get(path, headers=_as(client, role))
    assert answer.status_code == 422, (path, answer.status_code, answer.text)


def test_a_body_over_the_bound_is_refused_with_413(client: TestClient) -> None:
    body = b'{"objective": "' + b"x" * (1 << 20) + b'", "use_case": "Crime Hotspot"}'
    declared = client.post(
        "/applications",
        content=body,
        headers={**_as(client, "applicant"), "content-type": "application/json"},
    )
    assert declared.status_code == 413, declared.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield body[: len(body) // 2]
        yield body[len(body) // 2 :]

    streamed = client.post(
        "/applications",
        content=chunks(),
        headers={**_as(client, "applicant"), "content-type": "application/json"},
    )
    assert streamed.status_code == 413, streamed.text


def test_the_erasure_proof_of_an_item_not_yet_erased_is_its_record(
    store: str, tmp_path: Path
) -> None:
    from runtime.bootstrap import open_services
    from tests.scenario import Scenario, start_clock

    settings = Settings(database_url=store, data_dir=tmp_path)
    clock = start_clock()
    services = open_services(settings, clock=clock)
    scenario = Scenario(services.lfr, clock).live(entries=1)
    alert = scenario.alert(0)
    with TestClient(create_app(settings, services), raise_server_exceptions=False) as client:
        headers = tokens(settings.secret("token_secret"))["dpo"]
        for subject in (alert, scenario.entry_ids[0]):
            answer = client.get(f"/dpo/erasures/{subject}", headers=headers)
            assert answer.status_code == 200, answer.text
            document: dict[str, Any] = answer.json()
            assert document["erasure_proof"] is None and document["key_destroyed"] is False
        unknown = client.get(f"/dpo/erasures/{uuid.uuid4()}", headers=headers)
        assert unknown.status_code == 404
