"""The watchlist index: exact inner-product search (FAISS) on L2-normalised templates.

Exact search is used up to about 100,000 entries; entries can be removed (retention),
and `version` is a hash of the content, carried on every match event. Templates made
by another model are refused: their scores would mean nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from recognition.engines.base import Vector, normalise


class ModelMismatch(ValueError):
    """A template or probe was made by a different model than the index holds."""


@dataclass(frozen=True)
class Template:
    """One watchlist entry's template, as the watchlist provider hands it over."""

    entry_id: str
    model_id: str
    vector: npt.NDArray[np.float32]


@dataclass(frozen=True)
class Hit:
    entry_id: str
    cosine: float


class WatchlistIndex:
    """Exact cosine search over the templates of one model."""

    def __init__(self, model_id: str, dimension: int) -> None:
        import faiss

        self.model_id = model_id
        self.dimension = dimension
        # One probe at a time is the worker's pattern: OpenMP threads cost 10x here
        # (measured: 100,000 entries, 2.7 ms on one thread, 32 ms on two).
        faiss.omp_set_num_threads(1)
        self._faiss = faiss
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._next_id = 0
        self._by_entry: dict[str, int] = {}
        self._by_id: dict[int, str] = {}
        self._vectors: dict[str, bytes] = {}
        # The version is computed when the content changes, not per alert: hashing every
        # template costs milliseconds at 10,000 entries.
        self._version: str | None = None

    def __len__(self) -> int:
        return len(self._by_entry)

    def add(self, templates: list[Template]) -> None:
        """Add templates (normalised here); an entry id already present is replaced."""
        for template in templates:
            if template.model_id != self.model_id:
                raise ModelMismatch(
                    f"template {template.entry_id} is from {template.model_id}, "
                    f"this index holds {self.model_id}"
                )
        self.remove([t.entry_id for t in templates if t.entry_id in self._by_entry])
        if not templates:
            return
        vectors = np.stack([self._checked(t.vector) for t in templates])
        ids = np.arange(self._next_id, self._next_id + len(templates), dtype=np.int64)
        self._next_id += len(templates)
        self._index.add_with_ids(vectors, ids)
        for template, faiss_id in zip(templates, ids, strict=True):
            self._by_entry[template.entry_id] = int(faiss_id)
            self._by_id[int(faiss_id)] = template.entry_id
            # The bytes as authorised, not as normalised: the domain hashes the same bytes.
            self._vectors[template.entry_id] = np.asarray(template.vector, np.float32).tobytes()
        self._version = None

    def remove(self, entry_ids: list[str]) -> int:
        """Remove entries (unknown ids are ignored); returns how many were removed."""
        ids = [self._by_entry.pop(e) for e in entry_ids if e in self._by_entry]
        for faiss_id in ids:
            self._vectors.pop(self._by_id.pop(faiss_id))
        if ids:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]
            self._version = None
        return len(ids)

    def clear(self) -> None:
        """Drop every template (the deployment was paused or ended)."""
        self._index.reset()
        self._by_entry.clear()
        self._by_id.clear()
        self._vectors.clear()
        self._version = None

    def search(self, probes: npt.ArrayLike, model_id: str, k: int = 1) -> list[list[Hit]]:
        """The best `k` entries for each probe, best first; refuses another model's probes."""
        if model_id != self.model_id:
            raise ModelMismatch(f"probe from {model_id}, this index holds {self.model_id}")
        matrix = np.stack([normalise(row) for row in np.atleast_2d(np.asarray(probes))])
        if len(self) == 0:
            return [[] for _ in matrix]
        scores, ids = self._index.search(np.ascontiguousarray(matrix), min(k, len(self)))
        return [
            [
                Hit(self._by_id[int(i)], float(s))
                for s, i in zip(row_s, row_i, strict=True)
                if i >= 0
            ]
            for row_s, row_i in zip(scores, ids, strict=True)
        ]

    @property
    def version(self) -> str:
        """SHA-256 over the model id and the sorted (entry id, template bytes) pairs: the same
        hash as `services.deployment_commands.watchlist_version` of the compiled watchlist, so an
        alert can be traced to the authorised watchlist it was searched against. Computed once
        per change of the content."""
        if self._version is None:
            digest = hashlib.sha256(self.model_id.encode())
            for entry_id in sorted(self._vectors):
                digest.update(b"\x00" + entry_id.encode() + b"\x00" + self._vectors[entry_id])
            self._version = digest.hexdigest()
        return self._version

    def _checked(self, vector: npt.ArrayLike) -> Vector:
        array = normalise(vector)
        if array.shape != (self.dimension,):
            raise ValueError(f"template has {array.shape[0]} values, expected {self.dimension}")
        return array
