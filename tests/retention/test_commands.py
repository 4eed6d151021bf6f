"""`lfr retention sweep` and `lfr retention report` on a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.main import main
from projections.retention_projection import ITEMS_TABLE
from runtime.bootstrap import open_services
from runtime.settings import Settings
from tests.scenario import Clock, Scenario


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    monkeypatch.setenv("LFR_DATABASE_URL", url)
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LFR_ENV", raising=False)
    return Settings(database_url=url, data_dir=tmp_path)


def alert_raised_days_ago(settings: Settings, days: float) -> str:
    clock = Clock(datetime.now(UTC) - timedelta(days=days))
    scenario = Scenario(open_services(settings, clock=clock).lfr, clock).live()
    return str(scenario.alert())


def test_report_raises_an_alarm_and_exits_1_when_an_alert_is_kept_past_its_deadline(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    overdue = alert_raised_days_ago(store, 40)
    assert main(["retention", "report"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("!" * 78)
    assert "ALARM: 1 item(s) OVERDUE" in out and overdue in out
    assert "faces seen, none stored" in out


def test_report_without_overdue_items_exits_0_and_lists_what_is_live(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    live = alert_raised_days_ago(store, 2)
    assert main(["retention", "report", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["alarm"] is False
    assert document["counts"]["live"] == 3  # two watchlist entries and the alert
    item = next(i for i in document["items"] if i["item_id"] == live)
    assert item["status"] == "live" and item["rule"] == "alert-data-31d-after-alert"


def test_sweep_erases_what_is_due_and_the_report_proves_each_erasure_in_the_ledger(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    overdue = alert_raised_days_ago(store, 40)
    assert main(["retention", "sweep", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["erased_ids"] == [overdue]

    assert main(["retention", "report", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    item = next(i for i in document["items"] if i["item_id"] == overdue)
    assert item["status"] == "erased"
    proof = item["erasure_proof"]
    assert proof["verified"] is True
    assert proof["event"]["topic"] == "domain.alert:Alert.AlertDataErased"
    assert main(["retention", "report"]) == 0
    assert "proved in checkpoint" in capsys.readouterr().out
    assert main(["ledger", "verify"]) == 0


def test_sweep_as_of_a_later_time_erases_in_development(
    store: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LFR_ENV", "development")
    alert = alert_raised_days_ago(store, 1)
    later = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    assert main(["retention", "sweep", "--as-of", later, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # The deployment's window closed yesterday: the sweep ends it first, so as of a month
    # later its watchlist (24 hours after that end) is due as well as the alert.
    assert list(result["deployments_ended"].values()) == ["window_ended"]
    assert alert in result["erased_ids"] and len(result["erased_ids"]) == 3


def test_sweep_as_of_a_later_time_is_refused_unless_development_is_set_explicitly(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    alert = alert_raised_days_ago(store, 1)
    later = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    assert main(["retention", "sweep", "--as-of", later]) == 2
    assert "LFR_ENV=development" in capsys.readouterr().err
    assert main(["retention", "report", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert next(i for i in document["items"] if i["item_id"] == alert)["status"] == "live"


def test_a_dry_run_sweep_lists_what_is_due_and_erases_nothing(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    overdue = alert_raised_days_ago(store, 40)
    assert main(["retention", "sweep", "--dry-run", "--json"]) == 0
    would = json.loads(capsys.readouterr().out)
    assert would["dry_run"] is True
    assert [i["item_id"] for i in would["to_erase_items"]] == [overdue]
    assert main(["retention", "sweep", "--dry-run"]) == 0
    assert f"would erase alert {overdue}" in capsys.readouterr().out
    assert main(["retention", "report"]) == 1  # still overdue: nothing was erased
    capsys.readouterr()
    assert main(["retention", "sweep", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["erased_ids"] == [overdue]


def test_sweep_as_of_is_refused_in_production(
    store: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LFR_ENV", "production")
    assert main(["retention", "sweep", "--as-of", "2030-01-01T00:00:00"]) == 2
    assert "refused in production" in capsys.readouterr().err


def test_sweep_as_of_that_is_not_a_time_is_a_one_line_error(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retention", "sweep", "--as-of", "next tuesday"]) == 2
    err = capsys.readouterr().err
    assert "not an ISO 8601 time" in err and len(err.strip().splitlines()) == 1


def test_report_raises_an_alarm_when_the_retention_table_was_edited_behind_the_events(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    alert_id = alert_raised_days_ago(store, 40)
    assert main(["retention", "report", "--json"]) == 1  # overdue: builds and seals the table
    capsys.readouterr()
    with sqlite3.connect(store.data_dir / "lfr.db") as conn:  # an intruder hides the alert
        conn.execute(
            f'UPDATE {ITEMS_TABLE.name} SET hold = \'{{"basis": "x"}}\' WHERE item_id = ?',
            (alert_id,),
        )

    assert main(["retention", "report"]) == 1
    out = capsys.readouterr().out
    assert "the retention tables did not match the events" in out
    assert "OVERDUE" in out and alert_id in out  # judged from the events, not the edit
