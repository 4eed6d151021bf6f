"""The probe crop an alert carries must be a JPEG image, checked by its structure.

The domain stays pure (no image library), so the check walks the JPEG markers: start of
image, the segments up to the start of scan with a frame header of real dimensions, and
the end-of-image marker. It refuses arbitrary bytes, truncated files and other formats
without decoding pixels; the worker made the crop with an encoder, so a real one passes.
"""

from __future__ import annotations

import struct

from domain.rules import require

SOI, EOI, SOS = b"\xff\xd8", b"\xff\xd9", 0xDA
# Start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT/JPG/DAC.
SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length
MAX_PROBE_BYTES = 2_000_000  # a face crop; a whole 4K frame as JPEG is well under this
# A marker and its segment's length, read in one step (the ingest checks thousands a second).
_MARKER = struct.Struct(">BBH")
_FRAME = struct.Struct(">BHHB")


def require_jpeg(data: bytes) -> None:
    """RuleViolation unless `data` is a structurally whole JPEG image."""
    require(0 < len(data) <= MAX_PROBE_BYTES, "the probe crop is empty or too large")
    require(
        data.startswith(SOI) and data.endswith(EOI),
        "the probe crop is not a JPEG image (no start or end of image marker)",
    )
    require(_has_frame_before_scan(data), "the probe crop is not a whole JPEG image")


def _has_frame_before_scan(data: bytes) -> bool:
    position, frame, end = 2, False, len(data)
    read = _MARKER.unpack_from
    while position + 4 <= end:
        prefix, marker, length = read(data, position)  # length: only if the marker has one
        if prefix != 0xFF:
            return False
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in STANDALONE:
            position += 2
            continue
        if length < 2 or position + 2 + length > end:
            return False
        if marker in SOF_MARKERS:
            frame = length >= 8 and _frame_is_real(data, position + 4)
        if marker == SOS:
            return frame
        position += 2 + length
    return False


def _frame_is_real(data: bytes, start: int) -> bool:
    """Precision, height, width and components of the frame header at `start`: a real
    image's (its segment holds them: its length is at least 8)."""
    precision, height, width, components = _FRAME.unpack_from(data, start)
    return precision in (8, 12, 16) and height > 0 and width > 0 and components in (1, 3, 4)
