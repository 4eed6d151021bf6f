"""The log as C2SP `tlog-tiles`: the Merkle tree cut into tiles of 256 hashes.

The tile at level L, index N holds MTH(D[(N*256 + i) * 256^L : (N*256 + i + 1) * 256^L])
for i = 0..W-1 (W = 256 for a full tile, fewer for the partial tile `.p/W` at the right
edge). Entry bundles hold the leaves themselves (each as a big-endian uint16 length and the
leaf's bytes). Tiles are served against the latest checkpoint: a tile that tree does not
contain is not served, and clients check every tile against a signed root.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

TILE_WIDTH = 256
TILE_HEIGHT = 8
_ELEMENT = re.compile(r"^(x\d{3}/)*\d{3}$")


class TileNotFound(LookupError):
    """A tile path that is malformed or names a tile the log does not have."""


@dataclass(frozen=True)
class Tile:
    level: int  # -1 for an entry bundle
    index: int
    width: int

    def path(self) -> str:
        """The tile's path below `tile/` (C2SP tlog-tiles)."""
        digits = f"{self.index:03d}"
        digits = "0" * (-len(digits) % 3) + digits
        parts = [digits[i : i + 3] for i in range(0, len(digits), 3)]
        name = "/".join([*(f"x{p}" for p in parts[:-1]), parts[-1]])
        level = "entries" if self.level < 0 else str(self.level)
        return f"{level}/{name}" + ("" if self.width == TILE_WIDTH else f".p/{self.width}")


def parse_tile(level: str, rest: str) -> Tile:
    """The tile a request names: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`."""
    width = TILE_WIDTH
    if ".p/" in rest:
        rest, _, given = rest.partition(".p/")
        if not given.isdigit() or given != str(int(given)) or not 1 <= int(given) <= 255:
            raise TileNotFound(f"bad partial tile width {given!r}")
        width = int(given)
    if not _ELEMENT.match(rest):
        raise TileNotFound(f"bad tile index {rest!r}")
    index = int(rest.replace("x", "").replace("/", ""))
    if level == "entries":
        return Tile(-1, index, width)
    if not level.isdigit() or level != str(int(level)) or int(level) > 63:
        raise TileNotFound(f"bad tile level {level!r}")
    return Tile(int(level), index, width)


def tile_ranges(tile: Tile, tree_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes a tile holds, if the tree of `tree_size` has the tile."""
    height = max(tile.level, 0) * TILE_HEIGHT
    available = tree_size >> height  # complete subtrees of 256^L leaves
    start = tile.index * TILE_WIDTH
    if start + tile.width > available or (
        tile.width < TILE_WIDTH and start + TILE_WIDTH <= available
    ):
        raise TileNotFound(f"the tree of {tree_size} entries has no tile {tile.path()}")
    return [((start + i) << height, (start + i + 1) << height) for i in range(tile.width)]


def bundle(leaves: list[bytes]) -> bytes:
    """An entry bundle: each leaf as a big-endian uint16 length and its bytes."""
    parts = []
    for leaf in leaves:
        if len(leaf) > 0xFFFF:
            raise TileNotFound(f"an entry of {len(leaf)} bytes does not fit an entry bundle")
        parts.append(struct.pack(">H", len(leaf)) + leaf)
    return b"".join(parts)
