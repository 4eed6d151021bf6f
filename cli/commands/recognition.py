"""`lfr worker` and `lfr eval faces`: the recognition commands, wired to settings."""

from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.heartbeat import Heartbeat, heartbeat_path
from cli.progress import progress as progress_of
from recognition.evaluation import evaluate, plot
from recognition.heldout import evaluate_split
from recognition.transport import KafkaSink
from runtime.bootstrap import open_services
from runtime.live import run_cameras_in_process, side_by_side
from runtime.probe_keys import worker_sealer
from runtime.settings import Settings
from runtime.worker import load_engine_or_fail, open_source, quality_policy, recognise
from runtime.worker_token import worker_credential
from services.errors import UserError
from services.worker_link import DomainWatchlistProvider


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    """`lfr worker --deployment ID --source FILE|URL [--camera C] [--source ... --camera ...]
    [--json]`: one worker per camera, side by side in this process.

    With LFR_KAFKA_BOOTSTRAP the events go to Kafka for `lfr ingest`; without it (the embedded
    default) the ingest runs in this process and writes the alerts straight into the store."""
    deployment = parse_deployment_id(args.deployment)
    cameras = _cameras(args.source, args.camera)
    engines = [load_engine_or_fail(settings) for _ in cameras]  # a detector per thread
    videos = [open_source(source) for source, _ in cameras]  # a bad source fails first
    services = open_services(settings)
    camera_ids = [camera for _, camera in cameras]
    if settings.kafka_bootstrap:
        totals = _cameras_to_kafka(settings, services, deployment, videos, camera_ids, engines)
    else:
        specs = list(zip(videos, camera_ids, engines, strict=True))
        totals = run_cameras_in_process(services, deployment, specs)
    engine = engines[0]
    common = {
        "deployment_id": args.deployment,
        "model_id": engine.model_id,
        "model_version": engine.model_version,
        "detector": engine.detector_id,
        "quality_policy": quality_policy(settings).as_record(),
    }
    if len(cameras) == 1:
        _print({**common, "camera_id": camera_ids[0], **totals[0]}, args.json)
    else:
        each = [{"camera_id": c, **t} for c, t in zip(camera_ids, totals, strict=True)]
        _print({**common, "cameras": each}, args.json)
    return 0


def _cameras(sources: list[str], cameras: list[str] | None) -> list[tuple[str, str]]:
    """Pairs each --source with its --camera (one source may leave its camera at camera-1)."""
    names = cameras or (["camera-1"] if len(sources) == 1 else [])
    if len(names) != len(sources):
        raise UserError(
            f"{len(sources)} --source and {len(names)} --camera: give each source its camera"
        )
    if len(set(names)) != len(names):
        raise UserError("--camera: each camera may be given once")
    return list(zip(sources, names, strict=True))


def _cameras_to_kafka(
    settings: Settings,
    services: Any,
    deployment: UUID,
    videos: list[Any],
    camera_ids: list[str],
    engines: list[Any],
) -> list[dict[str, Any]]:
    # One token for the host's cameras: it must bind the deployment and cover each of them.
    credential = worker_credential(settings, str(deployment), camera_ids)
    try:
        sink: Any = KafkaSink(
            settings.kafka_bootstrap,
            worker_sealer(settings),
            credential,
            security=settings.kafka_security(),
        )  # one producer for every camera: kafka-python's producer is thread-safe
    except ConnectionError as error:
        raise UserError(str(error)) from error

    def camera(video: Any, camera_id: str, engine: Any) -> dict[str, Any]:
        provider = DomainWatchlistProvider(services.lfr, camera_id)
        beat = Heartbeat(heartbeat_path(settings.data_dir, f"worker-{camera_id}"), 0)
        stats = recognise(settings, provider, sink, str(deployment), video, camera_id, engine, beat)
        return dict(stats.summary())

    try:
        jobs = [partial(camera, *spec) for spec in zip(videos, camera_ids, engines, strict=True)]
        return side_by_side(jobs)
    finally:
        sink.close()


def parse_deployment_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise UserError(f"--deployment: {text!r} is not a deployment id") from None


def eval_faces(args: argparse.Namespace, settings: Settings) -> int:
    """`lfr eval faces DIR [--distractors DIR] [--watchlist-size N] [--whole] [--out PNG]
    [--json]`: by default, tuned on one half of DIR's identities and reported on the other."""

    root = Path(args.dir)
    if not root.is_dir():
        raise UserError(f"{root} is not a folder of identity folders")
    distractors = Path(args.distractors) if args.distractors else None
    if distractors is not None and not distractors.is_dir():
        raise UserError(f"{distractors} is not a folder of images")
    if args.watchlist_size is not None and args.watchlist_size < 1:
        raise UserError("--watchlist-size must be at least 1")
    if args.out and not args.whole:
        raise UserError("--out writes the TPIR/FPIR plot of --whole; add --whole")
    if args.out and not Path(args.out).parent.is_dir():
        raise UserError(f"cannot write {args.out}: no folder {Path(args.out).parent}")
    engine = load_engine_or_fail(settings)

    try:
        with progress_of("lfr eval: images") as advance:

            def progress(done: int, total: int) -> None:
                advance(done, total)

            if not args.whole:
                report = evaluate_split(engine, root, distractors, args.watchlist_size, progress)
            else:
                result = evaluate(engine, root, distractors, args.watchlist_size, progress)
    except ValueError as error:
        raise UserError(str(error)) from error
    if not args.whole:
        print(json.dumps(report.as_dict()) if args.json else "\n".join(report.lines()))
        return 0
    if args.out:
        plot(result, Path(args.out))
    if args.json:
        print(json.dumps(result.__dict__))
    else:
        _print_table(result)
    return 0


def _print_table(result: Any) -> None:
    print(f"engine {result.model_id} ({result.model_version})")
    print(
        f"{result.watchlisted} enrolled, {result.mated_probes} mated probes, "
        f"{result.nonmated_probes} non-mated probes, {result.no_face} images without a face"
    )
    print("threshold   TPIR     FPIR")
    for threshold in (0.3, 0.4, 0.5, 0.55, 0.6, 0.62, 0.64, 0.7, 0.8, 0.9):
        tpir, fpir = result.at(threshold)
        print(f"  {threshold:5.2f}   {tpir:6.3f}   {fpir:.5f}")
    if result.operating_threshold is None:
        print("no threshold reaches FPIR <= 1/6000")
    else:
        print(
            f"FPIR <= 1/6000 from threshold {result.operating_threshold:.3f}, "
            f"TPIR {result.operating_tpir:.3f}"
        )
    for note in result.notes:
        print(f"note: {note}")


def _print(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():  # nested values as JSON, never a Python repr
            shown = json.dumps(value) if isinstance(value, dict | list) else value
            print(f"{key}: {shown}")
