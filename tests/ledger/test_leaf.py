"""The canonical leaf: one stored event row, encoded without ambiguity."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from ledger.leaf import StoredRow, leaf_bytes, row_leaf_hash

rows = st.builds(
    StoredRow,
    st.text(max_size=20),
    st.integers(1, 2**62),
    st.text(max_size=40),
    st.integers(0, 2**62),
    st.text(max_size=40),
    st.binary(max_size=64),
)


@given(rows)
def test_the_leaf_hash_is_sha256_of_0x00_and_the_leaf_bytes(row: StoredRow) -> None:
    assert row_leaf_hash(row) == hashlib.sha256(b"\x00" + leaf_bytes(row)).digest()


@given(rows, rows)
def test_two_different_rows_never_encode_alike(a: StoredRow, b: StoredRow) -> None:
    assert (leaf_bytes(a) == leaf_bytes(b)) == (a == b)


def test_moving_bytes_between_fields_changes_the_leaf() -> None:
    one = StoredRow("stored_events", 1, "ab", 1, "topic", b"state")
    other = StoredRow("stored_events", 1, "a", 1, "btopic", b"state")
    assert leaf_bytes(one) != leaf_bytes(other)
