"""Recognition benchmark: end-to-end frames/s against the bare engine, search latency,
and the NPL-style evaluation of each available engine.

    python bench/recognition.py [--frames 60] [--repeats 3] [--no-eval] [--faces DIR]

Runs on at most 2 CPU cores (the target machine). Figures go to stdout; copy them to
bench/RESULTS.md ("Recognition"). Timings are medians of runs interleaved side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
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
from recognition.engines import EngineUnavailable, FaceEngine, load_engine  # noqa: E402
from recognition.enrol import template_from_image  # noqa: E402
from recognition.index import Template, WatchlistIndex  # noqa: E402
from recognition.sealing import ProbeKeyPair  # noqa: E402
from recognition.transport import InProcessBroker  # noqa: E402
from recognition.worker import RecognitionWorker, WorkerConfig  # noqa: E402
from tests.support.video import Walk, face_patch, write_video  # noqa: E402

cv2.setNumThreads(2)


class Live:
    """A provider for one live deployment with a fixed watchlist."""

    def __init__(self, templates: list[Template]) -> None:
        self._templates = templates

    def templates(self, deployment_id: str) -> list[Template]:
        return self._templates

    def status(self, deployment_id: str) -> str:
        return "live"

    def threshold(self, deployment_id: str) -> float:
        return 0.6


def street_video(faces: Path, path: Path, frames: int) -> list[Path]:
    """1280x720: three people from the dev faces walking past at once."""
    names = sorted(p.name for p in faces.iterdir() if p.is_dir() and not p.name.startswith("_"))
    people = [sorted((faces / n).glob("*.jpg")) for n in names[:3]]
    walks = [
        Walk(face_patch(people[0][1], 300), 20, 0, frames),
        Walk(face_patch(people[1][0], 300), 380, 0, frames, leftwards=True),
        Walk(face_patch(people[2][0], 260), 200, frames // 3, frames - frames // 3),
    ]
    write_video(path, walks, frames, size=(1280, 720), fps=25)
    return [p[0] for p in people]


def end_to_end(engine: FaceEngine, video: Path, templates: list[Template]) -> float:
    """Frames/s of the worker reading, decoding and processing the file."""
    worker = RecognitionWorker(
        engine,
        Live(templates),
        InProcessBroker(ProbeKeyPair.generate().sealer).sink(),
        WorkerConfig("b"),
    )
    start = time.perf_counter()
    stats = worker.run(VideoSource(str(video)))
    return stats.frames / (time.perf_counter() - start)


def bare_engine(engine: FaceEngine, frames: list[np.ndarray]) -> float:
    """Frames/s of detect + embed of every face on frames already in memory."""
    start = time.perf_counter()
    for frame in frames:
        for face in engine.detect(frame):
            engine.embed(frame, face)
    return len(frames) / (time.perf_counter() - start)


def throughput(engine: FaceEngine, faces: Path, frames: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "street.avi"
        people = street_video(faces, video, frames)
        templates = [template_from_image(engine, people[0], entry_id="wanted")]
        decoded = [f.image for f in VideoSource(str(video)).frames()]
        e2e, bare = [], []
        for run in range(repeats):
            e2e.append(end_to_end(engine, video, templates))
            bare.append(bare_engine(engine, decoded))
            print(f"  run {run + 1}: end to end {e2e[-1]:.2f} fps, bare {bare[-1]:.2f} fps",
                  file=sys.stderr)  # fmt: skip
        ratios = [a / b for a, b in zip(e2e, bare, strict=True)]
        print(f"{engine.model_id} 1280x720, {frames} frames, 2 cores, median of {repeats}:")
        print(f"  end to end      {statistics.median(e2e):6.2f} frames/s")
        print(
            f"  bare engine     {statistics.median(bare):6.2f} frames/s (detect + embed every face)"
        )
        print(f"  ratio e2e/bare  {statistics.median(ratios):6.2f}")


def search_latency(sizes: tuple[int, ...] = (10_000, 100_000), probes: int = 200) -> None:
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


def evaluations(faces: Path, model_dir: Path) -> None:
    from recognition.evaluation import evaluate

    for name in ("dlib", "opencv", "insightface"):
        try:
            engine = load_engine(SimpleNamespace(face_engine=name, model_dir=model_dir))
        except EngineUnavailable as error:
            print(f"eval {name}: not available ({error})")
            continue
        started = time.perf_counter()
        result = evaluate(engine, faces)
        tpir60, fpir60 = result.at(0.6)
        tpir64, fpir64 = result.at(0.64)
        print(f"eval {name} ({result.model_id} {result.model_version}), "
              f"{time.perf_counter() - started:.0f} s: {result.watchlisted} enrolled, "
              f"{result.mated_probes} mated, {result.nonmated_probes} non-mated, "
              f"{result.no_face} without a face")  # fmt: skip
        print(f"  at 0.60: TPIR {tpir60:.3f} FPIR {fpir60:.4f}")
        print(f"  at 0.64: TPIR {tpir64:.3f} FPIR {fpir64:.4f}")
        print(f"  FPIR <= 1/6000 from {result.operating_threshold}, TPIR {result.operating_tpir}")
        for note in result.notes:
            print(f"  note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=ROOT.parent / "shared" / "faces" / "dev")
    parser.add_argument("--models", type=Path, default=ROOT.parent / "shared" / "models")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-eval", action="store_true")
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}")
    engine = load_engine(SimpleNamespace(face_engine="dlib", model_dir=None))
    throughput(engine, args.faces, args.frames, args.repeats)
    search_latency()
    if not args.no_eval:
        evaluations(args.faces, args.models)


if __name__ == "__main__":
    main()
