"""The `lfr` command line. Each command lives in `cli.commands.<module>.<function>`,
imported only when that command runs, so `lfr --help` and light commands start fast."""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

from services.errors import UsageError, UserError

# command path -> (module under cli.commands, function)
HANDLERS: dict[tuple[str, ...], tuple[str, str]] = {
    ("demo",): ("demo", "run_demo"),
    ("api",): ("api_server", "run_api"),
    ("worker",): ("recognition", "run_worker"),
    ("ingest",): ("ingest", "run_ingest"),
    ("project",): ("projections", "run_projections"),
    ("ledger", "verify"): ("ledger", "verify"),
    ("ledger", "checkpoint"): ("ledger", "checkpoint"),
    ("ledger", "prove"): ("ledger", "prove"),
    ("ledger", "consistency"): ("ledger", "consistency"),
    ("ledger", "export"): ("ledger", "export"),
    ("ledger", "key"): ("ledger", "key"),
    ("ledger", "vkey"): ("ledger", "key"),  # deprecated spelling of `key --vkey`
    ("ledger", "witness", "serve"): ("witness", "serve"),
    ("ledger", "witness", "vkey"): ("witness", "vkey"),
    ("register", "export"): ("register", "export"),
    ("report", "write"): ("report", "write"),
    ("retention", "sweep"): ("retention", "sweep"),
    ("retention", "report"): ("retention", "report"),
    ("eval", "faces"): ("recognition", "eval_faces"),
    ("token", "issue"): ("token", "issue"),
    ("health", "api"): ("health", "check_api"),
    ("health", "ingest"): ("health", "check_ingest"),
    ("health", "projections"): ("health", "check_projections"),
    ("health", "worker"): ("health", "check_worker"),
}


MAX_POSITION = 2**63 - 1  # the largest notification id or tree size a store holds


def _position(text: str) -> int:
    """A notification id or tree size: a whole number from 1 to 2^63-1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_POSITION:
        raise argparse.ArgumentTypeError(f"{text} is not between 1 and {MAX_POSITION}")
    return value


def _hours(text: str) -> float:
    """A validity in hours: a finite number above 0, at most a year."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and 0 < value <= 24 * 366):
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and {24 * 366} hours")
    return value


def _fraction(text: str) -> float:
    """A threshold: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _count(text: str) -> int:
    """A size: a whole number from 1 to a million."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{text} is not between 1 and 1000000")
    return value


def _share(text: str) -> tuple[int, int]:
    """`I/N`: the I-th (from 0) of N ingest processes."""
    index, _, count = text.partition("/")
    try:
        share = int(index), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not I/N (e.g. 0/2)") from None
    if not 0 <= share[0] < share[1] <= 1000:
        raise argparse.ArgumentTypeError(f"{text}: I/N needs 0 <= I < N <= 1000")
    return share


def _processes(text: str) -> int:
    """How many ingest processes: 1 to 64."""
    value = _count(text)
    if value > 64:
        raise argparse.ArgumentTypeError(f"{text} is more than 64 processes")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


class _Deprecated(argparse.Action):
    """An old spelling still accepted: stores like the new one and notes the change, which
    `main` prints on standard error once the command has succeeded."""

    def __init__(self, *args: Any, instead: str, **kwargs: Any) -> None:
        self.instead = instead
        super().__init__(*args, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        note = f"{option_string} is deprecated: use {self.instead}"
        namespace.deprecations = (*getattr(namespace, "deprecations", ()), note)


def _group(
    commands: Any, name: str, help: str, dest: str = "subcommand"
) -> tuple[argparse.ArgumentParser, Any]:
    """A command group (`lfr ledger`); without a subcommand it prints its own help."""
    group = commands.add_parser(name, help=help, description=help)
    group.set_defaults(group_help=group)
    return group, group.add_subparsers(dest=dest, parser_class=_Parser, metavar="COMMAND")


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("lfr")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lfr", description="Accountable Live Facial Recognition")
    parser.add_argument("--version", action="version", version=f"lfr {version()}")
    parser.set_defaults(group_help=parser)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="a complete deployment lifecycle on the configured stores"
    )
    demo.add_argument("--video", help="a video file to run the recognition worker over")
    demo.add_argument("--watchlist", help="a folder holding one folder of images per person")
    demo.add_argument("--threshold", type=_fraction, help="the face-match threshold to authorise")
    _json(demo)

    api = commands.add_parser("api", help="serve the operator and public API")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)

    worker = commands.add_parser("worker", help="the recognition worker for a live deployment")
    worker.add_argument("--deployment", required=True, help="the deployment id")
    worker.add_argument(
        "--source",
        required=True,
        action="append",
        help="a video file, camera index or URL (repeat with --camera for several cameras)",
    )
    worker.add_argument(
        "--camera", action="append", help="the camera id of each --source (default camera-1)"
    )
    _json(worker)

    ingest = commands.add_parser("ingest", help="consume match events from Kafka into the store")
    shares = ingest.add_mutually_exclusive_group()
    shares.add_argument(
        "--processes",
        type=_processes,
        default=1,
        help="run N ingest processes, process i reading the partitions p with p %% N == i",
    )
    shares.add_argument(
        "--share",
        type=_share,
        help="I/N: read only the partitions p with p %% N == I (one of N processes)",
    )

    project = commands.add_parser("project", help="run or rebuild the projections")
    project.add_argument("--rebuild", action="store_true", help="drop and rebuild from zero")
    project.add_argument("--once", action="store_true", help="catch up, then exit")
    project.add_argument(
        "--retry-failed",
        action="store_true",
        help="first project again the events recorded as failed (after a fix)",
    )
    project.add_argument(
        "--json", action="store_true", help="with --once: print the counts as JSON"
    )

    _ledger_commands(commands)
    _register_commands(commands)
    _report_commands(commands)
    _retention_commands(commands)
    _eval_commands(commands)
    _token_commands(commands)
    _health_commands(commands)
    return parser


