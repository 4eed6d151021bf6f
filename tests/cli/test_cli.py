from __future__ import annotations

import importlib

import pytest

from cli.main import HANDLERS, main


def test_every_command_of_the_contract_has_its_handler() -> None:
    for module_name, function_name in HANDLERS.values():
        module = importlib.import_module(f"cli.commands.{module_name}")
        assert callable(getattr(module, function_name)), f"{module_name}.{function_name}"


def test_unknown_command_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy-everything"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice" in err


def test_bad_database_url_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LFR_DATABASE_URL", "mysql://nope")
    assert main(["retention", "report"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "LFR_DATABASE_URL" in err


def test_production_refuses_a_missing_key(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from runtime.errors import ConfigurationError
    from runtime.settings import Settings

    settings = Settings(env="production", data_dir=tmp_path)
    with pytest.raises(
        ConfigurationError, match="LFR_KEY_ENCRYPTION_KEY must be set in production"
    ):
        settings.secret("key_encryption_key")
    assert not any(tmp_path.iterdir())


def test_development_makes_a_key_once_and_keeps_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from runtime.settings import Settings

    first = Settings(data_dir=tmp_path).secret("token_secret")
    assert len(first) == 32 and Settings(data_dir=tmp_path).secret("token_secret") == first
