from __future__ import annotations

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


def test_the_version_is_hashed_once_per_change_of_the_watchlist_not_per_alert(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import recognition.index as module

    hashed: list[int] = []
    real = module.hashlib.sha256

    def counting(data: bytes = b""):  # type: ignore[no-untyped-def]
        hashed.append(1)
        return real(data)

    monkeypatch.setattr(module.hashlib, "sha256", counting)
    index = WatchlistIndex(MODEL, 128)
    index.add(_templates(30))
    versions = {index.version for _ in range(100)}  # a hundred alerts
    assert len(versions) == 1 and len(hashed) == 1
    index.remove(["e3"])
    after_erasure = index.version
    assert after_erasure not in versions and len(hashed) == 2
    index.add(_templates(1, seed=9))
    assert index.version not in versions | {after_erasure} and len(hashed) == 3
    index.clear()
    assert index.version == real(MODEL.encode()).hexdigest()


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


def test_search_among_ten_thousand_entries_finds_each_probes_own_entry_first() -> None:
    # How fast it is shows in `python -m bench.recognition` (search latency), not here.
    templates = _templates(10_000)
    index = WatchlistIndex(MODEL, 128)
    index.add(templates)
    for template in templates[::1000]:
        hits = index.search(template.vector, MODEL)[0]
        assert hits[0].entry_id == template.entry_id
