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
    from runtime.settings import Settings
    from services.errors import ConfigurationError

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


def test_version_is_printed_like_other_command_lines(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"lfr {version('lfr')}"


@pytest.mark.parametrize(
    ("argv", "lists"),
    [
        ([], "retention"),
        (["ledger"], "consistency"),
        (["ledger", "witness"], "serve"),
        (["register"], "export"),
        (["retention"], "sweep"),
        (["eval"], "faces"),
        (["token"], "issue"),
    ],
)
def test_a_group_without_its_subcommand_shows_the_group_help(
    argv: list[str], lists: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"usage: lfr{''.join(' ' + a for a in argv)} ")
    assert lists in captured.out and captured.err == ""


def test_a_usage_error_names_the_command_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "prove", "zero"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lfr ledger prove: argument seq:") and "lfr: lfr" not in err


def test_the_worker_summary_prints_nested_values_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from cli.commands.recognition import _print

    _print({"camera_id": "c1", "quality_policy": {"min_face_px": 40, "max_yaw": 0.35}}, False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "camera_id: c1"
    assert json.loads(lines[1].removeprefix("quality_policy: ")) == {
        "min_face_px": 40,
        "max_yaw": 0.35,
    }


def test_progress_off_a_terminal_is_plain_lines_with_totals_and_eta() -> None:
    import io

    from cli.progress import progress

    stream = io.StringIO()
    with progress("indexing", 4, stream) as advance:
        for done in range(1, 5):
            advance(done)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("indexing: 1/4 (25%, ") and "ETA" in lines[0]
    assert lines[-1].startswith("indexing: 4/4 (100%, ") and "ETA 0:00:00" in lines[-1]


def test_progress_on_a_terminal_is_a_bar_with_totals_and_eta() -> None:
    import io

    from cli.progress import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    with progress("indexing", 200, stream) as advance:
        advance(50)
    shown = stream.getvalue()
    assert "indexing" in shown and "50/200" in shown and "25%" in shown and "ETA" in shown
