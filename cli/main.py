"""The `lfr` command line. Each command lives in `cli.commands.<module>.<function>`,
imported only when that command runs, so `lfr --help` and light commands start fast."""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
from collections.abc import Sequence

from runtime.errors import UserError

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
    ("ledger", "vkey"): ("ledger", "vkey"),
    ("ledger", "witness", "serve"): ("witness", "serve"),
    ("ledger", "witness", "vkey"): ("witness", "vkey"),
    ("register", "export"): ("register", "export"),
    ("retention", "sweep"): ("retention", "sweep"),
    ("retention", "report"): ("retention", "report"),
    ("eval", "faces"): ("recognition", "eval_faces"),
    ("token", "issue"): ("token", "issue"),
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


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lfr", description="Accountable Live Facial Recognition")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = commands.add_parser(
        "demo", help="a complete deployment lifecycle on the configured stores"
    )
    demo.add_argument("--video", help="a video file to run the recognition worker over")
    demo.add_argument("--watchlist", help="a folder holding one folder of images per person")
    demo.add_argument("--threshold", type=_fraction, help="the face-match threshold to authorise")
    demo.add_argument("--json", action="store_true", help="print one JSON document")

    api = commands.add_parser("api", help="serve the operator and public API")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)

    worker = commands.add_parser("worker", help="the recognition worker for a live deployment")
    worker.add_argument("--deployment", required=True, help="the deployment id")
    worker.add_argument("--source", required=True, help="a video file, camera index or URL")
    worker.add_argument("--camera", default="camera-1", help="the camera id to report")
    worker.add_argument("--json", action="store_true")

    commands.add_parser("ingest", help="consume match events from Kafka into the store")

    project = commands.add_parser("project", help="run or rebuild the projections")
    project.add_argument("--rebuild", action="store_true", help="drop and rebuild from zero")
    project.add_argument("--once", action="store_true", help="catch up, then exit")
    project.add_argument(
        "--retry-failed",
        action="store_true",
        help="first project again the events recorded as failed (after a fix)",
    )

    ledger = commands.add_parser("ledger", help="the tamper-evident audit ledger")
    ledger_cmds = ledger.add_subparsers(dest="subcommand", required=True, parser_class=_Parser)
    verify = ledger_cmds.add_parser(
        "verify", help="recompute the ledger and check every checkpoint"
    )
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--parquet", help="verify an export folder instead of the store")
    verify.add_argument("--checkpoint", help="also check against a published checkpoint file")
    checkpoint = ledger_cmds.add_parser("checkpoint", help="sign a checkpoint of the ledger now")
    checkpoint.add_argument("--json", action="store_true")
    prove = ledger_cmds.add_parser("prove", help="inclusion proof of one entry")
    prove.add_argument("seq", type=_position, help="the entry's notification id")
    prove.add_argument("--json", action="store_true")
    consistency = ledger_cmds.add_parser("consistency", help="consistency proof between sizes")
    consistency.add_argument("old", type=_position)
    consistency.add_argument("new", type=_position)
    consistency.add_argument("--json", action="store_true")
    export = ledger_cmds.add_parser("export", help="export events and checkpoints for auditors")
    export.add_argument("--parquet", required=True, help="the folder to write")
    key = ledger_cmds.add_parser(
        "key", help="the log's public key and its fingerprint, to publish for the public"
    )
    key.add_argument("--json", action="store_true")
    ledger_cmds.add_parser("vkey", help="print the log's verifier key")
    witness = ledger_cmds.add_parser("witness", help="a witness that co-signs checkpoints")
    witness_cmds = witness.add_subparsers(
        dest="witness_action", required=True, parser_class=_Parser
    )
    serve = witness_cmds.add_parser("serve", help="serve the C2SP tlog-witness protocol")
    witness_vkey = witness_cmds.add_parser("vkey", help="print the witness's verifier key")
    for sub in (serve, witness_vkey):
        sub.add_argument("--state", required=True, help="the witness's own key and state folder")
        sub.add_argument("--name", required=True, help="the witness's name (e.g. dpo.example/w1)")
    serve.add_argument("--log", action="append", required=True, help="a log's vkey to witness")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8100)

    register = commands.add_parser("register", help="the public register of deployments")
    register_cmds = register.add_subparsers(dest="subcommand", required=True, parser_class=_Parser)
    reg_export = register_cmds.add_parser("export", help="export the register")
    reg_export.add_argument("--format", choices=["csv", "json", "parquet"], required=True)
    reg_export.add_argument("--out", help="a file to write (default: standard output)")

    retention = commands.add_parser("retention", help="retention and erasure")
    retention_cmds = retention.add_subparsers(
        dest="subcommand", required=True, parser_class=_Parser
    )
    sweep = retention_cmds.add_parser("sweep", help="erase what is due")
    sweep.add_argument("--as-of", help="ISO time to sweep as of (development only)")
    sweep.add_argument("--json", action="store_true")
    report = retention_cmds.add_parser("report", help="what is live, due, overdue, held, erased")
    report.add_argument("--json", action="store_true")

    evaluation = commands.add_parser("eval", help="evaluate the face engine")
    eval_cmds = evaluation.add_subparsers(dest="subcommand", required=True, parser_class=_Parser)
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
    faces.add_argument("--plot", help="where to write the TPIR/FPIR plot (PNG, with --whole)")
    faces.add_argument("--json", action="store_true")

    token = commands.add_parser("token", help="API tokens")
    token_cmds = token.add_subparsers(dest="subcommand", required=True, parser_class=_Parser)
    issue = token_cmds.add_parser("issue", help="a signed token for the API (development)")
    issue.add_argument("--user", required=True)
    issue.add_argument("--role", required=True, action="append")
    issue.add_argument("--hours", type=_hours, default=8.0)
    issue.add_argument("--deployment", help="a worker's token: the deployment it is bound to")
    issue.add_argument(
        "--camera", action="append", help="a worker's token: a camera it may report for"
    )
    return parser


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
        module_name, function_name = HANDLERS[key]
        from runtime.settings import Settings

        settings = Settings()
        check_store(settings, key, args)
        module = importlib.import_module(f"cli.commands.{module_name}")
        result = getattr(module, function_name)(args, settings)
        sys.stdout.flush()  # a closed pipe is found here, not at exit
        return int(result or 0)
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


if __name__ == "__main__":
    sys.exit(main())
