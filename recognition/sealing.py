"""Public-key envelopes for probe crops: the worker seals, only the ingest can open.

The worker holds the ingest's X25519 public key and nothing secret: each crop is sealed
under a fresh ephemeral key (X25519 agreement, HKDF-SHA256, AES-256-GCM), so a crop on a
topic, in a broker's log or in a worker's memory dump of past messages cannot be read
without the ingest's private key. The envelope is bound to the message it travels in
(its schema, event id and deployment): moved into another message it does not open.

    keys = ProbeKeyPair.generate()                  # or runtime.probe_keys.ingest_keys(settings)
    envelope = keys.sealer.seal(jpeg, context)      # worker side: ProbeSealer
    jpeg = keys.open(envelope, context)             # ingest side
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALGORITHM = "X25519-HKDF-SHA256-AES256GCM"
_RAW = serialization.Encoding.Raw
_PUBLIC_RAW = serialization.PublicFormat.Raw
_KEY, _NONCE = 32, 12


class SealError(ValueError):
    """An envelope that does not open: wrong key, altered, or moved to another message."""


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(_RAW, _PUBLIC_RAW)


def key_id(public: X25519PublicKey) -> str:
    """A short fingerprint of the recipient key: tells which key a crop was sealed for."""
    return hashlib.sha256(_raw(public)).hexdigest()[:16]


def _aead_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> AESGCM:
    # Both public keys go into the derivation so the key is bound to this exchange.
    derived = HKDF(
        algorithm=hashes.SHA256(), length=_KEY, salt=ephemeral + recipient, info=ALGORITHM.encode()
    ).derive(shared)
    return AESGCM(derived)


@dataclass(frozen=True)
class ProbeSealer:
    """The worker's side: seals to the ingest's public key."""

    public_key: X25519PublicKey

    @classmethod
    def from_base64(cls, text: str) -> ProbeSealer:
        try:
            return cls(X25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True)))
        except ValueError as error:
            raise ValueError(f"not an X25519 public key (32 bytes, base64): {error}") from None

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def seal(self, plaintext: bytes, context: bytes) -> str:
        """The envelope (base64): ephemeral public key, nonce, ciphertext with its tag."""
        ephemeral = X25519PrivateKey.generate()
        ephemeral_raw = _raw(ephemeral.public_key())
        aead = _aead_key(ephemeral.exchange(self.public_key), ephemeral_raw, _raw(self.public_key))
        nonce = os.urandom(_NONCE)
        sealed = ephemeral_raw + nonce + aead.encrypt(nonce, plaintext, context)
        return base64.b64encode(sealed).decode()


@dataclass(frozen=True)
class ProbeKeyPair:
    """The ingest's side: the private key that opens what workers sealed, and the keys it
    replaced (still opened until the topics' retention has dropped what was sealed to them)."""

    private_key: X25519PrivateKey
    retired: tuple[X25519PrivateKey, ...] = ()

    @classmethod
    def generate(cls) -> ProbeKeyPair:
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes, retired: tuple[bytes, ...] = ()) -> ProbeKeyPair:
        for key in (seed, *retired):
            if len(key) != _KEY:
                raise ValueError(f"a probe key must be {_KEY} bytes, got {len(key)}")
        return cls(
            X25519PrivateKey.from_private_bytes(seed),
            tuple(X25519PrivateKey.from_private_bytes(k) for k in retired),
        )

    def opener_for(self, sealed_for: str) -> ProbeKeyPair | None:
        """The key pair that opens what was sealed for key id `sealed_for`, if held."""
        return self._openers.get(sealed_for)

    @cached_property
    def _openers(self) -> dict[str, ProbeKeyPair]:
        # Worked out once: deriving each public key and its id cost more per message than
        # the AES that opens the crop.
        held = (self.private_key, *self.retired)
        return {key_id(p.public_key()): ProbeKeyPair(p) for p in reversed(held)}

    @cached_property
    def _public_raw(self) -> bytes:
        return _raw(self.private_key.public_key())

    @property
    def sealer(self) -> ProbeSealer:
        return ProbeSealer(self.private_key.public_key())

    def open(self, envelope: str, context: bytes) -> bytes:
        """The plaintext; `SealError` if the envelope is not for this key and context."""
        try:
            sealed = base64.b64decode(envelope, validate=True)
        except ValueError:
            raise SealError("the sealed probe is not base64") from None
        if len(sealed) < _KEY + _NONCE + 16:
            raise SealError("the sealed probe is too short")
        ephemeral_raw, nonce, ciphertext = (
            sealed[:_KEY],
            sealed[_KEY : _KEY + _NONCE],
            sealed[_KEY + _NONCE :],
        )
        ephemeral = X25519PublicKey.from_public_bytes(ephemeral_raw)
        try:
            shared = self.private_key.exchange(ephemeral)
        except ValueError:
            raise SealError("the sealed probe's ephemeral key is invalid") from None
        aead = _aead_key(shared, ephemeral_raw, self._public_raw)
        try:
            return aead.decrypt(nonce, ciphertext, context)
        except InvalidTag:
            raise SealError(
                "the sealed probe does not open with this ingest's key for this message"
            ) from None


def public_key_base64(keys: ProbeKeyPair) -> str:
    """The value to give workers as `LFR_PROBE_PUBLIC_KEY`."""
    return base64.b64encode(_raw(keys.private_key.public_key())).decode()
