"""`lfr ledger ...` on a real store, through the command line's entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from ledger.checkpoint import Checkpoint
from ledger.proofs import (
    ConsistencyProof,
    InclusionProof,
    check_consistency,
    check_row_inclusion,
    row_from_json,
)
from tests.ledger.notebook import notebook_for


@pytest.fixture(params=["sqlite", "postgres"])
def configured(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """LFR_DATABASE_URL and LFR_DATA_DIR set; the store holds 10 notes (the first edited)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'lfr.db'}"
    else:
        request.applymarker(pytest.mark.postgres)
        url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("LFR_DATABASE_URL", url)
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path / "data"))
    app = notebook_for(url)
    notes = [app.write(f"note {i}") for i in range(10)]
    app.edit(notes[0], "edited")
    app.close()
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def public_keys(tmp_path: Path) -> list:  # type: ignore[type-arg]
    from runtime.ledger_wiring import ledger_keys
    from runtime.settings import Settings

    _, _, log_key = ledger_keys(Settings(), read_only=True)
    return [log_key]


def test_checkpoint_then_verify_prints_one_json_document(configured: str, capsys) -> None:  # type: ignore[no-untyped-def]
    status, out, _ = run(capsys, "ledger", "checkpoint", "--json")
    assert status == 0 and json.loads(out)["tree_size"] == 11
    status, out, _ = run(capsys, "ledger", "verify", "--json")
    report = json.loads(out)
    assert status == 0 and report["ok"] and report["size"] == 11


def test_verify_fails_with_status_1_and_names_the_entry(configured: str, capsys) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    run(capsys, "ledger", "checkpoint")
    if configured.startswith("sqlite"):
        with sqlite3.connect(configured.removeprefix("sqlite://")) as conn:
            conn.execute("DELETE FROM stored_events WHERE rowid = 4")
    else:
        import psycopg

        base, schema = configured.split("?schema=")
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DELETE FROM {schema}.notebook_events WHERE notification_id = 4")
    status, out, _ = run(capsys, "ledger", "verify")
    assert status == 1
    assert "notification 4" in out and "deleted" in out


def test_prove_gives_a_proof_a_verifier_checks_without_the_store(
    configured: str,
    capsys,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    run(capsys, "ledger", "checkpoint")
    status, out, _ = run(capsys, "ledger", "prove", "7", "--json")
    assert status == 0
    document = json.loads(out)
    proof = InclusionProof.from_json(document["proof"])
    checkpoint = Checkpoint.from_json(document["checkpoint"])
    check_row_inclusion(proof, row_from_json(document["event"]), checkpoint, public_keys(tmp_path))


def test_consistency_between_two_checkpoints(configured: str, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "ledger", "checkpoint")
    app = notebook_for(configured)
    app.write("one more")
    app.close()
    run(capsys, "ledger", "checkpoint")
    status, out, _ = run(capsys, "ledger", "consistency", "11", "12", "--json")
    assert status == 0
    document = json.loads(out)
    check_consistency(
        ConsistencyProof.from_json(document["proof"]),
        Checkpoint.from_json(document["old_checkpoint"]),
        Checkpoint.from_json(document["new_checkpoint"]),
        public_keys(tmp_path),
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["prove", "999"], "no event with notification id 999"),
        (["consistency", "9", "3"], "0 < OLD <= NEW"),
        (["consistency", "3", "500"], "holds only 11 entries"),
        (["verify", "--export", "no/such/folder"], "not a ledger export"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(configured: str, capsys, argv, message) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "ledger", "checkpoint")
    status, out, err = run(capsys, "ledger", *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_prove_before_any_checkpoint_says_what_to_do(configured: str, capsys) -> None:  # type: ignore[no-untyped-def]
    status, _, err = run(capsys, "ledger", "prove", "1")
    assert status == 2 and "lfr ledger checkpoint" in err


def test_an_export_verifies_on_its_own_and_its_tampering_is_found(
    configured: str,
    capsys,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    import pyarrow.parquet as pq

    run(capsys, "ledger", "checkpoint")
    folder = tmp_path / "export"
    status, out, _ = run(capsys, "ledger", "export", "--out", str(folder))
    assert status == 0 and "11 events" in out
    status, vkey, _ = run(capsys, "ledger", "key", "--vkey")
    assert status == 0 and (folder / "log.vkey").read_text() == vkey  # the export carries it
    status, out, _ = run(capsys, "ledger", "verify", "--export", str(folder), "--json")
    assert status == 0 and json.loads(out)["ok"]

    table = pq.read_table(folder / "events.parquet").to_pydict()
    table["topic"][2] = table["topic"][2] + "X"
    import pyarrow as pa

    pq.write_table(pa.table(table), folder / "events.parquet")
    status, out, _ = run(capsys, "ledger", "verify", "--export", str(folder), "--json")
    report = json.loads(out)
    assert status == 1 and report["first_bad"]["notification_id"] == 3


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("LFR_LEDGER_ORIGIN", "https://ledger.example.org", "schema-less"),
        ("LFR_LEDGER_ORIGIN", "two words", "schema-less"),
        ("LFR_LEDGER_WITNESSES", "not-a-vkey http://127.0.0.1:1", "LFR_LEDGER_WITNESSES"),
        ("LFR_LEDGER_WITNESSES", "w+00000000+AAAA", "LFR_LEDGER_WITNESSES"),
        ("LFR_LEDGER_TRUSTED_KEYS", "name:abc", "LFR_LEDGER_TRUSTED_KEYS"),
    ],
)
def test_bad_ledger_settings_are_refused_in_one_line(  # type: ignore[no-untyped-def]
    configured: str, capsys, monkeypatch: pytest.MonkeyPatch, name: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(name, value)
    status, out, err = run(capsys, "ledger", "checkpoint")
    assert status == 2 and reason in err and len(err.strip().splitlines()) == 1, err


def test_production_requires_the_origin_to_be_chosen(  # type: ignore[no-untyped-def]
    configured: str, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LFR_ENV", "production")
    monkeypatch.setenv("LFR_LEDGER_SIGNING_KEY", "S" * 43 + "=")
    status, _, err = run(capsys, "ledger", "checkpoint")
    assert status == 2 and "LFR_LEDGER_ORIGIN must be set in production" in err


def test_the_old_spellings_still_work_and_say_what_replaced_them(
    configured: str,
    capsys,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    run(capsys, "ledger", "checkpoint")
    status, vkey, note = run(capsys, "ledger", "vkey")
    assert status == 0 and "use `lfr ledger key --vkey`" in note
    assert run(capsys, "ledger", "key", "--vkey")[1] == vkey
    folder = tmp_path / "old"
    status, _, note = run(capsys, "ledger", "export", "--parquet", str(folder))
    assert status == 0 and "--parquet is deprecated: use --out DIR" in note
    status, _, note = run(capsys, "ledger", "verify", "--parquet", str(folder))
    assert status == 0 and "use --export DIR" in note


def test_export_reports_what_it_wrote_as_json(
    configured: str,
    capsys,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    run(capsys, "ledger", "checkpoint")
    status, out, _ = run(capsys, "ledger", "export", "--out", str(tmp_path / "e"), "--json")
    assert status == 0
    assert json.loads(out) == {"out": str(tmp_path / "e"), "events": 11, "checkpoints": 1}


def test_export_without_a_folder_is_one_line(configured: str, capsys) -> None:  # type: ignore[no-untyped-def]
    status, out, err = run(capsys, "ledger", "export")
    assert status == 2 and out == "" and "--out DIR" in err and err.count("\n") == 1
