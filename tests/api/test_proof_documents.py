"""The API and the command line give one inclusion-proof document and one consistency-proof
document: the same JSON for the same entry of the same store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cli.main import main
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.api.process import tokens
from tests.scenario import Scenario, start_clock


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    monkeypatch.setenv("LFR_DATABASE_URL", url)
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    settings = Settings(database_url=url, data_dir=tmp_path)
    clock = start_clock()
    Scenario(open_services(settings, clock=clock).lfr, clock).live().alert()
    return settings


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_api_and_the_command_line_give_the_same_proof_documents(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _cli(capsys, "ledger", "checkpoint")["tree_size"]
    clock = start_clock()
    Scenario(open_services(settings, clock=clock).lfr, clock).submitted()  # the log grows
    new = _cli(capsys, "ledger", "checkpoint")["tree_size"]
    auditor = tokens(settings.secret("token_secret"))["auditor"]
    with TestClient(create_app(settings)) as client:
        served = client.get("/ledger/proofs/inclusion/3", headers=auditor).json()
        joined = client.get(
            f"/ledger/proofs/consistency?old={old}&new={new}", headers=auditor
        ).json()
    printed = _cli(capsys, "ledger", "prove", "3")
    assert set(printed) == {"notification_id", "event", "proof", "checkpoint"}
    assert served == printed
    assert joined == _cli(capsys, "ledger", "consistency", str(old), str(new))
    assert joined["old_checkpoint"]["tree_size"] == old < new == joined["proof"]["new_size"]
