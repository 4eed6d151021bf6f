from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli.main import main
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
    argv = [
        "eval",
        "faces",
        str(small_set),
        "--whole",
        "--watchlist-size",
        "3",
        "--plot",
        str(plot),
    ]
    argv.append("--json")
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


def test_the_identities_split_into_a_tuning_and_a_test_half_the_same_way_every_time(
    faces_dir: Path,
) -> None:
    from recognition.evaluation import split_identities

    names = identities(faces_dir)
    tuning, test = split_identities(names)
    assert not set(tuning) & set(test) and sorted(tuning + test) == names
    assert abs(len(tuning) - len(test)) <= 1
    assert split_identities(list(reversed(names))) == (tuning, test)


@pytest.mark.slow
def test_eval_faces_reports_the_test_half_with_the_scale_tuned_on_the_other_half(
    faces_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from recognition.evaluation import split_identities

    root = tmp_path / "faces"
    tuning, test = split_identities(identities(faces_dir))
    for name in tuning[:3] + test[:3]:
        (root / name).mkdir(parents=True)
        for photo in sorted((faces_dir / name).glob("*.jpg"))[:3]:
            shutil.copy(photo, root / name / photo.name)
    assert main(["eval", "faces", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for half in ("tuning", "test"):
        figures = report[half]
        assert figures["enrolled"] == 1  # half of each half's three people
        assert figures["mated_probes"] == 2 and figures["nonmated_probes"] == 6
        low, high = figures["tpir_at_fpir0"]["ci95"]
        assert 0.0 <= low <= figures["tpir_at_fpir0"]["value"] <= high <= 1.0
        assert figures["fpir_1_in_6000_resolved"] is False
        assert set(figures["at_threshold"]) == {"0.60", "0.64"}
    # The tuned scale puts 0.6 just above the tuning half's best non-mated probe, so
    # no tuning non-mated probe reaches it.
    assert report["tuning"]["at_threshold"]["0.60"]["fpir"]["hits"] == 0
    assert report["tuned_scale"][1] == 1.0 and 0.0 < report["tuned_scale"][0] < 1.0


def test_eval_faces_with_a_watchlist_size_below_one_is_a_one_line_error(
    small_set: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "faces", str(small_set), "--watchlist-size", "0"]) == 2
    err = capsys.readouterr().err
    assert "--watchlist-size" in err and err.count("\n") == 1


def test_the_evaluation_plot_has_separate_labelled_axes_a_legend_and_a_title() -> None:
    from recognition.evaluation import NPL_FPIR, EvalResult, figure_of

    grid = [n / 100 for n in range(101)]
    result = EvalResult(
        model_id="dlib-r1",
        model_version="1",
        watchlisted=40,
        mated_probes=80,
        nonmated_probes=600,
        no_face=2,
        thresholds=grid,
        tpir=[max(0.0, 1 - t**4) for t in grid],
        fpir=[max(0.0, 1 - 1.6 * t) ** 3 for t in grid],
        operating_threshold=0.62,
        operating_tpir=0.85,
    )
    figure = figure_of(result)
    figure.canvas.draw()

    tpir, fpir = figure.axes  # two axes, one above the other: no twin y-axis on one plot
    assert tpir.get_position().y0 > fpir.get_position().y1
    assert tpir.get_yscale() == "linear" and fpir.get_yscale() == "log"
    assert "TPIR" in tpir.get_ylabel() and "FPIR" in fpir.get_ylabel()
    assert fpir.get_xlabel() == "Threshold (similarity score)"
    assert "dlib-r1" in figure.get_suptitle() and "600 non-mated" in figure.get_suptitle()
    for axes in (tpir, fpir):
        assert axes.get_title()
        labels = [t.get_text() for t in axes.get_legend().get_texts()]
        assert any("operating threshold 0.62" in label for label in labels)
    fpir_labels = [t.get_text() for t in fpir.get_legend().get_texts()]
    assert any("1 in 6,000" in label for label in fpir_labels)
    assert min(fpir.get_ylim()) < NPL_FPIR  # the NPL line is inside the plot
