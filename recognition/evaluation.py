"""NPL-style evaluation of a face engine on a folder of identity folders.

Enrol one image per watchlisted identity; probe with the other images of those
identities (mated) and with every image of the other identities plus distractors
(non-mated). At threshold t, TPIR is the share of mated probes whose best match is
their own identity at a score >= t (a probe with no face found counts as a miss); FPIR
is the share of non-mated probes whose best match scores >= t (DOMAIN.md §e).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from recognition.engines.base import FaceEngine, Image, Vector
from recognition.enrol import central_face, read_image
from recognition.index import Template, WatchlistIndex

if TYPE_CHECKING:
    from matplotlib.figure import Figure

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
NPL_FPIR = 1 / 6000  # NeoFace at 0.6 with a 10,000-image watchlist
SEED = 20251126


@dataclass
class EvalResult:
    """Curves, the operating point, and how many of each kind of probe there were."""

    model_id: str
    model_version: str
    watchlisted: int
    mated_probes: int
    nonmated_probes: int
    no_face: int
    thresholds: list[float]
    tpir: list[float]
    fpir: list[float]
    operating_threshold: float | None
    operating_tpir: float | None
    notes: list[str] = field(default_factory=list)

    def at(self, threshold: float) -> tuple[float, float]:
        """(TPIR, FPIR) at the grid threshold nearest `threshold`."""
        i = int(np.argmin(np.abs(np.asarray(self.thresholds) - threshold)))
        return self.tpir[i], self.fpir[i]


def identity_folders(root: Path) -> dict[str, list[Path]]:
    """Identity name -> its images, for folders with at least two images (skips `_*`)."""
    folders: dict[str, list[Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        images = images_in(folder)
        if len(images) >= 2:
            folders[folder.name] = images
    return folders


def split_identities(names: list[str]) -> tuple[list[str], list[str]]:
    """(tuning half, test half) of identity names: deterministic, by identity (ordered by
    a hash of each name, whatever order they come in). Scales and thresholds are tuned on
    the first half; figures are reported on the second."""
    ranked = sorted(names, key=lambda n: hashlib.sha256(f"lfr-split|{n}".encode()).digest())
    half = (len(ranked) + 1) // 2
    return sorted(ranked[:half]), sorted(ranked[half:])


def images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def embed_central(engine: FaceEngine, image: Image) -> Vector | None:
    """The template of the face nearest the centre, or None when no face is found.

    Small photos are enlarged once when nothing is found: detectors have a minimum size.
    """
    faces = engine.detect(image)
    if not faces and max(image.shape[:2]) < 800:
        big = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        faces = [f.scaled(0.5) for f in engine.detect(big)]
    face = central_face(image, faces)
    return None if face is None else engine.embed(image, face)


@dataclass
class Plan:
    enrol: dict[str, Path]
    mated: list[tuple[str, Path]]
    nonmated: list[Path]


def _plan(root: Path, distractors: Path | None, size: int | None) -> Plan:
    folders = identity_folders(root)
    if not folders:
        raise ValueError(f"{root} holds no identity folders with two or more images")
    extra = distractors or (root / "_distractors")
    return plan_for(folders, images_in(extra) if extra.is_dir() else [], size)


def plan_for(folders: dict[str, list[Path]], distractors: list[Path], size: int | None) -> Plan:
    """Enrol the first image of `size` identities (default half), drawn with a fixed seed;
    probe with their other images (mated) and everything else (non-mated)."""
    names = sorted(folders)
    chosen = set(random.Random(SEED).sample(names, min(size or len(names) // 2 or 1, len(names))))
    plan = Plan({}, [], [])
    for name in names:
        if name in chosen:
            plan.enrol[name] = folders[name][0]
            plan.mated += [(name, p) for p in folders[name][1:]]
        else:
            plan.nonmated += folders[name]
    plan.nonmated += distractors
    return plan


def evaluate(
    engine: FaceEngine,
    root: Path,
    distractors: Path | None = None,
    watchlist_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Run the evaluation; `progress(done, total)` is called as images are embedded."""
    cosines = probe_cosines(engine, _plan(root, distractors, watchlist_size), progress)
    return curves(engine, cosines)


@dataclass
class Cosines:
    """Each probe's best cosine against the watchlist; `MISS` where it cannot count as a
    hit (no face found; for a mated probe, best match not its own identity)."""

    enrolled: int
    mated: list[float]
    nonmated: list[float]
    no_face: int


MISS = -2.0


