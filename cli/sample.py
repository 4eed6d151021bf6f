"""Sample data for `lfr demo`: a watchlist folder and a video of people walking past a camera.

Without a watchlist folder the demo uses the one public-domain face photograph that ships in a
registry package (NASA's astronaut portrait in scikit-image), so a fresh machine needs nothing
else. With a folder of identity folders (`Person_Name/*.jpg`, as LFW), the first image of each
person is enrolled and a later image of the first person walks past among passers-by taken from
a `_distractors` folder beside them, who are on no watchlist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass(frozen=True)
class Person:
    name: str
    images: list[Path]


def people_in(folder: Path) -> list[Person]:
    """One person per sub-folder holding images; folders starting with `_` are not people."""
    people = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_")):
        images = sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if images:
            people.append(Person(sub.name, images))
    return people


def astronaut_folder(into: Path) -> Path:
    """A watchlist folder with the public-domain astronaut portrait (scikit-image)."""
    from skimage import data

    person = into / "Eileen_Collins"
    person.mkdir(parents=True, exist_ok=True)
    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(person / "1.jpg"), image)
    # The same portrait as a second "sighting", lit and framed differently.
    sighting = cv2.convertScaleAbs(image[10:250, 100:340], alpha=0.85, beta=18)
    cv2.imwrite(str(person / "2.jpg"), cv2.flip(sighting, 1))
    return into


def face_patch(photo: Path, height: int = 280) -> np.ndarray:
    """The central part of a photo (where the labelled face is), `height` pixels tall."""
    image = cv2.imread(str(photo))
    if image is None:
        raise ValueError(f"not an image: {photo}")
    h, w = image.shape[:2]
    crop = image[int(h * 0.1) : int(h * 0.9), int(w * 0.15) : int(w * 0.85)]
    return cv2.resize(crop, None, fx=height / crop.shape[0], fy=height / crop.shape[0])


def walk_past_video(
    path: Path,
    walkers: list[Path],
    fps: int = 10,
    seconds_each: float = 2.5,
    size: tuple[int, int] = (640, 480),
) -> Path:
    """An MJPEG video in which each photo crosses the frame in turn, with empty gaps between."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    background = cv2.GaussianBlur(
        np.random.default_rng(7).integers(90, 140, (height, width, 3), dtype=np.uint8), (0, 0), 5
    )
    steps = int(fps * seconds_each)
    for photo in walkers:
        patch = face_patch(photo)
        ph, pw = patch.shape[:2]
        for step in range(steps):
            frame = background.copy()
            x = int((width - pw) * step / max(steps - 1, 1))
            frame[(height - ph) // 2 : (height - ph) // 2 + ph, x : x + pw] = patch
            writer.write(frame)
        for _ in range(fps):
            writer.write(background)
    writer.release()
    return path


def demo_video(path: Path, people: list[Person], distractors: Path | None) -> Path:
    """The first watchlisted person passes twice (two passages: two alerts), with passers-by."""
    sought = people[0].images[-1]
    passers = sorted(distractors.glob("*.jpg"))[:3] if distractors and distractors.is_dir() else []
    return walk_past_video(path, [sought, *passers, sought])
