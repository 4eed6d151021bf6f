"""`lfr demo`: a whole deployment on the embedded default, as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli.main import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LFR_DATABASE_URL", raising=False)
    monkeypatch.delenv("LFR_KAFKA_BOOTSTRAP", raising=False)
    return tmp_path / "data"


def run_demo_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    assert main(["demo", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_demo_runs_a_whole_deployment_on_the_embedded_default(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_demo_json(capsys)
    steps = [s["step"] for s in result["steps"]]
    for stage in (
        "application",
        "authority",
        "watchlist",
        "start",
        "recognition",
        "end",
        "retention",
        "report",
    ):
        assert stage in steps
    assert result["recognition"]["alerts"] == 2, "the sought person passes twice"
    assert len(result["alerts"]) == 2
    entry = result["register_entry"]
    assert entry["alerts"] == 2 and entry["arrests"] == 1 and entry["faces_seen"] > 0
    assert result["ledger"]["verified"] is True
    assert result["retention"]["erased"] >= 1 and result["retention"]["overdue"] == 0
    assert (data_dir / "lfr.db").exists()
    report = Path(next(s["report"] for s in result["steps"] if s["step"] == "report"))
    assert "<html" in report.read_text().lower()


@pytest.mark.slow
def test_demo_on_real_faces_alerts_once_per_passage_of_the_sought_person_only(
    data_dir: Path, tmp_path: Path, shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = shared_dir / "faces" / "dev"
    watchlist = tmp_path / "watchlist"
    for person in sorted(p for p in dev.iterdir() if p.is_dir() and not p.name.startswith("_"))[:6]:
        shutil.copytree(person, watchlist / person.name)
    (watchlist / "_distractors").mkdir()
    for photo in sorted((dev / "_distractors").glob("*.jpg"))[:3]:
        shutil.copy(photo, watchlist / "_distractors" / photo.name)
    result = run_demo_json(capsys, "--watchlist", str(watchlist))
    assert result["recognition"]["faces_seen"] > 0
    assert len(result["alerts"]) == 2


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--video", "no-such.avi"], "no such video"),
        (["--watchlist", "no-such-folder"], "no such watchlist folder"),
        (["--threshold", "0.3"], "below the authorised floor"),
    ],
)
def test_demo_refuses_bad_input_in_one_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    assert main(["demo", *args]) == 2
    err = capsys.readouterr().err
    assert reason in err and err.count("\n") == 1
