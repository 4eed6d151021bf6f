"""`lfr ingest`, `lfr project` and `lfr register export`: results, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from tests.projections.conftest import make_world


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    monkeypatch.setenv("LFR_DATABASE_URL", url)
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LFR_KAFKA_BOOTSTRAP", raising=False)
    world = make_world(url, tmp_path)
    world.scenario.live()
    world.scenario.alert(0)
    return url


def test_ingest_without_a_broker_is_refused_in_one_line(
    sqlite_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest"]) == 2
    err = capsys.readouterr().err
    assert "LFR_KAFKA_BOOTSTRAP is not set" in err and err.count("\n") == 1


def test_register_export_writes_each_format(
    sqlite_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["register", "export", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["status"] == "announced" and rows[0]["borough"] == "Westminster"
    assert rows[0]["alerts"] is None, "the public register: no results before publication"
    assert main(["register", "export"]) == 0
    assert capsys.readouterr().out.startswith("deployment_id,date,location")
    assert main(["register", "export", "--out", str(tmp_path / "r.csv")]) == 0
    assert (tmp_path / "r.csv").read_text().startswith("deployment_id,date,location")
    assert capsys.readouterr().out == f"wrote 1 deployments to {tmp_path / 'r.csv'} (csv)\n"
    out = tmp_path / "r.parquet"
    assert main(["register", "export", "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "out": str(out),
        "format": "parquet",
        "deployments": 1,
    }
    assert out.read_bytes()[:4] == b"PAR1"


def test_register_export_still_takes_the_old_format_option_with_a_note(
    sqlite_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "register.data"
    assert main(["register", "export", "--format", "parquet", "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"PAR1"
    assert "--format is deprecated" in capsys.readouterr().err


def test_register_export_refuses_parquet_to_a_terminal_and_a_missing_folder(
    sqlite_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["register", "export", "--format", "parquet"]) == 2
    assert main(["register", "export", "--out", str(tmp_path / "nowhere" / "r.csv")]) == 2
    assert main(["register", "export", "--out", str(tmp_path / "r.xml")]) == 2
    assert main(["register", "export", "--format", "xml"]) == 2
    err = capsys.readouterr().err
    assert "give --out" in err and "no folder" in err and ".parquet" in err
    assert "Traceback" not in err and "deprecated" not in err


def test_project_rebuild_once_replays_every_event(
    sqlite_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["project", "--once"]) == 0
    assert main(["project", "--rebuild", "--once"]) == 0
    err = capsys.readouterr().err
    assert "caught up" in err
    assert main(["register", "export", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "announced"
