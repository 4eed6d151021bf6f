"""Text the records may hold: how long, and which characters never."""

from __future__ import annotations

import unicodedata

MAX_TEXT = 10_000  # characters of free text (notes, reasons, rationale)
MAX_LINE = 200  # characters of a name, reference or id
LINE_BREAKS = frozenset("\t\n\r")


def refuse_control(value: str, *, one_line: bool = False) -> str:
    """The text as given, or `ValueError` naming the first NUL, control character or lone
    surrogate in it: they cannot be stored in PostgreSQL text, break CSV and logs, and are
    never typed by an officer. Free text may hold tabs and line breaks; a line may not."""
    for position, char in enumerate(value):
        if char in LINE_BREAKS and not one_line:
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(
                f"contains the control character U+{ord(char):04X} at position {position}"
            )
    return value
