"""Public-key envelopes for probe crops: the worker seals, only the ingest can open.

The worker holds the ingest's X25519 public key and nothing secret. It seals crops under a
session key: an ephemeral X25519 key pair agreed with the ingest's key (X25519, HKDF-SHA256,
giving an AES-256-GCM key), used for at most `SESSION_MESSAGES` crops or `SESSION_SECONDS`,
then forgotten and replaced. A crop on a topic, in a broker's log or in a worker's memory
dump of an earlier session cannot be read without the ingest's private key. Each envelope
carries its session's ephemeral public key, its own random nonce and the ciphertext; its
AAD binds it to the message it travels in (its schema, event id and deployment): moved into
another message it does not open.

Why sessions, not a fresh ephemeral key per crop: the X25519 agreement and HKDF were the
largest cost of opening a crop at the ingest (thousands a second). The ingest keeps the AEAD
key of each session it has opened a crop of (`MAX_SESSIONS`, least recently used dropped),
so a session costs one agreement on each side. What it gives up: forward secrecy per crop
becomes forward secrecy per session; whoever reads a running worker's memory can open the
crops of its current session (which that worker held in plain anyway), none of an earlier
one. A random 96-bit nonce per crop is safe for a session's few thousand crops. The envelope
is the same as with one ephemeral key per crop, so either opens the same way.

    keys = ProbeKeyPair.generate()                  # or runtime.probe_keys.ingest_keys(settings)
    sealer = keys.sealer                            # worker side: ProbeSealer, one per worker
    envelope = sealer.seal(jpeg, context)
    jpeg = keys.open(envelope, context)             # ingest side
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
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
#: A worker's session key seals at most this many crops, for at most this long.
SESSION_MESSAGES = 1_000
SESSION_SECONDS = 60.0
#: Sessions whose key an ingest keeps (one a minute or per thousand crops per worker).
MAX_SESSIONS = 1_024


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
class _Session:
    """One worker session: its ephemeral public key and the AEAD key agreed with it."""

    ephemeral_raw: bytes
    aead: AESGCM
    started: float

    @classmethod
    def agree(cls, recipient: X25519PublicKey, now: float) -> _Session:
        ephemeral = X25519PrivateKey.generate()  # forgotten with the session
        ephemeral_raw = _raw(ephemeral.public_key())
        shared = ephemeral.exchange(recipient)
        return cls(ephemeral_raw, _aead_key(shared, ephemeral_raw, _raw(recipient)), now)


class ProbeSealer:
    """The worker's side: seals to the ingest's public key, under a session key replaced
    every `session_messages` crops or `session_seconds` (see the module docstring)."""

    def __init__(
        self,
        public_key: X25519PublicKey,
        *,
        session_messages: int = SESSION_MESSAGES,
        session_seconds: float = SESSION_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.public_key = public_key
        self._limits = (session_messages, session_seconds)
        self._clock = clock
        self._session: _Session | None = None
        self._sealed = 0
        self._lock = threading.Lock()  # a worker's threads may share one sealer

    @classmethod
    def from_base64(cls, text: str) -> ProbeSealer:
        try:
            return cls(X25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True)))
        except ValueError as error:
            raise ValueError(f"not an X25519 public key (32 bytes, base64): {error}") from None

    @cached_property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def seal(self, plaintext: bytes, context: bytes) -> str:
        """The envelope (base64): the session's ephemeral public key, this crop's nonce, and
        the ciphertext with its tag."""
        session = self._current_session()
        nonce = os.urandom(_NONCE)
        sealed = session.ephemeral_raw + nonce + session.aead.encrypt(nonce, plaintext, context)
        return base64.b64encode(sealed).decode()

    def _current_session(self) -> _Session:
        most, longest = self._limits
        with self._lock:
            now = self._clock()
            session = self._session
            if session is None or self._sealed >= most or now - session.started >= longest:
                session = self._session = _Session.agree(self.public_key, now)
                self._sealed = 0
            self._sealed += 1
            return session


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

    @cached_property
    def _sessions(self) -> OrderedDict[bytes, AESGCM]:
        """The AEAD key of each worker session a crop was opened from, by its ephemeral
        public key; the least recently used dropped beyond `MAX_SESSIONS`."""
        return OrderedDict()

    @property
    def sealer(self) -> ProbeSealer:
        """A new worker-side sealer (with its own sessions) to this key pair's public key."""
        return ProbeSealer(self.private_key.public_key())

    def open(self, envelope: str, context: bytes) -> bytes:
        """The plaintext; `SealError` if the envelope is not for this key and context."""
        try:
            sealed = binascii.a2b_base64(envelope, strict_mode=True)
        except ValueError:  # binascii.Error, or text that is not ASCII
            raise SealError("the sealed probe is not base64") from None
        if len(sealed) < _KEY + _NONCE + 16:
            raise SealError("the sealed probe is too short")
        ephemeral_raw = sealed[:_KEY]
        known = self._sessions.get(ephemeral_raw)
        aead = known if known is not None else self._agree(ephemeral_raw)
        try:
            plaintext = aead.decrypt(sealed[_KEY : _KEY + _NONCE], sealed[_KEY + _NONCE :], context)
        except InvalidTag:
            raise SealError(
                "the sealed probe does not open with this ingest's key for this message"
            ) from None
        self._remember(ephemeral_raw, aead, known is not None)
        return plaintext

    def _agree(self, ephemeral_raw: bytes) -> AESGCM:
        try:
            shared = self.private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
        except ValueError:
            raise SealError("the sealed probe's ephemeral key is invalid") from None
        return _aead_key(shared, ephemeral_raw, self._public_raw)

    def _remember(self, ephemeral_raw: bytes, aead: AESGCM, known: bool) -> None:
        # Only a session whose crop opened is kept: altered envelopes cannot evict the
        # sessions of real workers.
        sessions = self._sessions
        if known:
            sessions.move_to_end(ephemeral_raw)
            return
        sessions[ephemeral_raw] = aead
        if len(sessions) > MAX_SESSIONS:
            sessions.popitem(last=False)


def public_key_base64(keys: ProbeKeyPair) -> str:
    """The value to give workers as `LFR_PROBE_PUBLIC_KEY`."""
    return base64.b64encode(_raw(keys.private_key.public_key())).decode()
