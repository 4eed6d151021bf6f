"""Every `lfr` command given bad input or an unavailable store: one line on standard error,
a non-zero exit, within the connect timeout; no traceback, no password, no store created."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cli.main import HANDLERS

PASSWORD = "s3cret-pw"
UNREACHABLE = f"postgresql://lfr:{PASSWORD}@127.0.0.1:1/lfr"  # nothing listens on port 1
NO_DEPLOYMENT = "00000000-0000-0000-0000-000000000000"
HUGE = "9" * 30
CONNECT_TIMEOUT_S = 5
PROJECT = Path(__file__).resolve().parents[2]


@dataclass
class Case:
    command: tuple[str, ...]
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    store: str = "sqlite"  # "sqlite" (made first), "none", or a URL/path template
    expect: str = ""  # a fragment of the one line
    # `ledger verify` reports a store it cannot open as a failed verification, on standard
    # output like every verification report (exit status 1).
    report: bool = False

    @property
    def name(self) -> str:
        return " ".join(self.argv)[:60] + (" " + " ".join(self.env) if self.env else "")


def _b64(size: int) -> str:
    return base64.b64encode(os.urandom(size)).decode()


CASES = [
    Case(("ledger", "prove"), ["ledger", "prove", HUGE], expect="not between"),
    Case(("ledger", "prove"), ["ledger", "prove", "0"], expect="not between"),
    Case(("ledger", "prove"), ["ledger", "prove", "12"], expect="12"),
    Case(("ledger", "consistency"), ["ledger", "consistency", "1", HUGE], expect="not between"),
    Case(("ledger", "export"), ["ledger", "export", "--out", "{file}"], expect="{file}"),
    Case(("ledger", "export"), ["ledger", "export", "--out", "/proc/lfr-export"]),
    Case(("ledger", "export"), ["ledger", "export", "--out", "{file}/below", "--json"]),
    Case(("ledger", "export"), ["ledger", "export", "--parquet", "{file}"], expect="{file}"),
    Case(("ledger", "export"), ["ledger", "export"], expect="--out DIR"),
    Case(("ledger", "verify"), ["ledger", "verify", "--export", "{tmp}/none"], expect="export"),
    Case(("ledger", "verify"), ["ledger", "verify", "--checkpoint", "{tmp}/none.txt"]),
    Case(("ledger", "verify"), ["ledger", "verify"], store="sqlite:///{tmp}/typo.db"),
    Case(("ledger", "verify"), ["ledger", "verify"], store="sqlite:///{tmp}/no/such/lfr.db"),
    Case(
        ("ledger", "verify"), ["ledger", "verify"], store="sqlite:///{file}", expect="not a SQLite"
    ),
    Case(
        ("ledger", "verify"),
        ["ledger", "verify"],
        store=UNREACHABLE,
        expect="does NOT verify",
        report=True,
    ),
    Case(
        ("ledger", "checkpoint"),
        ["ledger", "checkpoint"],
        env={"LFR_LEDGER_SIGNING_KEY": "abc"},
        expect="LFR_LEDGER_SIGNING_KEY",
    ),
    Case(("ledger", "checkpoint"), ["ledger", "checkpoint"], store=UNREACHABLE),
    Case(
        ("ledger", "key"),
        ["ledger", "key"],
        env={"LFR_LEDGER_SIGNING_KEY": "not base64!"},
        expect="LFR_LEDGER_SIGNING_KEY",
    ),
    Case(
        ("ledger", "key"),
        ["ledger", "key", "--vkey"],
        env={"LFR_LEDGER_SIGNING_KEY": "abc"},
        expect="LFR_LEDGER_SIGNING_KEY",
    ),
    Case(
        ("ledger", "vkey"),
        ["ledger", "vkey"],
        env={"LFR_LEDGER_SIGNING_KEY": "abc"},
        expect="LFR_LEDGER_SIGNING_KEY",
    ),
    Case(("ledger", "vkey"), ["ledger", "vkey"], store="sqlite:///{tmp}/typo.db"),
    Case(
        ("ledger", "witness", "vkey"),
        ["ledger", "witness", "vkey", "--state", "{file}/below", "--name", "w", "--json"],
    ),
    Case(
        ("ledger", "witness", "serve"),
        ["ledger", "witness", "serve", "--state", "{tmp}/w", "--name", "w", "--log", "junk"],
    ),
    Case(
        ("ledger", "witness", "serve"),
        [
            "ledger",
            "witness",
            "serve",
            "--state",
            "{tmp}/w",
            "--name",
            "w",
            "--log",
            "x",
            "--port",
            "99999",
        ],
    ),
    Case(("register", "export"), ["register", "export", "--out", "{tmp}"], expect="name the file"),
    Case(("register", "export"), ["register", "export", "--out", "{tmp}/r.xml"], expect=".parquet"),
    Case(
        ("register", "export"),
        ["register", "export", "--out", "{tmp}/no/such/r.csv"],
        expect="no folder",
    ),
    Case(("register", "export"), ["register", "export", "--out", "{file}/r.csv", "--json"]),
    Case(("register", "export"), ["register", "export", "--format", "csv", "--out", "{tmp}"]),
    Case(("register", "export"), ["register", "export", "--format", "parquet"], expect="--out"),
    Case(("register", "export"), ["register", "export", "--format", "xml"]),
    Case(("register", "export"), ["register", "export", "--json"], store=UNREACHABLE),
    Case(("report", "write"), ["report", "write", "--out", "r.pdf"], expect="--deployment"),
    Case(
        ("report", "write"),
        ["report", "write", "--deployment", "x", "--out", "r.pdf"],
        expect="not a deployment id",
    ),
    Case(
        ("report", "write"),
        ["report", "write", "--deployment", NO_DEPLOYMENT, "--out", "r.txt"],
        expect="--format pdf or html",
    ),
    Case(
        ("report", "write"),
        ["report", "write", "--deployment", NO_DEPLOYMENT, "--out", "{file}/r.pdf"],
        expect="no folder",
    ),
    Case(
        ("report", "write"),
        ["report", "write", "--deployment", NO_DEPLOYMENT, "--out", "r.pdf"],
        expect="no Deployment with id",
    ),
    Case(
        ("report", "write"),
        ["report", "write", "--deployment", NO_DEPLOYMENT, "--out", "r.pdf"],
        store=UNREACHABLE,
    ),
    Case(("retention", "report"), ["retention", "report"], store=UNREACHABLE),
    Case(
        ("retention", "report"),
        ["retention", "report"],
        store="postgresql://postgres@127.0.0.1:5432/lfr_no_such_database_f",
        expect="not available",
    ),
    Case(("retention", "report"), ["retention", "report"], store="sqlite:///{file}"),
    Case(
        ("retention", "report"),
        ["retention", "report"],
        env={"LFR_KEY_ENCRYPTION_KEY": _b64(8)},
        expect="LFR_KEY_ENCRYPTION_KEY",
    ),
    Case(("retention", "sweep"), ["retention", "sweep", "--as-of", "yesterday"]),
    Case(
        ("retention", "sweep"),
        ["retention", "sweep", "--as-of", "2999-01-01T00:00:00+00:00"],
        expect="LFR_ENV=development",
    ),
    Case(
        ("retention", "sweep"),
        ["retention", "sweep", "--as-of", "2999-01-01", "--dry-run"],
        env={"LFR_ENV": "production"},
        expect="refused in production",
    ),
    Case(("retention", "sweep"), ["retention", "sweep", "--dry-run", "--json"], store=UNREACHABLE),
    Case(("retention", "sweep"), ["retention", "sweep"], store=UNREACHABLE),
    Case(
        ("token", "issue"),
        ["token", "issue", "--user", "u", "--role", "operator", "--hours", "nan"],
    ),
    Case(
        ("token", "issue"), ["token", "issue", "--user", "u", "--role", "operator", "--hours", "-1"]
    ),
    Case(
        ("token", "issue"),
        ["token", "issue", "--user", "u", "--role", "operator"],
        env={"LFR_TOKEN_SECRET": "%%%"},
        expect="LFR_TOKEN_SECRET",
    ),
    Case(
        ("token", "issue"),
        ["token", "issue", "--user", "u", "--role", "operator", "--json", "--hours", "0"],
        expect="--hours",
    ),
    Case(("project",), ["project", "--once"], store=UNREACHABLE, expect="not available"),
    Case(("project",), ["project", "--once"], store="sqlite:///{file}"),
    Case(("project",), ["project", "--once", "--json"], store=UNREACHABLE, expect="not available"),
    Case(("api",), ["api", "--port", "70000"], expect="port"),
    Case(("api",), ["api", "--port", "{port}"], store=UNREACHABLE, expect="not available"),
    Case(("ingest",), ["ingest"], store="sqlite:///{tmp}/no/such/lfr.db"),
    Case(("ingest",), ["ingest", "--share", "2/2"], expect="0 <= I < N"),
    Case(("ingest",), ["ingest", "--share", "half"], expect="I/N"),
    Case(("ingest",), ["ingest", "--processes", "0"], expect="--processes"),
    Case(
        ("ingest",),
        ["ingest", "--processes", "2"],
        store="memory:",
        expect="store they share",
    ),
    Case(("ingest",), ["ingest", "--processes", "2", "--share", "0/2"], expect="not allowed"),
    Case(("worker",), ["worker", "--deployment", "not-an-id", "--source", "{tmp}/none.mp4"]),
    Case(("eval", "faces"), ["eval", "faces", "{tmp}/no-such-folder"]),
    Case(("eval", "faces"), ["eval", "faces", "{tmp}", "--watchlist-size", HUGE]),
    Case(("eval", "faces"), ["eval", "faces", "{tmp}", "--out", "{tmp}/p.png"], expect="--whole"),
    Case(
        ("eval", "faces"),
        ["eval", "faces", "{tmp}", "--whole", "--out", "{tmp}/no/such/p.png"],
        expect="no folder",
    ),
    Case(("ledger", "nope"), ["ledger", "nope"], expect="lfr ledger: argument COMMAND"),
    Case(("demo",), ["demo", "--json", "--threshold", "0"], expect="lfr demo: argument"),
    Case(("demo",), ["demo", "--threshold", "2"]),
    Case(("demo",), ["demo", "--video", "{tmp}/none.mp4"], store="none"),
    Case(("health", "api"), ["health", "api", "--url", "http://127.0.0.1:1"], expect="not ready"),
    Case(("health", "api"), ["health", "api", "--timeout", "soon"], expect="invalid float"),
    Case(("health", "ingest"), ["health", "ingest"], store="none", expect="not reported"),
    Case(("health", "ingest"), ["health", "ingest", "--max-lag", HUGE[:3] + "x"]),
    Case(("health", "projections"), ["health", "projections"], store="none", expect="not ready"),
    Case(("health", "worker"), ["health", "worker", "--camera", "c9"], expect="c9"),
    Case(("health", "worker"), ["health", "worker", "--json"], expect="not reported"),
    Case(
        ("report", "write"),
        ["report", "write", "--deployment", "not-an-id", "--out", "{tmp}/r.pdf", "--json"],
        expect="not a deployment id",
    ),
    Case(
        ("report", "write"),
        ["report", "write", "--deployment", "0" * 32, "--out", "{tmp}/r.doc"],
        expect="--format pdf or html",
    ),
]


def test_every_command_has_bad_input_cases() -> None:
    assert set(HANDLERS) <= {case.command for case in CASES}


def _prepare(case: Case, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    import socket

    file = tmp_path / "a-file.txt"
    file.write_text("not a folder and not a database\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    values = {"tmp": str(tmp_path), "file": str(file), "port": str(port)}
    argv = [a.format(**values) for a in case.argv]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LFR_") or k in ("LFR_TEST_POSTGRES",)
    }
    env.update(
        {
            "LFR_DATA_DIR": str(tmp_path / "data"),
            "LFR_DATABASE_CONNECT_TIMEOUT_S": str(CONNECT_TIMEOUT_S),
            "LFR_KAFKA_BOOTSTRAP": "127.0.0.1:1",
            "PYTHONPATH": str(PROJECT),  # this checkout's code, whatever the working folder
            **case.env,
        }
    )
    if case.store == "sqlite":
        env["LFR_DATABASE_URL"] = f"sqlite:///{tmp_path / 'lfr.db'}"
        from runtime.bootstrap import open_services
        from runtime.settings import Settings

        open_services(Settings(database_url=env["LFR_DATABASE_URL"], data_dir=tmp_path / "data"))
    elif case.store != "none":
        env["LFR_DATABASE_URL"] = case.store.format(**values)
    return argv, env


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_gives_one_line_and_a_non_zero_exit(case: Case, tmp_path: Path) -> None:
    argv, env = _prepare(case, tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    took = time.monotonic() - started
    lines = (done.stdout if case.report else done.stderr).strip().splitlines()
    assert done.returncode != 0, (argv, done.stdout, done.stderr)
    assert len(lines) == 1 and (case.report or lines[0].startswith("lfr")), done.stderr
    assert not lines[0].startswith("lfr: lfr"), lines[0]
    assert "Traceback" not in done.stderr and PASSWORD not in done.stderr + done.stdout
    assert took < CONNECT_TIMEOUT_S + 25, f"{took:.0f} s"
    fragment = case.expect.format(file=str(tmp_path / "a-file.txt"))
    assert fragment in lines[0], lines[0]
    if "typo.db" in env.get("LFR_DATABASE_URL", "") or "/no/such/" in str(
        argv + [env.get("LFR_DATABASE_URL", "")]
    ):
        assert sorted(p.name for p in tmp_path.rglob("*")) == before, "no store is created"


def test_a_report_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """`lfr retention report | head`: the reader went away; no traceback."""
    case = Case(("retention", "report"), ["retention", "report", "--json"])
    argv, env = _prepare(case, tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *argv],
        env=env,
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    os.close(write_end)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
