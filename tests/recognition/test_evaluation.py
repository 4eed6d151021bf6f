from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from runtime.cli import main
from tests.support.faces import identities


@pytest.fixture
def small_set(faces_dir: Path, tmp_path: Path) -> Path:
    """Six identities (three images each) and six distractors from the real dev faces."""
    root = tmp_path / "faces"
    for name in identities(faces_dir)[:6]:
        (root / name).mkdir(parents=True)
        for photo in sorted((faces_dir / name).glob("*.jpg"))[:3]:
            shutil.copy(photo, root / name / photo.name)
    (root / "_distractors").mkdir()
    for photo in sorted((faces_dir / "_distractors").glob("*.jpg"))[:6]:
        shutil.copy(photo, root / "_distractors" / photo.name)
    return root


@pytest.mark.slow
def test_eval_faces_reports_tpir_and_fpir_per_threshold_and_plots_them(
    small_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plot = tmp_path / "curves.png"
    argv = ["eval", "faces", str(small_set), "--watchlist-size", "3", "--plot", str(plot), "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["watchlisted"] == 3
    assert result["mated_probes"] == 6  # two more images of each enrolled person
    assert result["nonmated_probes"] == 9 + 6  # three other people and the distractors
    assert len(result["tpir"]) == len(result["fpir"]) == len(result["thresholds"])
    assert result["fpir"][0] == 1.0 and result["fpir"][-1] == 0.0
    assert all(a >= b for a, b in zip(result["tpir"], result["tpir"][1:], strict=False))
    assert result["operating_threshold"] is not None
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_faces_on_a_missing_folder_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "faces", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