def probe_cosines(
    engine: FaceEngine, plan: Plan, progress: Callable[[int, int], None] | None = None
) -> Cosines:
    total = len(plan.enrol) + len(plan.mated) + len(plan.nonmated)
    done, no_face = 0, 0

    def embed(path: Path) -> Vector | None:
        nonlocal done, no_face
        vector = embed_central(engine, read_image(path))
        done += 1
        no_face += vector is None
        if progress is not None:
            progress(done, total)
        return vector

    index = WatchlistIndex(engine.model_id, engine.embedder.dimension)
    for name, path in plan.enrol.items():
        vector = embed(path)
        if vector is not None:
            index.add([Template(name, engine.model_id, vector)])
    mated = [_best(engine, index, embed(p), name) for name, p in plan.mated]
    nonmated = [_best(engine, index, embed(p), None) for p in plan.nonmated]
    return Cosines(len(index), mated, nonmated, no_face)


def _best(
    engine: FaceEngine, index: WatchlistIndex, vector: Vector | None, name: str | None
) -> float:
    """The probe's best cosine, or `MISS` when it cannot count as a hit."""
    if vector is None:
        return MISS
    hits = index.search(vector, engine.model_id)[0]
    if not hits or (name is not None and hits[0].entry_id != name):
        return MISS
    return hits[0].cosine


def curves(engine: FaceEngine, cosines: Cosines) -> EvalResult:
    """TPIR and FPIR per threshold on the engine's score scale."""
    mated = [engine.score(c) if c > MISS else -1.0 for c in cosines.mated]
    nonmated = [engine.score(c) if c > MISS else -1.0 for c in cosines.nonmated]
    return _curves(engine, cosines.enrolled, mated, nonmated, cosines.no_face)


def _curves(
    engine: FaceEngine, enrolled: int, mated: list[float], nonmated: list[float], no_face: int
) -> EvalResult:
    grid = np.round(np.arange(0.0, 1.0001, 0.005), 3)
    m, n = np.asarray(mated), np.asarray(nonmated)
    tpir = [float((m >= t).mean()) if m.size else 0.0 for t in grid]
    fpir = [float((n >= t).mean()) if n.size else 0.0 for t in grid]
    ok = [i for i, f in enumerate(fpir) if f <= NPL_FPIR]
    notes = []
    if n.size and 1 / n.size > NPL_FPIR:
        notes.append(
            f"{n.size} non-mated probes resolve FPIR only to 1/{n.size}: "
            "the operating point is where no non-mated probe matched"
        )
    return EvalResult(
        model_id=engine.model_id,
        model_version=engine.model_version,
        watchlisted=enrolled,
        mated_probes=int(m.size),
        nonmated_probes=int(n.size),
        no_face=no_face,
        thresholds=[float(t) for t in grid],
        tpir=tpir,
        fpir=fpir,
        operating_threshold=float(grid[ok[0]]) if ok else None,
        operating_tpir=tpir[ok[0]] if ok else None,
        notes=notes,
    )


def figure_of(result: EvalResult) -> Figure:
    """TPIR (linear) above FPIR (log), each on its own labelled axes against the threshold,
    with the operating threshold and NPL's 1 in 6,000 marked and named in the legends."""
    from matplotlib.figure import Figure  # noqa: F811 (imported here: only plots need it)

    figure = Figure(figsize=(7.5, 6.5), layout="constrained")
    tpir, fpir = figure.subplots(2, 1, sharex=True)
    tpir.plot(result.thresholds, result.tpir, color="tab:blue", label="TPIR")
    tpir.set_title("Watchlisted people found (true positive identification rate)")
    tpir.set_ylabel("TPIR (share of mated probes)")
    tpir.set_ylim(0, 1.02)
    floor = 1 / max(result.nonmated_probes, 1) / 2  # log scale: draw zero just below resolution
    fpir.semilogy(
        result.thresholds,
        [max(f, floor) for f in result.fpir],
        color="tab:red",
        label=f"FPIR (none drawn as 1 in {round(1 / floor):,})",
    )
    fpir.axhline(NPL_FPIR, color="tab:red", linestyle=":", label="NPL's FPIR: 1 in 6,000")
    fpir.set_ylim(min(floor, NPL_FPIR) / 2, 1.5)
    fpir.set_title("Others alerted on (false positive identification rate)")
    fpir.set_ylabel("FPIR (share of non-mated probes, log)")
    fpir.set_xlabel("Threshold (similarity score)")
    if result.operating_threshold is not None:
        label = f"operating threshold {result.operating_threshold:.2f}"
        for axes in (tpir, fpir):
            axes.axvline(result.operating_threshold, color="grey", linestyle="--", label=label)
    for axes in (tpir, fpir):
        axes.grid(alpha=0.3)
        axes.legend(loc="best", fontsize="small")
    figure.suptitle(
        f"{result.model_id}: {result.watchlisted} enrolled, "
        f"{result.mated_probes} mated / {result.nonmated_probes} non-mated probes"
    )
    return figure


def plot(result: EvalResult, path: Path) -> None:
    """The TPIR/FPIR plot (`figure_of`) as a PNG."""
    figure_of(result).savefig(path, dpi=110)
