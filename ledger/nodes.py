"""Subtree hashes from a store: the node cache behind fast proofs.

Perfect subtrees of 2^CACHED_LEVEL leaves and larger are cached (level, index) when a
checkpoint is made; smaller ones are folded from their leaf hashes on demand. A proof
over a million entries then needs one query for at most ~20 cached nodes and one for
at most ~60 leaf hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from ledger.merkle import NODE_PREFIX, Range, fold_parts, perfect_parts

CACHED_LEVEL = 4


class NodeStore(Protocol):
    """What proofs and the node cache read and write."""

    def leaf_hashes(self, indexes: Sequence[int]) -> dict[int, bytes]: ...

    def leaf_hash_range(self, start: int, end: int) -> list[bytes]: ...

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]: ...

    def built_size(self) -> int: ...


class MissingEntries(LookupError):
    """The store lacks leaves or cached nodes a proof needs."""


def _pairs(level: list[bytes]) -> list[bytes]:
    sha = hashlib.sha256
    return [sha(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]


def range_hashes(store: NodeStore, ranges: Sequence[Range]) -> list[bytes]:
    """MTH of each range (each a node of the tree), fetched with two queries in all."""
    built = store.built_size()
    parts = {part for start, end in ranges for part in perfect_parts(start, end)}
    keys: dict[Range, tuple[int, int]] = {}
    leaf_indexes: list[int] = []
    for start, end in parts:
        level = (end - start).bit_length() - 1
        if level >= CACHED_LEVEL and end <= built:
            keys[(start, end)] = (level, start >> level)
        else:
            leaf_indexes.extend(range(start, end))
    nodes = store.nodes(list(keys.values()))
    leaves = store.leaf_hashes(leaf_indexes)
    hashes: dict[Range, bytes] = {}
    for start, end in parts:
        if (start, end) in keys:
            digest = nodes.get(keys[(start, end)])
            if digest is None:
                raise MissingEntries(
                    f"the node cache lacks the subtree of entries {start}..{end - 1}"
                )
            hashes[(start, end)] = digest
            continue
        found = [leaves.get(i) for i in range(start, end)]
        if None in found:
            raise MissingEntries(f"the ledger lacks entries in {start}..{end - 1}")
        folded = [h for h in found if h is not None]
        while len(folded) > 1:
            folded = _pairs(folded)
        hashes[(start, end)] = folded[0]
    return [fold_parts([hashes[p] for p in perfect_parts(s, e)]) for s, e in ranges]


def build_nodes(store: NodeStore, new_size: int) -> list[tuple[int, int, bytes]]:
    """The cached nodes to add so the cache covers `new_size` entries: (level, index, hash)."""
    built = store.built_size()
    if new_size <= built:
        return []
    first = (built >> CACHED_LEVEL) << CACHED_LEVEL
    level = store.leaf_hash_range(first, (new_size >> CACHED_LEVEL) << CACHED_LEVEL)
    for _ in range(CACHED_LEVEL):
        level = _pairs(level)
    added: list[tuple[int, int, bytes]] = []
    start = first >> CACHED_LEVEL  # index of level[0] at the current level
    height = CACHED_LEVEL
    while level:
        added.extend((height, start + i, digest) for i, digest in enumerate(level))
        if start & 1:  # the left sibling of our first node is an older, cached node
            older = store.nodes([(height, start - 1)]).get((height, start - 1))
            if older is None:
                raise MissingEntries(f"the node cache lacks node {height}/{start - 1}")
            level, start = [older, *level], start - 1
        if len(level) & 1:
            level = level[:-1]
        level, start, height = _pairs(level), start >> 1, height + 1
        # Only nodes completed by the new entries are new; older ones are cached already.
        skip = max(0, (built >> height) - start)
        level, start = level[skip:], start + skip
    return added
