"""Synthetic videos made from real face photographs: people walking past a camera.

Each walker is the centre of a real photo (the labelled face) pasted on a plain
background and moved across the frame. Videos are MJPEG AVI, which OpenCV always writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


def face_patch(photo: Path, height: int = 170) -> np.ndarray:
    """The central part of a 250x250 LFW photo (the labelled face), `height` pixels tall."""
    image = cv2.imread(str(photo))
    if image is None:
        raise FileNotFoundError(photo)
    h, w = image.shape[:2]
    crop = image[int(h * 0.18) : int(h * 0.82), int(w * 0.22) : int(w * 0.78)]
    scale = height / crop.shape[0]
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


@dataclass(frozen=True)
class Walk:
    """One person crossing the frame: from `start` for `frames` frames, at height `y`."""

    patch: np.ndarray
    y: int
    start: int
    frames: int
    leftwards: bool = False

    def x_at(self, frame: int, width: int) -> int | None:
        step = frame - self.start
        if not 0 <= step < self.frames:
            return None
        span = width - self.patch.shape[1]
        fraction = step / max(self.frames - 1, 1)
        return int(span * (1 - fraction if self.leftwards else fraction))


def write_video(
    path: Path, walks: list[Walk], frames: int, size: tuple[int, int] = (640, 480), fps: int = 10
) -> Path:
    """Render `walks` into an MJPEG AVI at `path`."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    rng = np.random.default_rng(7)
    background = rng.integers(90, 140, (height, width, 3), dtype=np.uint8)
    background = cv2.GaussianBlur(background, (0, 0), 5)
    for index in range(frames):
        frame = background.copy()
        for walk in walks:
            x = walk.x_at(index, width)
            if x is not None:
                ph, pw = walk.patch.shape[:2]
                frame[walk.y : walk.y + ph, x : x + pw] = walk.patch
        writer.write(frame)
    writer.release()
    return path


def corrupt_frame(path: Path, index: int) -> None:
    """Overwrite the JPEG data of frame `index` of an MJPEG AVI with garbage, in place."""
    data = bytearray(path.read_bytes())
    starts = [i for i in range(len(data) - 2) if data[i : i + 3] == b"\xff\xd8\xff"]
    start = starts[index]
    end = starts[index + 1] - 16 if index + 1 < len(starts) else len(data)
    for offset in range(start + 2, end):
        data[offset] = 0x00 if offset % 2 else 0x13
    path.write_bytes(bytes(data))
