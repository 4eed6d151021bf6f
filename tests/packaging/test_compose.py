"""docker-compose.yml cannot run here (no container engine): it is checked against the
Compose Specification's JSON schema (vendored beside this file with its licence) and against
the system's own commands."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from cli.main import HANDLERS, build_parser

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
SCHEMA = Path(__file__).resolve().parent / "compose_spec" / "compose_spec.json"
ENTRY_POINTS = {"api", "worker", "ingest", "projections"}


def services() -> dict[str, dict]:  # type: ignore[type-arg]
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_has_postgres_kafka_in_kraft_mode_and_one_service_per_entry_point() -> None:
    found = services()
    assert {"postgres", "kafka"} | ENTRY_POINTS <= set(found)
    kafka = found["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert not any("ZOOKEEPER" in key for key in kafka)


def test_compose_file_is_valid_under_the_compose_specification_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    document = yaml.safe_load(COMPOSE.read_text())
    errors = list(jsonschema.Draft201909Validator(schema).iter_errors(document))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_schema_check_refuses_a_compose_file_with_a_misspelt_key() -> None:
    schema = json.loads(SCHEMA.read_text())
    document = yaml.safe_load(COMPOSE.read_text())
    document["services"]["api"]["helthcheck"] = document["services"]["api"].pop("healthcheck")
    assert list(jsonschema.Draft201909Validator(schema).iter_errors(document))


def test_every_service_has_a_health_check() -> None:
    assert all("healthcheck" in spec for spec in services().values())


def test_each_system_service_is_ready_by_its_own_lfr_health_check_not_by_a_process_list() -> None:
    parser = build_parser()
    for name in ENTRY_POINTS:
        test = services()[name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "lfr", "health"], name
        args = parser.parse_args([a.replace("${LFR_CAMERA_ID:-camera-1}", "c") for a in test[2:]])
        assert (args.command, args.subcommand) in HANDLERS, name


def test_worker_without_a_deployment_refuses_and_is_not_restarted_in_a_loop() -> None:
    worker = services()["worker"]
    assert "${LFR_DEPLOYMENT_ID:-}" in worker["command"]
    assert worker["restart"].startswith("on-failure:")


def test_kafka_security_settings_reach_every_service() -> None:
    for name in ENTRY_POINTS:
        env = services()[name]["environment"]
        assert {"LFR_KAFKA_SECURITY_PROTOCOL", "LFR_KAFKA_SASL_MECHANISM"} <= set(env), name


def test_every_service_command_is_a_real_lfr_command() -> None:
    parser = build_parser()
    for name in ENTRY_POINTS:
        command = services()[name]["command"]
        assert command[0] == "lfr", name
        args = parser.parse_args(
            [
                a.replace("${LFR_DEPLOYMENT_ID:-}", "d").replace("${LFR_CAMERA_ID:-camera-1}", "c")
                for a in command[1:]
            ]
        )
        key = (
            (args.command, args.subcommand)
            if getattr(args, "subcommand", None)
            else (args.command,)
        )
        assert key in HANDLERS, name


def test_services_take_settings_from_the_environment_in_production() -> None:
    for name in ENTRY_POINTS:
        env = services()[name]["environment"]
        assert env["LFR_ENV"] == "production"
        assert {"LFR_DATABASE_URL", "LFR_KAFKA_BOOTSTRAP", "LFR_LEDGER_SIGNING_KEY"} <= set(env)
