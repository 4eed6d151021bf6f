"""docker-compose.yml cannot run here (no container engine): check what can be checked."""

from __future__ import annotations

from pathlib import Path

import yaml

from cli.main import HANDLERS, build_parser

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
ENTRY_POINTS = {"api", "worker", "ingest", "projections"}


def services() -> dict[str, dict]:  # type: ignore[type-arg]
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_has_postgres_kafka_in_kraft_mode_and_one_service_per_entry_point() -> None:
    found = services()
    assert {"postgres", "kafka"} | ENTRY_POINTS <= set(found)
    kafka = found["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert not any("ZOOKEEPER" in key for key in kafka)


def test_every_service_has_a_health_check() -> None:
    assert all("healthcheck" in spec for spec in services().values())


def test_every_service_command_is_a_real_lfr_command() -> None:
    parser = build_parser()
    for name in ENTRY_POINTS:
        command = services()[name]["command"]
        assert command[0] == "lfr", name
        args = parser.parse_args(
            [a.replace("${LFR_DEPLOYMENT_ID:-unset}", "d") for a in command[1:]]
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
