"""Video in: a file, a camera device (an integer) or a stream URL (rtsp://, http://).

Files are read frame by frame (nothing is lost; the time is the video's own clock).
Live sources are read on a thread that keeps only the newest frame: when processing is
slower than the camera, old frames are dropped and counted, never queued.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2

from recognition.engines.base import Image

OPEN_TIMEOUT_MS = 5000
# A run of unreadable frames this long in a file means the rest is unreadable too.
MAX_CORRUPT_RUN = 50


class SourceError(RuntimeError):
    """The source cannot be opened or read (the message says which and why)."""


@dataclass(frozen=True)
class Frame:
    index: int
    time_s: float  # seconds since the source started (video clock for files)
    image: Image


@dataclass
class SourceStats:
    frames_read: int = 0
    frames_dropped: int = 0
    frames_corrupt: int = 0


def is_live(source: str) -> bool:
    return source.isdigit() or "://" in source


def _open(source: str) -> cv2.VideoCapture:
    if source.isdigit():
        capture = cv2.VideoCapture(int(source))
        if not capture.isOpened():
            raise SourceError(f"camera device {source} cannot be opened")
        return capture
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS]
    if "://" in source:
        params += [cv2.CAP_PROP_READ_TIMEOUT_MSEC, OPEN_TIMEOUT_MS]
        capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)
        if not capture.isOpened():
            raise SourceError(f"video stream {source} is unreachable or not a video")
        return capture
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"video file {source} does not exist")
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, params)
    if not capture.isOpened():
        raise SourceError(f"video file {source} is corrupt or not a video OpenCV can decode")
    return capture


class VideoSource:
    """Iterate `Frame`s from `source`; `stats` counts read, dropped and corrupt frames."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.stats = SourceStats()
        self._capture = _open(source)
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS)) or 25.0
        self._stop = threading.Event()
        if not is_live(source) and not self._capture.read()[0]:
            raise SourceError(f"video file {source} has no readable frame (corrupt?)")
        if not is_live(source):
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)

    @property
    def total_frames(self) -> int | None:
        """How many frames a video file holds (None for a live source, or when unknown)."""
        if is_live(self.source):
            return None
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        return count if count > 0 else None

    def frames(self) -> Iterator[Frame]:
        """Frames until the source ends or `stop()` is called."""
        try:
            yield from self._live() if is_live(self.source) else self._file()
        finally:
            self._capture.release()

    def stop(self) -> None:
        self._stop.set()

    def _file(self) -> Iterator[Frame]:
        total = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        index, corrupt_run, failed_at = 0, 0, -1
        while not self._stop.is_set():
            ok, image = self._capture.read()
            if ok:
                corrupt_run = 0
                self.stats.frames_read += 1
                yield Frame(index, index / self.fps, image)
                index += 1
                continue
            position = int(self._capture.get(cv2.CAP_PROP_POS_FRAMES))
            # The end of the file, or a decoder that no longer moves on: stop.
            if position >= total - 1 or position == failed_at or corrupt_run >= MAX_CORRUPT_RUN:
                return
            failed_at = position
            # A frame the decoder rejects mid-file: skip it, keep the clock honest.
            corrupt_run += 1
            self.stats.frames_corrupt += 1
            index += 1

    def _live(self) -> Iterator[Frame]:
        slot: list[Frame] = []
        ready = threading.Condition()
        failure: list[str] = []
        start = time.monotonic()

        def grab() -> None:
            index = 0
            while not self._stop.is_set():
                ok, image = self._capture.read()
                if not ok:
                    failure.append(f"video stream {self.source} stopped delivering frames")
                    break
                with ready:
                    if slot:
                        self.stats.frames_dropped += 1
                        slot.clear()
                    slot.append(Frame(index, time.monotonic() - start, image))
                    self.stats.frames_read += 1
                    ready.notify()
                index += 1
            with ready:
                self._stop.set()
                ready.notify()

        reader = threading.Thread(target=grab, name="lfr-capture", daemon=True)
        reader.start()
        while True:
            with ready:
                ready.wait_for(lambda: bool(slot) or self._stop.is_set(), timeout=1.0)
                frame = slot.pop() if slot else None
            if frame is not None:
                yield frame
            elif self._stop.is_set():
                break
        reader.join(timeout=OPEN_TIMEOUT_MS / 1000)
        if failure and self.stats.frames_read == 0:
            raise SourceError(failure[0])
