"""Access to the real development faces (LFW, see ../shared/faces/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path


def photos(faces_dir: Path, name: str) -> list[Path]:
    """The photos of one identity folder, sorted by name."""
    return sorted((faces_dir / name).glob("*.jpg"))


def identities(faces_dir: Path) -> list[str]:
    """Identity folder names, sorted (distractors excluded)."""
    return sorted(p.name for p in faces_dir.iterdir() if p.is_dir() and not p.name.startswith("_"))