def _ledger_commands(commands: Any) -> None:
    _, ledger_cmds = _group(commands, "ledger", "the tamper-evident audit ledger")
    verify = ledger_cmds.add_parser(
        "verify", help="recompute the ledger and check every checkpoint"
    )
    _json(verify)
    verify.add_argument("--export", metavar="DIR", help="verify an export folder, not the store")
    verify.add_argument(
        "--parquet",
        dest="export",
        action=_Deprecated,
        instead="--export DIR",
        help=argparse.SUPPRESS,
    )
    verify.add_argument("--checkpoint", help="also check against a published checkpoint file")
    checkpoint = ledger_cmds.add_parser("checkpoint", help="sign a checkpoint of the ledger now")
    _json(checkpoint)
    prove = ledger_cmds.add_parser("prove", help="inclusion proof of one entry")
    prove.add_argument("seq", type=_position, help="the entry's notification id")
    _json(prove)
    consistency = ledger_cmds.add_parser("consistency", help="consistency proof between sizes")
    consistency.add_argument("old", type=_position)
    consistency.add_argument("new", type=_position)
    _json(consistency)
    export = ledger_cmds.add_parser("export", help="export events and checkpoints for auditors")
    export.add_argument("--out", metavar="DIR", help="the folder to write (Parquet files)")
    export.add_argument(
        "--parquet", dest="out", action=_Deprecated, instead="--out DIR", help=argparse.SUPPRESS
    )
    _json(export)
    key = ledger_cmds.add_parser(
        "key", help="the log's public key and its fingerprint, to publish for the public"
    )
    _json(key)
    key.add_argument(
        "--vkey",
        action="store_true",
        help="print only the C2SP verifier key (what witnesses and verifiers take)",
    )
    vkey = ledger_cmds.add_parser("vkey", help="deprecated: `lfr ledger key --vkey`")
    vkey.set_defaults(
        vkey=True,
        json=False,
        deprecations=("`lfr ledger vkey` is deprecated: use `lfr ledger key --vkey`",),
    )
    _, witness_cmds = _group(
        ledger_cmds, "witness", "a witness that co-signs checkpoints", dest="witness_action"
    )
    serve = witness_cmds.add_parser("serve", help="serve the C2SP tlog-witness protocol")
    witness_vkey = witness_cmds.add_parser("vkey", help="print the witness's verifier key")
    _json(witness_vkey)
    for sub in (serve, witness_vkey):
        sub.add_argument("--state", required=True, help="the witness's own key and state folder")
        sub.add_argument("--name", required=True, help="the witness's name (e.g. dpo.example/w1)")
    serve.add_argument("--log", action="append", required=True, help="a log's vkey to witness")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8100)


def _register_commands(commands: Any) -> None:
    _, register_cmds = _group(commands, "register", "the public register of deployments")
    reg_export = register_cmds.add_parser(
        "export",
        help="export the register: CSV on standard output, --json, or --out FILE",
    )
    reg_export.add_argument(
        "--out",
        metavar="FILE",
        help="the file to write; its suffix (.csv, .json, .parquet) says how",
    )
    reg_export.add_argument(
        "--json", action="store_true", help="print JSON (with --out: print what was written)"
    )
    reg_export.add_argument(
        "--format",
        choices=["csv", "json", "parquet"],
        action=_Deprecated,
        instead="--json, or --out FILE with the format's suffix",
        help=argparse.SUPPRESS,
    )


def _report_commands(commands: Any) -> None:
    _, report_cmds = _group(commands, "report", "the cancellation report Gold submitted")
    write = report_cmds.add_parser("write", help="write the report to a file (PDF or HTML)")
    write.add_argument("--deployment", required=True, help="the deployment's id")
    write.add_argument(
        "--out", metavar="FILE", required=True, help="the file to write; .pdf or .html says how"
    )
    write.add_argument("--format", choices=["pdf", "html"], help="default: from --out's suffix")
    write.add_argument("--version", type=_position, help="a version (default: the latest)")
    _json(write)


