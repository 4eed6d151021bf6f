"""The proof code against RFC 9162, checked independently.

The reference here is a direct recomputation from the RFC's recursive definitions
(MTH, PATH, SUBPROOF), written separately from `ledger.merkle`.
"""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    CompactTree,
    consistency_ranges,
    inclusion_ranges,
    root_of,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)


def ref_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def ref_mth(leaves: list[bytes]) -> bytes:
    """MTH per RFC 9162 §2.1.1 over raw leaf data."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return ref_leaf(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) per RFC 9162 §2.1.3.1."""
    n = len(leaves)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return ref_path(m, leaves[:k]) + [ref_mth(leaves[k:])]
    return ref_path(m - k, leaves[k:]) + [ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) per RFC 9162 §2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if whole else [ref_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return ref_subproof(m, leaves[:k], whole) + [ref_mth(leaves[k:])]
    return ref_subproof(m - k, leaves[k:], False) + [ref_mth(leaves[:k])]


def leaves_of(n: int, salt: int = 0) -> list[bytes]:
    return [f"entry {salt}/{i}".encode() for i in range(n)]


def proof_from_ranges(leaves: list[bytes], ranges: list[tuple[int, int]]) -> list[bytes]:
    hashes = [ref_leaf(x) for x in leaves]
    return [subtree_hash(s, e, lambda a, b: root_of(hashes[a:b])) for s, e in ranges]


sizes = st.integers(min_value=1, max_value=300)


@given(sizes)
def test_the_root_and_the_streaming_root_match_the_rfc(n: int) -> None:
    leaves = leaves_of(n)
    hashes = [ref_leaf(x) for x in leaves]
    tree = CompactTree()
    for digest in hashes:
        tree.append(digest)
    assert root_of(hashes) == ref_mth(leaves) == tree.root()


@given(sizes, st.data())
def test_inclusion_proofs_match_the_rfc_path_and_verify(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(0, n - 1))
    leaves = leaves_of(n)
    proof = proof_from_ranges(leaves, inclusion_ranges(m, n))
    assert proof == ref_path(m, leaves)
    assert verify_inclusion(ref_leaf(leaves[m]), m, n, proof, ref_mth(leaves))


@given(sizes, st.data())
def test_consistency_proofs_match_the_rfc_subproof_and_verify(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, n))
    leaves = leaves_of(n)
    proof = proof_from_ranges(leaves, consistency_ranges(m, n))
    assert proof == ref_subproof(m, leaves, True)
    assert verify_consistency(m, n, ref_mth(leaves[:m]), ref_mth(leaves), proof)


@settings(max_examples=200)
@given(sizes, st.data())
def test_every_forged_inclusion_proof_is_rejected(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(0, n - 1))
    leaves = leaves_of(n)
    root, leaf = ref_mth(leaves), ref_leaf(leaves[m])
    proof = ref_path(m, leaves)
    other = data.draw(st.integers(0, n - 1).filter(lambda i: i != m)) if n > 1 else None
    if other is not None:
        assert not verify_inclusion(leaf, other, n, proof, root), "wrong index"
    # A size is only meaningful with the root of that size (a checkpoint signs both).
    wrong_size = data.draw(st.integers(m + 1, 2 * n + 2).filter(lambda s: s != n))
    wrong_root = ref_mth(leaves_of(wrong_size))
    assert not verify_inclusion(leaf, m, wrong_size, proof, wrong_root), "wrong size"
    assert not verify_inclusion(leaf, m, n, proof, ref_mth(leaves_of(n, 1))), "wrong root"
    assert not verify_inclusion(ref_leaf(b"forged"), m, n, proof, root), "wrong leaf"
    assert not verify_inclusion(leaf, m, n, [*proof, root], root), "extra node"
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        altered = [*proof[:i], bytes([proof[i][0] ^ 1]) + proof[i][1:], *proof[i + 1 :]]
        assert not verify_inclusion(leaf, m, n, altered, root), "altered node"
        assert not verify_inclusion(leaf, m, n, proof[:i] + proof[i + 1 :], root), "missing node"
        assert not verify_inclusion(leaf, m, n, [*proof[:-1], proof[-1][:31]], root), "short node"


@settings(max_examples=200)
@given(st.integers(2, 300), st.data())
def test_every_forged_consistency_proof_is_rejected(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, n - 1))
    leaves = leaves_of(n)
    old_root, new_root = ref_mth(leaves[:m]), ref_mth(leaves)
    proof = ref_subproof(m, leaves, True)
    assert verify_consistency(m, n, old_root, new_root, proof)
    forked = leaves[: m - 1] + [b"rewritten"] + leaves[m:]
    assert not verify_consistency(m, n, ref_mth(forked[:m]), new_root, proof), "other old tree"
    assert not verify_consistency(m, n, old_root, ref_mth(forked), proof), "other new tree"
    # A size is only meaningful with the root of that size (a checkpoint signs both).
    if n > 2:
        wrong_old = data.draw(st.integers(1, n - 1).filter(lambda s: s != m))
        wrong_old_root = ref_mth(leaves[:wrong_old])
        assert not verify_consistency(wrong_old, n, wrong_old_root, new_root, proof), "wrong old"
    wrong_new = data.draw(st.integers(m + 1, 2 * n).filter(lambda s: s != n))
    wrong_new_root = ref_mth(leaves_of(wrong_new))
    assert not verify_consistency(m, wrong_new, old_root, wrong_new_root, proof), "wrong new"
    assert not verify_consistency(m, n, old_root, new_root, [*proof, new_root]), "extra node"
    assert not verify_consistency(m, n, old_root, new_root, []), "empty proof"
    i = data.draw(st.integers(0, len(proof) - 1))
    altered = [*proof[:i], bytes([proof[i][0] ^ 1]) + proof[i][1:], *proof[i + 1 :]]
    assert not verify_consistency(m, n, old_root, new_root, altered), "altered node"
    assert not verify_consistency(m, n, old_root, new_root, proof[:i] + proof[i + 1 :]), "missing"


def test_a_proof_outside_the_tree_is_refused() -> None:
    assert not verify_inclusion(ref_leaf(b"x"), 0, 0, [], ref_mth([]))
    assert not verify_inclusion(ref_leaf(b"x"), 3, 3, [], ref_mth(leaves_of(3)))
    assert not verify_consistency(0, 3, ref_mth([]), ref_mth(leaves_of(3)), [])
    assert not verify_consistency(4, 3, ref_mth(leaves_of(4)), ref_mth(leaves_of(3)), [])
    assert verify_consistency(3, 3, ref_mth(leaves_of(3)), ref_mth(leaves_of(3)), [])
