"""The exports read by DuckDB, an implementation nobody here wrote: the register's instants are
UTC timestamps, its dates dates, its rates doubles, its schema versioned in the Parquet
metadata; the ledger export names its log and its ids alike on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import duckdb
import pytest

from cli.main import main
from ledger.export import SCHEMA_VERSION
from projections.exports import REGISTER_SCHEMA, REGISTER_SCHEMA_VERSION
from projections.register import counts_of
from runtime.bootstrap import open_read_models, open_services
from runtime.ledger_wiring import open_ledger
from runtime.settings import Settings
from tests.projections.test_public_register import _engaged_and_reported
from tests.scenario import GOLD, Scenario, start_clock


def _published_deployment(url: str, data_dir: Path) -> tuple[Settings, UUID]:
    clock = start_clock()
    settings = Settings(database_url=url, data_dir=data_dir)
    services = open_services(settings, clock=clock)
    scenario = Scenario(services.lfr, clock)
    _engaged_and_reported(scenario)
    models = open_read_models(settings, services)
    try:
        models.catch_up()
        row = models.register_row(scenario.deployment)
        assert row is not None
        services.lfr.publish_register_entry(GOLD, scenario.deployment, counts_of(row))
        models.catch_up()
    finally:
        models.close()
    return settings, scenario.deployment


def _types(path: Path) -> dict[str, str]:
    with duckdb.connect() as db:
        rows = db.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    return {name: kind for name, kind, *_ in rows}


def _metadata(path: Path) -> dict[str, str]:
    with duckdb.connect() as db:
        rows = db.execute(
            f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{path}')"
        ).fetchall()
    return dict(rows)


@pytest.fixture
def published_register(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, UUID]:
    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    _, deployment = _published_deployment(url, tmp_path)
    monkeypatch.setenv("LFR_DATABASE_URL", url)
    monkeypatch.setenv("LFR_DATA_DIR", str(tmp_path))
    out = tmp_path / "register.parquet"
    assert main(["register", "export", "--out", str(out)]) == 0
    capsys.readouterr()
    return out, deployment


def test_the_register_parquet_export_has_dates_utc_timestamps_and_double_rates(
    published_register: tuple[Path, UUID],
) -> None:
    path, _ = published_register
    types = _types(path)
    assert types["date"] == "DATE"
    for column in ("starts_at", "ends_at", "started_at", "ended_at"):
        assert types[column] == "TIMESTAMP WITH TIME ZONE", column
    for column in ("false_alert_rate_per_faces", "false_alert_rate_per_alerts", "threshold"):
        assert types[column] == "DOUBLE", column
    for column in ("alerts", "faces_seen", "arrests", "watchlist_size"):
        assert types[column] == "BIGINT", column
    assert types["notification_ids"] == "BIGINT[]"
    assert types["deployment_id"] == "VARCHAR"


def test_the_register_parquet_export_names_its_schema_and_version(
    published_register: tuple[Path, UUID],
) -> None:
    path, _ = published_register
    metadata = _metadata(path)
    assert metadata["lfr.schema"] == REGISTER_SCHEMA
    assert metadata["lfr.schema_version"] == REGISTER_SCHEMA_VERSION


def test_the_register_parquet_values_are_the_published_instants_in_utc(
    published_register: tuple[Path, UUID], capsys: pytest.CaptureFixture[str]
) -> None:
    path, deployment = published_register
    with duckdb.connect() as db:
        db.execute("SET TimeZone = 'UTC'")
        started, day, status, alerts = db.execute(
            f"SELECT started_at, date, status, alerts FROM read_parquet('{path}') "
            "WHERE deployment_id = ?",
            [str(deployment)],
        ).fetchone()
    assert main(["register", "export", "--json"]) == 0
    row = next(
        r for r in json.loads(capsys.readouterr().out) if r["deployment_id"] == str(deployment)
    )
    assert started == datetime.fromisoformat(row["started_at"])
    assert started.utcoffset() is not None and started.astimezone(UTC) == started
    assert row["started_at"].endswith("+00:00")
    assert day.isoformat() == row["date"] and status == "published" and alerts == 1


def _ledger_export(url: str, data_dir: Path) -> Path:
    """A published deployment's ledger, checkpointed and exported; the export verifies on its
    own (the leaf hashes cover the rows as each store wrote them)."""
    from ledger.export import ParquetSource
    from ledger.verify import verify_source

    settings, _ = _published_deployment(url, data_dir)
    ledger = open_ledger(settings, read_only=False)
    try:
        ledger.checkpoint()
        ledger.export_parquet(data_dir / "export")
        key = ledger.log_key
        assert key is not None
        report = verify_source(ParquetSource(data_dir / "export"), [key], key.key_id, [])
    finally:
        ledger.close()
    assert report.ok, report.summary()
    return data_dir / "export"


@pytest.mark.postgres
def test_the_ledger_export_names_log_and_ids_alike_on_sqlite_and_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    exports = {
        "sqlite": _ledger_export(f"sqlite:///{tmp_path / 'lfr.db'}", tmp_path / "s"),
        "postgres": _ledger_export(postgres_url, tmp_path / "p"),
    }
    seen = {}
    for store, folder in exports.items():
        events = folder / "events.parquet"
        assert _types(events)["originator_id"] == "VARCHAR"
        assert _metadata(events)["lfr.schema_version"] == SCHEMA_VERSION
        with duckdb.connect() as db:
            logs, ids = db.execute(
                f"SELECT list(DISTINCT log), list(originator_id) FROM read_parquet('{events}') "
                "WHERE originator_id IS NOT NULL"
            ).fetchone()
        assert all(str(UUID(i)) == i for i in ids), f"{store}: UUIDs in standard form"
        seen[store] = logs
    assert seen["sqlite"] == seen["postgres"] == ["lfrservice_events"]
