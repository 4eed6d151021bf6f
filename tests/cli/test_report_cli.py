"""`lfr report write`: the cancellation report as submitted, to a PDF or HTML file; bad
input is one line and a non-zero exit, and writes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cli.main import main
from tests.projections.conftest import make_world
from tests.projections.test_cancellation_report import GOLDS_TEXT, submitted


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite store holding one deployment with a submitted report; its id."""
    url = f"sqlite:///{tmp_path / 'events.db'}"
    world = make_world(url, tmp_path)
    submitted(world)
    world.models.close()
    monkeypatch.setenv("LFR_DATABASE_URL", url)
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    return str(world.scenario.deployment)


def test_report_write_puts_the_submitted_report_in_a_pdf_or_html_file(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypdf import PdfReader

    pdf, html = tmp_path / "report.pdf", tmp_path / "report.html"
    assert main(["report", "write", "--deployment", store, "--out", str(pdf)]) == 0
    assert main(["report", "write", "--deployment", store, "--out", str(html)]) == 0
    assert "wrote the cancellation report" in capsys.readouterr().out
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert GOLDS_TEXT["evaluation"] in " ".join(text.split())
    assert GOLDS_TEXT["learning"] in html.read_text() and "Version 1 of 1" in html.read_text()


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--deployment", "not-an-id", "--out", "r.pdf"], "not a deployment id"),
        (["--deployment", "{id}", "--out", "r.txt"], "--format pdf or html"),
        (["--deployment", "{id}", "--out", "missing/r.pdf"], "no folder"),
        (["--deployment", "{id}", "--out", "r.pdf", "--version", "2"], "no version 2"),
        (["--deployment", "{id}", "--out", "r.pdf", "--version", "0"], "not between 1"),
        (
            ["--deployment", "00000000-0000-0000-0000-000000000000", "--out", "r.pdf"],
            "no deployment with id",
        ),
    ],
)
def test_report_write_refuses_bad_input_in_one_line_and_writes_nothing(
    store: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["report", "write", *(a.replace("{id}", store) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert reason in err.lower() and err.count("\n") == 1, err
    assert not list(tmp_path.glob("r.*"))


def test_report_write_with_json_says_what_it_wrote(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    out = tmp_path / "report.pdf"
    assert main(["report", "write", "--deployment", store, "--out", str(out), "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written == {
        "deployment_id": store,
        "out": str(out),
        "format": "pdf",
        "bytes": out.stat().st_size,
    }
