"""The log served as C2SP tlog-tiles: tiles a standard client can fold into the signed root."""

from __future__ import annotations

import hashlib

import pytest

from ledger.merkle import root_of
from ledger.tiles import Tile, TileNotFound, parse_tile
from tests.ledger.conftest import Database


def test_tile_paths_follow_the_c2sp_encoding() -> None:
    assert parse_tile("0", "x001/x234/067") == Tile(0, 1234067, 256)
    assert parse_tile("2", "000.p/7") == Tile(2, 0, 7)
    assert Tile(0, 1234067, 256).path() == "0/x001/x234/067"
    assert Tile(-1, 5, 3).path() == "entries/005.p/3"
    for level, rest in (
        ("0", "1"),
        ("0", "001.p/0"),
        ("64", "000"),
        ("0", "x01/002"),
        ("01", "000"),
    ):
        with pytest.raises(TileNotFound):
            parse_tile(level, rest)


def test_tiles_fold_into_the_signed_root(database: Database) -> None:
    for i in range(600 - 15):
        database.app.write(f"tile note {i}")
    checkpoint = database.ledger.checkpoint()
    assert checkpoint.tree_size == 600
    ledger = database.ledger
    level0 = [ledger.tile(Tile(0, n, 256)) for n in (0, 1)] + [ledger.tile(Tile(0, 2, 88))]
    leaves = [data[i : i + 32] for data in level0 for i in range(0, len(data), 32)]
    assert root_of(leaves) == checkpoint.root_hash
    level1 = ledger.tile(Tile(1, 0, 2))
    assert level1 == root_of(leaves[:256]) + root_of(leaves[256:512])
    with pytest.raises(TileNotFound):
        ledger.tile(Tile(0, 3, 1))  # beyond the tree
    with pytest.raises(TileNotFound):
        ledger.tile(Tile(0, 0, 5))  # a partial tile whose full tile exists
    bundle = ledger.entry_bundle(Tile(-1, 2, 88))
    first = int.from_bytes(bundle[:2], "big")
    assert hashlib.sha256(b"\x00" + bundle[2 : 2 + first]).digest() == leaves[512]
