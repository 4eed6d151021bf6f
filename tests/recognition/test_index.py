from __future__ import annotations

import time

import numpy as np
import pytest

from recognition.index import ModelMismatch, Template, WatchlistIndex

MODEL = "test-model"


def _templates(count: int, dimension: int = 128, seed: int = 0) -> list[Template]:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(count, dimension)).astype(np.float32)
    return [Template(f"e{i}", MODEL, vectors[i]) for i in range(count)]


def test_search_finds_the_entry_a_probe_was_made_from_with_cosine_one() -> None:
    index = WatchlistIndex(MODEL, 128)
    templates = _templates(500)
    index.add(templates)
    hits = index.search(templates[42].vector * 3.0, MODEL, k=2)[0]
    assert hits[0].entry_id == "e42"
    assert hits[0].cosine == pytest.approx(1.0, abs=1e-5)
    assert hits[1].cosine < 0.5


def test_removed_entries_are_never_found_again() -> None:
    index = WatchlistIndex(MODEL, 128)
    templates = _templates(50)
    index.add(templates)
    assert index.remove(["e7", "missing"]) == 1
    assert len(index) == 49
    assert index.search(templates[7].vector, MODEL)[0][0].entry_id != "e7"


def test_the_version_hash_follows_the_content_not_the_order_of_adding() -> None:
    first, second = WatchlistIndex(MODEL, 128), WatchlistIndex(MODEL, 128)
    templates = _templates(20)
    first.add(templates)
    second.add(list(reversed(templates)))
    assert first.version == second.version
    second.remove(["e3"])
    assert first.version != second.version


def test_templates_and_probes_of_another_model_are_refused() -> None:
    index = WatchlistIndex(MODEL, 128)
    with pytest.raises(ModelMismatch):
        index.add([Template("x", "other-model", np.ones(128, np.float32))])
    with pytest.raises(ModelMismatch):
        index.search(np.ones(128, np.float32), "other-model")


def test_clearing_empties_the_index_and_searches_find_nothing() -> None:
    index = WatchlistIndex(MODEL, 128)
    index.add(_templates(10))
    index.clear()
    assert len(index) == 0
    assert index.search(np.ones(128, np.float32), MODEL) == [[]]


def test_search_at_ten_thousand_entries_takes_under_two_milliseconds_per_probe() -> None:
    index = WatchlistIndex(MODEL, 128)
    index.add(_templates(10_000))
    probes = _templates(50, seed=1)
    timings = []
    for probe in probes:
        start = time.perf_counter()
        index.search(probe.vector, MODEL)
        timings.append(time.perf_counter() - start)
    assert float(np.median(timings)) < 0.002
