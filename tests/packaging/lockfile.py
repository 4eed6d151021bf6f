"""The lock files' link to pyproject.toml: a digest of the dependency declarations.

`.ci/lock` writes the digest into each lock file's first line when it regenerates them; the
test beside this module fails when pyproject.toml's dependencies changed without a new lock.
Run `python -m tests.packaging.lockfile` to print the digest.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {
    "dlib": ROOT / "requirements" / "runtime-dlib.txt",
    "insightface": ROOT / "requirements" / "runtime-insightface.txt",
}
DIGEST_PREFIX = "# pyproject dependencies sha256: "


def dependency_digest(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """SHA-256 over what decides the lock: Python version, dependencies and extras."""
    project = tomllib.loads(pyproject.read_text())["project"]
    declared = {
        "requires-python": project.get("requires-python"),
        "dependencies": sorted(project.get("dependencies", [])),
        "optional-dependencies": {
            name: sorted(deps) for name, deps in project.get("optional-dependencies", {}).items()
        },
    }
    return hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    first = lock.read_text().splitlines()[0] if lock.exists() else ""
    return first.removeprefix(DIGEST_PREFIX) if first.startswith(DIGEST_PREFIX) else None


if __name__ == "__main__":
    print(dependency_digest())
