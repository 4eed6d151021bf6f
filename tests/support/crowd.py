"""Crowd videos made from real face photographs: several people passing a street camera at
once, in lanes at different distances (faces 40-160 px wide), some of them watchlisted and
passing twice with photographs other than the one enrolled.

The people come from the test half of the development faces (`recognition.evaluation`'s
split by identity), so nothing the pipeline was tuned on appears. Everything is decided
by a seed: the same call makes the same video and the same ground truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from recognition.evaluation import identity_folders, images_in, split_identities
from tests.support.video import Walk, face_patch, write_video

# A face is about 0.6 of the height of `face_patch`'s crop (YuNet's box on the dev faces).
FACE_OF_PATCH = 0.6
# Face widths of the lanes, nearest the camera first; as many as fit the frame's height.
LANE_FACES = (150, 104, 78, 60, 48, 40, 40, 40)
# Lanes overlap by this share of a patch: hair and neck, never the face (the middle 60%).
LANE_OVERLAP = 0.18
SPEED_PX_PER_S = 200  # walking pace across the frame
GAP_S = 1.6  # between two people in one lane: longer than a track's lifetime


@dataclass(frozen=True)
class Passage:
    """One person crossing the frame once."""

    person: str
    photo: Path
    face_px: int
    start: int  # first frame
    frames: int
    watchlisted: bool

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass
class Crowd:
    """The video and its ground truth."""

    path: Path
    size: tuple[int, int]
    fps: int
    frames: int
    passages: list[Passage] = field(default_factory=list)
    watchlist: dict[str, Path] = field(default_factory=dict)  # person -> enrolment photo

    @property
    def watchlisted_passages(self) -> list[Passage]:
        return [p for p in self.passages if p.watchlisted]


@dataclass(frozen=True)
class _Lane:
    y: int
    face_px: int
    leftwards: bool


def _lanes(width: int, height: int, margin: int = 8) -> list[_Lane]:
    lanes, y = [], margin
    for number, face in enumerate(LANE_FACES):
        patch = int(face / FACE_OF_PATCH)
        if y + patch > height - margin:
            break
        lanes.append(_Lane(y, face, leftwards=bool(number % 2)))
        y += int(patch * (1 - LANE_OVERLAP))
    return lanes


def _slots(
    lanes: list[_Lane], width: int, fps: int, frames: int, rng: random.Random, speed: float
) -> list[tuple[_Lane, int, int]]:
    """(lane, start, frames) for every passage that fits in the video."""
    slots = []
    for lane in lanes:
        patch_w = int(lane.face_px / FACE_OF_PATCH * 0.875)
        cross = max(int((width - patch_w) / speed * fps), 2)
        start = rng.randrange(0, max(int(GAP_S * fps), 1))
        while start + cross <= frames:
            slots.append((lane, start, cross))
            start += cross + int(GAP_S * fps) + rng.randrange(0, fps)
    return slots


def crowd_video(
    faces_dir: Path,
    path: Path,
    size: tuple[int, int] = (1280, 720),
    frames: int = 300,
    fps: int = 10,
    watchlisted: int = 3,
    enrolled_absent: int = 10,
    min_alert_face_px: int = 60,
    seed: int = 15,
    speed_px_per_s: float = SPEED_PX_PER_S,
) -> Crowd:
    """Render the crowd video at `path` and return it with its ground truth.

    `watchlisted` people pass twice each, in lanes whose faces are at least
    `min_alert_face_px` wide; `enrolled_absent` more people are on the watchlist and never
    pass. Everyone else passes once and is on no list (test-half identities and the
    single-photo distractors)."""
    rng = random.Random(seed)
    folders = identity_folders(faces_dir)
    _, test_half = split_identities(sorted(folders))
    wanted_pool = [n for n in test_half if len(folders[n]) >= 3]
    rng.shuffle(wanted_pool)
    wanted = wanted_pool[:watchlisted]
    absent = [n for n in test_half if n not in wanted][:enrolled_absent]
    passers = [(n, folders[n][0]) for n in test_half if n not in wanted and n not in absent]
    distractors = faces_dir / "_distractors"
    if distractors.is_dir():
        passers += [(p.stem, p) for p in images_in(distractors)]
    rng.shuffle(passers)

    width, height = size
    lanes = _lanes(width, height)
    slots = sorted(_slots(lanes, width, fps, frames, rng, speed_px_per_s), key=lambda s: s[1])
    chosen = _two_passages_each(wanted, folders, slots, min_alert_face_px, int(GAP_S * fps))
    crowd = Crowd(path, size, fps, frames, watchlist={n: folders[n][0] for n in wanted + absent})
    walks = []
    for slot in slots:
        lane, start, cross = slot
        person, photo = chosen.get(id(slot)) or passers.pop()
        crowd.passages.append(
            Passage(person, photo, lane.face_px, start, cross, watchlisted=person in wanted)
        )
        patch = face_patch(photo, int(lane.face_px / FACE_OF_PATCH))
        walks.append(Walk(patch, lane.y, start, cross, lane.leftwards))
    _check_no_one_in_two_places(crowd.watchlisted_passages)
    walks.sort(key=lambda walk: walk.patch.shape[0])  # nearer people are drawn over farther
    write_video(path, walks, frames, size=size, fps=fps)
    return crowd


def _two_passages_each(
    wanted: list[str],
    folders: dict[str, list[Path]],
    slots: list[tuple[_Lane, int, int]],
    min_face_px: int,
    gap: int,
) -> dict[int, tuple[str, Path]]:
    """For each watchlisted person, an early and a late near passage, apart in time, with
    their second and third photographs: slot id -> (person, photo)."""
    free = [s for s in slots if s[0].face_px >= min_face_px]
    chosen: dict[int, tuple[str, Path]] = {}
    for person in wanted:
        first = min(free, key=lambda s: s[1], default=None)
        later = [s for s in free if first is not None and s[1] >= first[1] + first[2] + gap]
        second = max(later, key=lambda s: s[1], default=None)
        if first is None or second is None:
            raise ValueError(f"the video is too short for {len(wanted)} people to pass twice")
        free = [s for s in free if s is not first and s is not second]
        chosen[id(first)] = (person, folders[person][1])
        chosen[id(second)] = (person, folders[person][2])
    return chosen


def _check_no_one_in_two_places(passages: list[Passage]) -> None:
    for a in passages:
        for b in passages:
            if a is not b and a.person == b.person and a.start < b.end and b.start < a.end:
                raise ValueError(f"the video is too short: {a.person} would pass twice at once")
