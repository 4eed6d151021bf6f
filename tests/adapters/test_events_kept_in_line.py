"""On PostgreSQL an alert's event, sealed crop included, is stored in its row: not compressed
(sealed bytes never compress) and not moved out to the TOAST table, which cost as much again
as the row. A table made before this setting gets it at the next start."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import psycopg

from runtime.bootstrap import Services, open_services
from runtime.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.scenario import Scenario, padded_jpeg, start_clock


def events_table(services: Services) -> str:
    recorder: Any = services.lfr.recorder
    return f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'


def value(sql: str, *params: object) -> Any:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()
        assert row is not None
        return row[0]


def toast_rows(table: str) -> int:
    toast = value(
        "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = %s::regclass", table
    )
    return int(value(f"SELECT count(*) FROM {toast}"))


def test_an_alert_with_its_sealed_crop_is_stored_in_its_row(
    postgres_url: str, tmp_path: Path
) -> None:
    clock = start_clock()
    services = open_services(Settings(database_url=postgres_url, data_dir=tmp_path), clock)
    scenario = Scenario(services.lfr, clock).live()
    for n in range(5):
        match = dataclasses.replace(scenario.match(track=f"t{n}"), probe_jpeg=padded_jpeg(3000))
        services.lfr.raise_alert(scenario.worker, match)

    table = events_table(services)
    largest = value(f"SELECT max(octet_length(state)) FROM {table}")
    assert largest > 4000  # over the 2 kB at which PostgreSQL would compress and move it
    assert toast_rows(table) == 0


def test_an_events_table_made_without_the_setting_gets_it_at_the_next_start(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=postgres_url, data_dir=tmp_path)
    table = events_table(open_services(settings, start_clock()))
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {table} RESET (toast_tuple_target)")
    options = "SELECT coalesce(reloptions, '{}') FROM pg_class WHERE oid = %s::regclass"
    assert not any(o.startswith("toast_tuple_target") for o in value(options, table))

    open_services(settings, start_clock())

    assert "toast_tuple_target=8160" in value(options, table)
