"""C2SP signed notes: Ed25519 keys, their key ids and vkeys, and note signature lines.

A signed note is a text (UTF-8, newline-terminated lines) followed by a blank line and one
or more signature lines `— <key name> base64(4-byte key id || signature)`. A key id is the
first 4 bytes of SHA-256(<key name> || 0x0A || <signature type> || <public key>), so a
verifier holding (name, public key, type) knows which lines are its own and ignores the
rest. Two signature types are used here:

- 0x01, Ed25519 (the log's signature): the signature is over the note text;
- 0x04, `cosignature/v1` (a witness's, C2SP tlog-cosignature): the signature is over
  `cosignature/v1\\ntime <T>\\n` followed by the note text, and the signed value is the
  8-byte big-endian time T followed by the 64-byte Ed25519 signature.

A vkey (the verifier key, published beside the log) is `<name>+<key id, 8 hex>+<base64(type ||
public key)>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass, field
from enum import IntEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DASH = "\u2014"  # the em dash that starts every signature line
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """Text that is not a well-formed signed note, key or signature line."""


class KeyType(IntEnum):
    """The signature types of C2SP signed-note this log uses."""

    ED25519 = 0x01
    COSIGNATURE_V1 = 0x04


def valid_name(name: str) -> bool:
    """A key name: non-empty, no whitespace, no `+` (C2SP signed-note)."""
    return bool(name) and name.isprintable() and not any(c.isspace() or c == "+" for c in name)


def key_id(name: str, key_type: KeyType, raw: bytes) -> bytes:
    """The 4-byte key id of a public key with its name and signature type."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + raw).digest()[:4]


def cosigned_message(body: str, timestamp: int) -> bytes:
    """What a `cosignature/v1` covers: the header, the time and the note text."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the signer's key name, its key id, and the signed value."""

    name: str
    key_id: bytes
    value: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.value).decode()
        return f"{DASH} {self.name} {encoded}\n"

    @classmethod
    def parse(cls, line: str) -> NoteSignature:
        prefix = DASH + " "
        if not line.startswith(prefix):
            raise NoteError("a signature line must start with an em dash and a space")
        name, _, encoded = line[len(prefix) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"the signature of {name!r} is not base64") from None
        if not valid_name(name) or len(raw) < 5 or " " in encoded:
            raise NoteError(f"malformed signature line for {name!r}")
        return cls(name, raw[:4], raw[4:])


@dataclass(frozen=True)
class PublicKey:
    """A named Ed25519 public key of one signature type (the log's, or a witness's)."""

    name: str
    raw: bytes
    key_type: KeyType = KeyType.ED25519

    @property
    def key_id(self) -> str:
        """The note key id, 8 hex digits."""
        return self.id_bytes.hex()

    @property
    def id_bytes(self) -> bytes:
        return key_id(self.name, self.key_type, self.raw)

    @property
    def vkey(self) -> str:
        """The verifier key, `<name>+<key id>+<base64(type || key)>`."""
        encoded = base64.b64encode(bytes([self.key_type]) + self.raw).decode()
        return f"{self.name}+{self.key_id}+{encoded}"

    def verifies(self, signature: bytes, message: bytes) -> bool:
        """Whether `signature` is this key's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def matches(self, signature: NoteSignature) -> bool:
        """Whether a signature line claims to be by this key (name and key id)."""
        return signature.name == self.name and signature.key_id == self.id_bytes

    def check(self, signature: NoteSignature, body: str) -> int | None:
        """Verify a signature line of this key over a note text: None if it does not verify,
        else the time it carries (0 for a plain Ed25519 signature)."""
        if not self.matches(signature):
            return None
        if self.key_type is KeyType.ED25519:
            return 0 if self.verifies(signature.value, body.encode()) else None
        if len(signature.value) != 72:
            return None
        (timestamp,) = struct.unpack(">Q", signature.value[:8])
        good = self.verifies(signature.value[8:], cosigned_message(body, timestamp))
        return timestamp if good and timestamp < 2**63 else None

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """A key from its vkey (`name+hex id+base64`); the id must match the key."""
        name, id_hex, encoded = (text.strip().split("+", 2) + ["", ""])[:3]
        try:
            raw = base64.b64decode(encoded, validate=True)
            key_type = KeyType(raw[0]) if raw else None
        except (binascii.Error, ValueError):
            key_type = None
        if key_type is None or not valid_name(name) or len(raw) != 33:
            raise NoteError(f"not an Ed25519 verifier key (name+id+base64): {text.strip()!r}")
        key = cls(name, raw[1:], key_type)
        if key.key_id != id_hex.lower():
            raise NoteError(f"the verifier key {name} has a wrong key id {id_hex}")
        return key

    def __str__(self) -> str:
        return self.vkey


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key (its 32-byte seed) with its name and signature type."""

    name: str
    seed: bytes = field(repr=False)
    key_type: KeyType = KeyType.ED25519

    def __post_init__(self) -> None:
        if not valid_name(self.name):
            raise NoteError(f"{self.name!r} cannot name a key: no spaces or '+' allowed")

    @property
    def public(self) -> PublicKey:
        raw = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return PublicKey(self.name, raw, self.key_type)

    def sign_note(self, body: str, timestamp: int = 0) -> NoteSignature:
        """This key's signature line for a note text (a cosignature carries `timestamp`)."""
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        public = self.public
        if self.key_type is KeyType.ED25519:
            value = private.sign(body.encode())
        else:
            value = struct.pack(">Q", timestamp) + private.sign(cosigned_message(body, timestamp))
        return NoteSignature(self.name, public.id_bytes, value)


def split_note(text: str) -> tuple[str, list[NoteSignature]]:
    """A signed note's text and its signature lines (unverified)."""
    if "\r" in text or not text.endswith("\n"):
        raise NoteError("a signed note ends with a newline and has no carriage returns")
    cut = text.rfind("\n\n")
    if cut < 0:
        raise NoteError("a signed note has a blank line before its signatures")
    body, lines = text[: cut + 1], text[cut + 2 :].splitlines(keepends=True)
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError("a signed note has between 1 and 100 signature lines")
    return body, [NoteSignature.parse(line.removesuffix("\n")) for line in lines]


def join_note(body: str, signatures: list[NoteSignature]) -> str:
    """A note text and its signature lines as one signed note."""
    return body + "\n" + "".join(s.line() for s in signatures)