def _retention_commands(commands: Any) -> None:
    _, retention_cmds = _group(commands, "retention", "retention and erasure")
    sweep = retention_cmds.add_parser("sweep", help="erase what is due")
    sweep.add_argument(
        "--as-of",
        help="ISO time to sweep as of (development only; a future time needs LFR_ENV=development)",
    )
    sweep.add_argument(
        "--dry-run", action="store_true", help="show what would be erased or ended; change nothing"
    )
    _json(sweep)
    report = retention_cmds.add_parser("report", help="what is live, due, overdue, held, erased")
    _json(report)


def _eval_commands(commands: Any) -> None:
    _, eval_cmds = _group(commands, "eval", "evaluate the face engine")
    faces = eval_cmds.add_parser("faces", help="NPL-style TPIR/FPIR on identity folders")
    faces.add_argument("dir", help="a folder of identity folders (Person_Name/*.jpg)")
    faces.add_argument("--distractors", help="a folder of distractor images")
    faces.add_argument("--watchlist-size", type=_count, help="how many identities to enrol")
    faces.add_argument(
        "--whole",
        action="store_true",
        help="evaluate the whole folder (default: tune on one "
        "half of the identities, report the other)",
    )
    faces.add_argument(
        "--out", metavar="PNG", help="where to write the TPIR/FPIR plot (with --whole)"
    )
    faces.add_argument(
        "--plot", dest="out", action=_Deprecated, instead="--out PNG", help=argparse.SUPPRESS
    )
    _json(faces)


def _token_commands(commands: Any) -> None:
    _, token_cmds = _group(commands, "token", "API tokens")
    issue = token_cmds.add_parser("issue", help="a signed token for the API (development)")
    issue.add_argument("--user", required=True)
    issue.add_argument("--role", required=True, action="append")
    issue.add_argument("--hours", type=_hours, default=8.0)
    issue.add_argument("--deployment", help="a worker's token: the deployment it is bound to")
    issue.add_argument(
        "--camera", action="append", help="a worker's token: a camera it may report for"
    )
    _json(issue)


def main(argv: Sequence[str] | None = None) -> int:
    # OpenCV's own warnings (e.g. FFmpeg on a bad file) would add lines to our one-line errors.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    from pydantic import ValidationError

    from cli.guard import check_store, one_line, redact
    from domain.errors import DomainError

    settings = None
    try:
        args = build_parser().parse_args(argv)
        key = tuple(
            getattr(args, name)
            for name in ("command", "subcommand", "witness_action")
            if getattr(args, name, None)
        )
        if key not in HANDLERS:  # a group without its subcommand: the group's help
            args.group_help.print_help()
            return 0
        module_name, function_name = HANDLERS[key]
        from runtime.settings import Settings

        settings = Settings()
        check_store(settings, key, args)
        module = importlib.import_module(f"cli.commands.{module_name}")
        result = getattr(module, function_name)(args, settings)
        sys.stdout.flush()  # a closed pipe is found here, not at exit
        for note in getattr(args, "deprecations", ()):
            print(f"lfr: note: {note}", file=sys.stderr)
        return int(result or 0)
    except UsageError as error:  # argparse's message already names the command
        print(redact(str(error)), file=sys.stderr)
        return 2
    except (UserError, DomainError) as error:
        print(f"lfr: {redact(str(error))}", file=sys.stderr)
        return 2
    except ValidationError as error:
        problems = "; ".join(
            f"LFR_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        print(f"lfr: bad setting: {problems}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lfr: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped reading (`lfr retention report | head`): nothing more to say.
        # Standard output goes nowhere from here, so the exit's own flush cannot fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:  # anything unforeseen: one line, never a traceback
        if os.environ.get("LFR_DEBUG"):
            raise
        print(f"lfr: {one_line(error, settings)}", file=sys.stderr)
        return 1


def _health_commands(commands: Any) -> None:
    _, health_cmds = _group(commands, "health", "readiness checks for containers")
    health_api = health_cmds.add_parser("api", help="the API's own check of database and broker")
    health_api.add_argument("--url", default="http://127.0.0.1:8000")
    health_api.add_argument("--timeout", type=float, default=5.0)
    health_ingest = health_cmds.add_parser("ingest", help="the ingest reports and keeps up")
    health_ingest.add_argument("--max-age", type=float, default=60.0, help="seconds")
    health_ingest.add_argument("--max-lag", type=int, default=10_000, help="messages")
    health_ingest.add_argument(
        "--process", type=int, help="the process I of `lfr ingest --processes N` (0 to N-1)"
    )
    health_projections = health_cmds.add_parser("projections", help="the projections catch up")
    health_projections.add_argument("--max-age", type=float, default=60.0, help="seconds")
    health_worker = health_cmds.add_parser("worker", help="the worker is reading frames")
    health_worker.add_argument("--camera", default="camera-1")
    health_worker.add_argument("--max-age", type=float, default=30.0, help="seconds")
    for check in (health_api, health_ingest, health_projections, health_worker):
        _json(check)


if __name__ == "__main__":
    sys.exit(main())
