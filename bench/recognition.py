"""Recognition benchmark: a street camera's crowd, end to end against the bare engine.

    python -m bench.recognition [--smoke] [--frames 300] [--size 1280x720] [--also-1080]
                                [--bare-frames 40] [--no-eval] [--faces DIR] [--models DIR]

The crowd video is made from the test half of the development faces (never used to tune
anything): several people at once in lanes at different distances (faces 40-160 px),
watchlisted people passing twice with photographs other than the enrolled one, and a
watchlist that also holds people who never pass. Reported, from one run on at most 2
cores: frames/s end to end (decode, detect, track, gate, embed, search, emit), the bare
engine's frames/s on the same frames (dlib HOG at full resolution, every face embedded on
every frame), their ratio, alerts per watchlisted passage, false alerts, and faces seen
against the number of people who passed. `--smoke` runs in seconds, for CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "2")
if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 2:
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from recognition.capture import VideoSource  # noqa: E402
from recognition.engines import FaceEngine, load_engine  # noqa: E402
from recognition.enrol import template_from_image  # noqa: E402
from recognition.events import MATCHES_TOPIC, MatchEvent  # noqa: E402
from recognition.index import Template, WatchlistIndex  # noqa: E402
from recognition.sealing import ProbeKeyPair  # noqa: E402
from recognition.transport import InProcessBroker  # noqa: E402
from recognition.worker import RecognitionWorker, WorkerConfig, WorkerStats  # noqa: E402
from tests.support.credentials import unchecked_credential  # noqa: E402
from tests.support.crowd import Crowd, crowd_video  # noqa: E402

cv2.setNumThreads(2)
THRESHOLD = 0.6  # the authorised floor


class Live:
    """A provider for one live deployment with a fixed watchlist."""

    def __init__(self, templates: list[Template]) -> None:
        self._templates = templates

    def templates(self, deployment_id: str) -> list[Template]:
        return self._templates

    def status(self, deployment_id: str) -> str:
        return "live"

    def threshold(self, deployment_id: str) -> float:
        return THRESHOLD

    def erased_entries(self, deployment_id: str) -> set[str]:
        return set()


@dataclass
class EndToEnd:
    frames_per_s: float
    stats: WorkerStats
    alerts: list[tuple[str, float]]  # (entry, video seconds)


def end_to_end(engine: FaceEngine, crowd: Crowd, templates: list[Template]) -> EndToEnd:
    """The worker reading, decoding and processing the file, sending to a broker."""
    keys = ProbeKeyPair.generate()
    broker = InProcessBroker(keys.sealer, unchecked_credential())  # read here, not ingested
    worker = RecognitionWorker(engine, Live(templates), broker.sink(), WorkerConfig("bench"))
    start = time.perf_counter()
    stats = worker.run(VideoSource(str(crowd.path)))
    elapsed = time.perf_counter() - start
    alerts = []
    for message in broker.poll():
        if message.topic == MATCHES_TOPIC:
            event = MatchEvent.from_json(message.value, keys)
            moment = datetime.fromisoformat(event.observed_at) - worker._started_at
            alerts.append((event.entry_id, moment.total_seconds()))
    return EndToEnd(stats.frames / elapsed, stats, alerts)


def bare_engine(engine: FaceEngine, frames: list[np.ndarray]) -> tuple[float, int]:
    """Frames/s and detections of detect + embed of every face on frames in memory."""
    detections = 0
    start = time.perf_counter()
    for frame in frames:
        for face in engine.detect(frame):
            engine.embed(frame, face)
            detections += 1
    return len(frames) / (time.perf_counter() - start), detections


def score_alerts(crowd: Crowd, alerts: list[tuple[str, float]]) -> tuple[list[int], int]:
    """Alerts per watchlisted passage (in video order) and alerts that match no passage."""
    passages = crowd.watchlisted_passages
    per_passage = [0] * len(passages)
    false = 0
    for entry, seconds in alerts:
        frame = seconds * crowd.fps
        hits = [
            i
            for i, p in enumerate(passages)
            if p.person == entry and p.start - 1 <= frame <= p.end + 1
        ]
        if hits:
            per_passage[hits[0]] += 1
        else:
            false += 1
    return per_passage, false


def _counts(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def throughput(
    street: FaceEngine, bare: FaceEngine, args: argparse.Namespace, size: tuple[int, int]
) -> None:
    frames, bare_frames, repeats = args.frames, args.bare_frames, args.repeats
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "crowd.avi"
        crowd = crowd_video(
            args.faces, video, size, frames, watchlisted=args.watchlisted, speed_px_per_s=args.speed
        )
        templates = [
            template_from_image(street, photo, entry_id=person)
            for person, photo in crowd.watchlist.items()
        ]
        decoded = [f.image for f in VideoSource(str(crowd.path)).frames()]
        sample = decoded[:: max(len(decoded) // bare_frames, 1)][:bare_frames]
        runs, bares = [], []
        for run in range(repeats):  # interleaved, so both see the same load
            runs.append(end_to_end(street, crowd, templates))
            bares.append(bare_engine(bare, sample))
            print(
                f"  run {run + 1}: end to end {runs[-1].frames_per_s:.2f} frames/s, "
                f"bare {bares[-1][0]:.2f} frames/s",
                file=sys.stderr,
            )
        e2e = statistics.median(r.frames_per_s for r in runs)
        bare_fps = statistics.median(b[0] for b in bares)
        last = runs[-1]
        per_passage, false = score_alerts(crowd, last.alerts)
        width, height = size
        print(
            f"crowd {width}x{height}, {frames} frames at {crowd.fps} frames/s, "
            f"{len(crowd.passages)} people passing, {len(crowd.watchlisted_passages)} "
            f"watchlisted passages, watchlist of {len(crowd.watchlist)}; "
            f"median of {repeats}, cores {len(os.sched_getaffinity(0))}"
        )
        detected_at = street.detection_width(size[0]) or size[0]
        print(
            f"  engine {street.model_id}, detector {street.detector_id}, "
            f"detected at {detected_at} px wide"
        )
        print(f"  end to end        {e2e:7.2f} frames/s")
        print(
            f"  bare engine       {bare_fps:7.2f} frames/s ({bare.detector_id} at full "
            f"resolution, every face embedded every frame; {len(sample)} frames)"
        )
        print(f"  ratio             {e2e / bare_fps:7.2f}x")
        print(f"  alerts per watchlisted passage {per_passage} (target: each exactly 1)")
        print(f"  false alerts      {false} (target 0)")
        print(
            f"  faces seen        {last.stats.faces_seen} tracks; people who passed "
            f"{len(crowd.passages)}"
        )
        bare_rate = bares[-1][1] / len(sample)
        print(
            f"  detections/frame  {last.stats.detections / max(last.stats.frames, 1):.2f} "
            f"(bare {bare.detector_id}: {bare_rate:.2f}); embeddings {last.stats.searches}"
        )
        if size == args.size:
            for count in args.cameras:
                several_cameras(args.load_street, crowd, templates, count)


def several_cameras(
    load_street: Callable[[], FaceEngine], crowd: Crowd, templates: list[Template], count: int
) -> None:
    """`count` cameras on this host, a worker each (own detector, own index) in one process,
    side by side as `lfr worker --source ... --camera ...` runs them."""
    engines = [load_street() for _ in range(count)]
    start = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        runs = list(pool.map(lambda engine: end_to_end(engine, crowd, templates), engines))
    elapsed = time.perf_counter() - start
    each = ", ".join(f"{r.frames_per_s:.2f}" for r in runs)
    passages = [score_alerts(crowd, r.alerts) for r in runs]
    every_once = all(all(n == 1 for n in p) and f == 0 for p, f in passages)
    total = sum(r.stats.frames for r in runs) / elapsed
    print(
        f"  {count} cameras on one host: {each} frames/s per camera ({total:.2f} in all); "
        f"every passage alerted once on every camera, no false alert: {every_once}"
    )


def search_latency(sizes: tuple[int, ...], probes: int = 200) -> None:
    rng = np.random.default_rng(0)
    for size in sizes:
        index = WatchlistIndex("bench", 128)
        vectors = rng.normal(size=(size, 128)).astype(np.float32)
        index.add([Template(f"e{i}", "bench", vectors[i]) for i in range(size)])
        queries = rng.normal(size=(probes, 128)).astype(np.float32)
        timings = []
        for query in queries:
            start = time.perf_counter()
            index.search(query, "bench")
            timings.append(time.perf_counter() - start)
        median = statistics.median(timings) * 1000
        p95 = float(np.percentile(timings, 95)) * 1000
        print(f"search at {size:>7,} entries: median {median:.3f} ms/probe, p95 {p95:.3f} ms")


def evaluations(faces: Path, model_dir: Path, limit: int | None) -> None:
    from recognition.heldout import evaluate_split

    for name in ("dlib", "opencv", "insightface"):
        settings = SimpleNamespace(face_engine=name, model_dir=model_dir)
        try:
            engine = load_engine(settings)
        except Exception as error:  # an engine without its files is reported, not fatal
            print(f"eval {name}: not available ({error})")
            continue
        started = time.perf_counter()
        report = evaluate_split(engine, faces, limit=limit)
        print(f"eval {name}, {time.perf_counter() - started:.0f} s:")
        for line in report.lines():
            print(f"  {line}")


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=ROOT.parent / "shared" / "faces" / "dev")
    parser.add_argument("--models", type=Path, default=ROOT.parent / "shared" / "models")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", type=_size, default=(1280, 720))
    parser.add_argument("--also-1080", action="store_true", help="repeat at 1920x1080")
    parser.add_argument("--bare-frames", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-eval", action="store_true")
    parser.add_argument("--watchlisted", type=int, default=3, help="people who pass twice")
    parser.add_argument("--speed", type=float, default=200.0, help="walking pace, px/s")
    parser.add_argument("--smoke", action="store_true", help="a few seconds' run for CI")
    parser.add_argument(
        "--cameras", type=_counts, default=(2, 4), help="cameras per host to try, e.g. 2,4"
    )
    parser.add_argument(
        "--detect-width",
        type=int,
        default=0,
        help="detect on frames shrunk to this width (0: as far as 40 px faces allow)",
    )
    args = parser.parse_args()
    if args.smoke:
        args.frames, args.bare_frames, args.speed, args.watchlisted = 90, 4, 350.0, 1
        args.also_1080, args.cameras = False, (2,)
    settings = SimpleNamespace(
        face_engine="dlib",
        model_dir=args.models,
        detector="yunet",
        detect_width=args.detect_width,
        quality_min_face_px=40,  # the default quality gate: no smaller face is searched
    )
    street = load_engine(settings)
    args.load_street = lambda: load_engine(settings)
    bare = load_engine(SimpleNamespace(face_engine="dlib", model_dir=None, detector="hog"))
    sizes = [args.size] + ([(1920, 1080)] if args.also_1080 else [])
    for size in sizes:
        throughput(street, bare, args, size)
    search_latency((1_000,) if args.smoke else (10_000, 100_000))
    if not args.no_eval:
        evaluations(args.faces, args.models, limit=4 if args.smoke else None)


if __name__ == "__main__":
    main()
