"""Follows faces across frames so one passage of one person is one track.

A track that goes unseen for `ttl_s` seconds ends; the same person coming back later
gets a new track, and so may alert again. The worker decides once per track: a track
holds what that decision needs (the quality it last embedded at, the best candidate
alert so far) and nothing else about the face.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from recognition.engines.base import Face


@dataclass
class Track:
    """One person's passage in front of one camera."""

    track_id: str
    box: tuple[float, float, float, float]
    last_seen: float
    started: float = 0.0
    velocity: tuple[float, float] = (0.0, 0.0)  # px/s of the box, smoothed
    frames: int = 0  # frames the face was detected in
    passed_quality: bool = False
    embedded_quality: float = 0.0  # quality of the last embedded face: re-embed when clearly better
    searches: int = 0
    best_score: float = -1.0
    # The best-scoring alert not yet raised (a match at or above the threshold), and when
    # the track first crossed the threshold. Kept only until the decision.
    pending: Any = None
    pending_since: float = 0.0
    decided: bool = False  # the track's one alert was raised: no more searches


# Between two frames a face's width changes far less than this; a bigger change is
# another person.
MAX_SIZE_CHANGE = 1.6


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = min(ax2, bx2) - max(a[0], b[0])
    h = min(ay2, by2) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _centre_distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Distance between box centres, in units of the larger box's width."""
    dx = (a[0] + a[2] / 2) - (b[0] + b[2] / 2)
    dy = (a[1] + a[3] / 2) - (b[1] + b[3] / 2)
    return float((dx * dx + dy * dy) ** 0.5 / max(a[2], b[2], 1.0))


def _predicted(track: Track, now: float) -> tuple[float, float, float, float]:
    """Where the track's box should be at `now`, moving at its velocity."""
    x, y, w, h = track.box
    dt = now - track.last_seen
    return (x + track.velocity[0] * dt, y + track.velocity[1] * dt, w, h)


def _moved(track: Track, box: tuple[float, float, float, float], now: float) -> None:
    dt = now - track.last_seen
    if dt > 0:
        (ax, ay), (bx, by) = _centre(track.box), _centre(box)
        seen = ((bx - ax) / dt, (by - ay) / dt)
        if track.frames > 1:  # smooth: detections jitter by a few pixels
            seen = ((seen[0] + track.velocity[0]) / 2, (seen[1] + track.velocity[1]) / 2)
        track.velocity = seen
    track.box, track.last_seen = box, now


def _centre(box: tuple[float, ...]) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


class Tracker:
    """Greedy box association against where each track should be by now (its velocity):
    best overlap first, then nearest centre for fast movers; never between faces of very
    different sizes (a near and a far person crossing).

    Track ids are `<session>-<n>`: a new worker run (new session) never reuses an id,
    so deterministic event ids of different runs do not collide.
    """

    def __init__(self, session: str, ttl_s: float = 1.0, min_iou: float = 0.2) -> None:
        self.session = session
        self.ttl_s = ttl_s
        self.min_iou = min_iou
        self._ids = itertools.count(1)
        self.tracks: dict[str, Track] = {}
        self.ended: list[Track] = []  # tracks that expired in the last update

    def update(self, faces: list[Face], now: float) -> list[Track]:
        """The track of each face, in the order of `faces`; expires stale tracks first
        (they are in `ended` until the next update)."""
        self.ended = [t for t in self.tracks.values() if now - t.last_seen > self.ttl_s]
        self.tracks = {k: t for k, t in self.tracks.items() if now - t.last_seen <= self.ttl_s}
        free = dict(self.tracks)
        assigned: list[Track | None] = [None] * len(faces)
        pairs = sorted(
            (
                (self._affinity(f.box, _predicted(t, now)), i, k)
                for i, f in enumerate(faces)
                for k, t in free.items()
            ),
            reverse=True,
        )
        for affinity, i, key in pairs:
            if affinity <= 0 or assigned[i] is not None or key not in free:
                continue
            assigned[i] = free.pop(key)
        result = []
        for face, track in zip(faces, assigned, strict=True):
            if track is None:
                track = Track(f"{self.session}-{next(self._ids)}", face.box, now, started=now)
                self.tracks[track.track_id] = track
            _moved(track, face.box, now)
            track.frames += 1
            result.append(track)
        return result

    def _affinity(self, a: tuple[float, ...], b: tuple[float, ...]) -> float:
        if max(a[2], b[2]) > MAX_SIZE_CHANGE * min(a[2], b[2]):
            return 0.0
        overlap = iou(a, b)
        if overlap >= self.min_iou:
            return 1.0 + overlap
        # No overlap (a fast mover, a dropped frame, or a track whose velocity is not known
        # yet): accept a centre within two face widths, ranked lower.
        distance = _centre_distance(a, b)
        return 1.0 - distance / 2 if distance < 2.0 else 0.0

    def close_all(self) -> list[Track]:
        """End every track (the source ended): returns them."""
        closed = list(self.tracks.values())
        self.tracks.clear()
        return closed

    def clear(self) -> None:
        self.tracks.clear()
        self.ended = []
