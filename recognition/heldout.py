"""Evaluation on faces the pipeline was not tuned on, with the score scale calibrated on
the other half.

The identity folders (and the distractors) are split in two by identity
(`split_identities`): the tuning half sets the score scale, so that the authorised
threshold 0.6 sits just above the best score any non-mated tuning probe reached; the
test half is then reported at that scale (the engine's own scale is shown beside it and
should equal it). Figures: TPIR at FPIR 0 and at FPIR 1/6,000 (NPL's operating point),
and TPIR and FPIR at the thresholds 0.6 and 0.64, each with a 95% Wilson interval.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from recognition.engines.base import FaceEngine, ScoreScale
from recognition.evaluation import (
    MISS,
    NPL_FPIR,
    Cosines,
    identity_folders,
    images_in,
    plan_for,
    probe_cosines,
    split_identities,
)

AUTHORISED = 0.6  # the MPS threshold the scale is calibrated to
MARGIN = 0.005  # cosine above the tuning half's best non-mated probe


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (sound at 0 and at n)."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    spread /= 1 + z * z / trials
    return max(0.0, centre - spread), min(1.0, centre + spread)


def calibrate(nonmated: list[float], threshold: float = AUTHORISED) -> ScoreScale:
    """The scale (low, 1) that puts `threshold` just above the best non-mated cosine."""
    best = max((c for c in nonmated if c > MISS), default=0.0) + MARGIN
    return ScoreScale(low=(best - threshold) / (1 - threshold), high=1.0)


@dataclass(frozen=True)
class Rate:
    """A proportion with its 95% interval."""

    hits: int
    trials: int

    @property
    def value(self) -> float:
        return self.hits / self.trials if self.trials else 0.0

    def text(self) -> str:
        low, high = wilson(self.hits, self.trials)
        return f"{self.value:.3f} [{low:.3f}, {high:.3f}] ({self.hits}/{self.trials})"


@dataclass
class HalfFigures:
    enrolled: int
    mated: int
    nonmated: int
    no_face: int
    tpir_at_fpir0: Rate
    tpir_at_npl: Rate
    npl_resolved: bool  # enough non-mated probes to tell 1/6,000 from 0
    at: dict[float, tuple[Rate, Rate]] = field(default_factory=dict)  # threshold: TPIR, FPIR


@dataclass
class SplitReport:
    model_id: str
    model_version: str
    detector: str
    engine_scale: ScoreScale
    tuned_scale: ScoreScale
    tuning: HalfFigures
    test: HalfFigures

    def lines(self) -> list[str]:
        tuned, used = self.tuned_scale, self.engine_scale
        out = [
            f"engine {self.model_id} ({self.model_version}), detector {self.detector or '-'}",
            f"score scale in use {used.describe()}; calibrated on the tuning half: "
            f"{tuned.describe()}",
        ]
        for name, half in (("tuning half", self.tuning), ("test half", self.test)):
            out.append(
                f"{name}: {half.enrolled} enrolled, {half.mated} mated and {half.nonmated} "
                f"non-mated probes, {half.no_face} images without a face"
            )
            out.append(f"  TPIR at FPIR 0:       {half.tpir_at_fpir0.text()}")
            resolved = "" if half.npl_resolved else " (too few non-mated probes: as FPIR 0)"
            out.append(f"  TPIR at FPIR 1/6000:  {half.tpir_at_npl.text()}{resolved}")
            for threshold, (tpir, fpir) in sorted(half.at.items()):
                out.append(f"  at {threshold:.2f}: TPIR {tpir.text()}, FPIR {fpir.text()}")
        return out

    def as_dict(self) -> dict[str, object]:
        def half(h: HalfFigures) -> dict[str, object]:
            return {
                "enrolled": h.enrolled,
                "mated_probes": h.mated,
                "nonmated_probes": h.nonmated,
                "no_face": h.no_face,
                "tpir_at_fpir0": _rate(h.tpir_at_fpir0),
                "tpir_at_fpir_1_in_6000": _rate(h.tpir_at_npl),
                "fpir_1_in_6000_resolved": h.npl_resolved,
                "at_threshold": {
                    f"{t:.2f}": {"tpir": _rate(a), "fpir": _rate(b)} for t, (a, b) in h.at.items()
                },
            }

        return {
            "model_id": self.model_id,
            "model_version": self.model_version,
            "detector": self.detector,
            "engine_scale": [self.engine_scale.low, self.engine_scale.high],
            "tuned_scale": [self.tuned_scale.low, self.tuned_scale.high],
            "tuning": half(self.tuning),
            "test": half(self.test),
        }


def _rate(rate: Rate) -> dict[str, object]:
    low, high = wilson(rate.hits, rate.trials)
    return {"value": rate.value, "ci95": [low, high], "hits": rate.hits, "of": rate.trials}


def _tpir_at_fpir(cos: Cosines, allowed: float) -> Rate:
    """TPIR at the lowest cosine threshold whose FPIR is at most `allowed`."""
    nonmated = sorted((c for c in cos.nonmated if c > MISS), reverse=True)
    false_allowed = math.floor(allowed * len(cos.nonmated))
    # Strictly above the (false_allowed + 1)-th best non-mated cosine.
    bar = nonmated[false_allowed] if false_allowed < len(nonmated) else MISS
    return Rate(sum(c > bar for c in cos.mated), len(cos.mated))


def _figures(cos: Cosines, scale: ScoreScale) -> HalfFigures:
    figures = HalfFigures(
        cos.enrolled,
        len(cos.mated),
        len(cos.nonmated),
        cos.no_face,
        tpir_at_fpir0=_tpir_at_fpir(cos, 0.0),
        tpir_at_npl=_tpir_at_fpir(cos, NPL_FPIR),
        npl_resolved=len(cos.nonmated) * NPL_FPIR >= 1,
    )
    for threshold in (AUTHORISED, 0.64):
        tp = sum(c > MISS and scale.score(c) >= threshold for c in cos.mated)
        fp = sum(c > MISS and scale.score(c) >= threshold for c in cos.nonmated)
        figures.at[threshold] = (Rate(tp, len(cos.mated)), Rate(fp, len(cos.nonmated)))
    return figures


def _split_distractors(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    def tuning(p: Path) -> bool:
        return hashlib.sha256(f"lfr-split|{p.name}".encode()).digest()[0] % 2 == 0

    return [p for p in paths if tuning(p)], [p for p in paths if not tuning(p)]


def evaluate_split(
    engine: FaceEngine,
    root: Path,
    distractors: Path | None = None,
    watchlist_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    limit: int | None = None,
) -> SplitReport:
    """Tune the scale on one half of `root`'s identities, report both halves (the test half
    is the figure). `limit` keeps that many identities per half (a quick look)."""
    folders = identity_folders(root)
    if len(folders) < 4:
        raise ValueError(f"{root} needs at least four identity folders with two or more images")
    extra = distractors or (root / "_distractors")
    loose = images_in(extra) if extra.is_dir() else []
    halves = split_identities(sorted(folders))
    spare = _split_distractors(loose)
    cosines = []
    for names, others in zip(halves, spare, strict=True):
        kept = names[:limit] if limit else names
        size = watchlist_size // 2 if watchlist_size else None
        plan = plan_for({n: folders[n] for n in kept}, others[: limit or None], size)
        cosines.append(probe_cosines(engine, plan, progress))
    tuned = calibrate(cosines[0].nonmated)
    return SplitReport(
        engine.model_id,
        engine.model_version,
        engine.detector_id,
        engine.scale,
        tuned,
        tuning=_figures(cosines[0], tuned),
        test=_figures(cosines[1], tuned),
    )
