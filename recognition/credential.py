"""Proof, on every message a worker sends, that it holds a valid worker token.

A worker's token (`lfr token issue --role worker --deployment D --camera C`, an HS256 JWT)
binds it to one deployment and the cameras that deployment's authority lists. The token
itself never goes on a topic: whoever could read the topic could then write as the worker.
Each message carries instead:

- `credential`: the token's signed part, `header.claims` without the signature: who, which
  deployment and cameras, until when. Readable, and useless on its own;
- `proof`: HMAC-SHA256 over the message (the canonical JSON of every other field) keyed
  with the token's signature, which only the token's holder and its issuer (who holds the
  token secret) know.

The ingest, holding the token secret, recomputes the signature from the claims, checks the
token (issuer, worker role, binding) and the proof, and that the message's time falls within
the token's life; it then acts as the worker the token binds, so the domain refuses another
deployment or an unlisted camera. Altering any field, or moving a credential and proof to
another message, breaks the proof. A message that fails is recorded as rejected.

    credential = WorkerCredential(token)                    # the worker
    wire = credential.attest(payload)                       # bytes with credential and proof
    binding, payload = CredentialVerifier(secret).verify(wire)   # the ingest
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import jwt
import orjson

CREDENTIAL, PROOF = "credential", "proof"
ISSUER = "lfr"  # as api.auth issues tokens
WORKER_ROLE = "worker"
#: Checked credentials kept by a verifier (one per worker token in use).
MAX_CHECKED = 10_000
# A worker's clock may run a little ahead of the issuer's.
CLOCK_SKEW = timedelta(minutes=5)


def issue_worker_token(
    secret: bytes,
    worker_id: str,
    deployment_id: str,
    cameras: Sequence[str],
    hours: float,
    now: datetime | None = None,
) -> str:
    """A worker token in the format `lfr token issue --role worker` gives (for a worker
    that runs where the token secret is, as in development)."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": worker_id,
        "roles": [WORKER_ROLE],
        "deployment": deployment_id,
        "cameras": sorted(set(cameras)),
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + timedelta(hours=hours),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class CredentialRefused(ValueError):
    """A message without a worker credential, or whose credential or proof do not hold."""


class Attester(Protocol):
    """What a worker's transport signs each message with."""

    def attest(self, payload: dict[str, Any]) -> bytes: ...


def canonical(payload: dict[str, Any]) -> bytes:
    """The bytes a proof covers: sorted keys, no spaces, ASCII (the same after a JSON round
    trip in any reader that keeps numbers as they were written)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _proof(key: bytes, payload: dict[str, Any]) -> str:
    return hmac.new(key, canonical(payload), hashlib.sha256).hexdigest()


def _proof_holds(key: bytes, signed: dict[str, Any], proof: str) -> bool:
    """Whether `proof` covers `signed`'s canonical bytes. orjson writes the same bytes as
    `canonical` for the ASCII text and plain numbers workers send, twenty times faster;
    where it writes others (non-ASCII text, some floats) the standard library's are checked.
    Either way the proof covers the bytes of exactly these fields."""
    fast = hmac.digest(key, orjson.dumps(signed, option=orjson.OPT_SORT_KEYS), "sha256")
    return hmac.compare_digest(fast.hex(), proof) or hmac.compare_digest(_proof(key, signed), proof)


class WorkerCredential:
    """The worker's side: holds its token and attests each message with it."""

    def __init__(self, token: str) -> None:
        parts = token.strip().split(".")
        if len(parts) != 3 or not all(parts):
            raise CredentialRefused("the worker token is not a signed token")
        self._signed = f"{parts[0]}.{parts[1]}"
        self._key = _b64url_decode(parts[2])

    def attest(self, payload: dict[str, Any]) -> bytes:
        """The message's wire bytes: its fields, the credential and the proof over both."""
        signed = {k: v for k, v in payload.items() if k not in (CREDENTIAL, PROOF)}
        signed[CREDENTIAL] = self._signed
        return canonical(signed | {PROOF: _proof(self._key, signed)})


@dataclass(frozen=True)
class WorkerBinding:
    """What a verified credential says: which worker, for which deployment and cameras."""

    worker_id: str
    deployment_id: str
    cameras: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime

    def require_covers(self, moment: datetime) -> None:
        """Refuses a message whose time falls outside the token's life."""
        if moment.tzinfo is None:
            raise CredentialRefused("the message's time has no time zone")
        if not self.issued_at - CLOCK_SKEW <= moment <= self.expires_at:
            raise CredentialRefused(
                f"the worker token was valid from {self.issued_at.isoformat()} to "
                f"{self.expires_at.isoformat()}, not at {moment.isoformat()}"
            )


class CredentialVerifier:
    """The ingest's side: checks a message's credential and proof with the token secret."""

    def __init__(self, token_secret: bytes) -> None:
        self._secret = token_secret
        # Credentials already checked: a worker sends thousands of messages under one token,
        # and decoding and checking the token was most of the cost of verifying a message
        # (about 100 of 160 us). The check depends on the token alone, so its result is kept;
        # each message's own proof is still checked. Bounded: cleared when full.
        self._checked: dict[str, tuple[bytes, WorkerBinding]] = {}

    def verify(self, wire: bytes | str) -> tuple[WorkerBinding, dict[str, Any]]:
        """The binding of the worker that sent `wire`, and the message's fields."""
        payload = orjson.loads(wire)  # a JSONDecodeError (a ValueError) when not JSON
        if not isinstance(payload, dict):
            raise ValueError("a worker's message must be a JSON object")
        signed_part, proof = payload.get(CREDENTIAL), payload.get(PROOF)
        if not isinstance(signed_part, str) or not isinstance(proof, str):
            raise CredentialRefused("the message carries no worker credential")
        key, binding = self._checked_credential(signed_part)
        signed = payload.copy()
        del signed[PROOF]
        if not _proof_holds(key, signed, proof):
            raise CredentialRefused("the message's proof does not match its worker credential")
        return binding, payload

    def _checked_credential(self, signed_part: str) -> tuple[bytes, WorkerBinding]:
        """The proof key and binding of a credential, checked once per credential."""
        checked = self._checked.get(signed_part)
        if checked is None:
            key = hmac.new(self._secret, signed_part.encode(), hashlib.sha256).digest()
            checked = (key, _binding(self._claims(f"{signed_part}.{_b64url(key)}")))
            if len(self._checked) >= MAX_CHECKED:
                self._checked.clear()
            self._checked[signed_part] = checked
        return checked

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                # The message's own time is checked against the token's life (`require_covers`):
                # an ingest catching up after an outage still accepts what was sent in time.
                options={"require": ["sub", "exp", "iat", "iss"], "verify_exp": False},
            )
        except jwt.PyJWTError as error:
            raise CredentialRefused(f"the worker credential is not valid: {error}") from None
        return claims


def _binding(claims: dict[str, Any]) -> WorkerBinding:
    if claims.get("roles") != [WORKER_ROLE]:
        raise CredentialRefused("the credential is not a worker's token")
    deployment, cameras = claims.get("deployment"), claims.get("cameras")
    if not isinstance(deployment, str) or not deployment:
        raise CredentialRefused("the worker token is bound to no deployment")
    if not isinstance(cameras, list) or not all(isinstance(c, str) for c in cameras):
        raise CredentialRefused("the worker token names no cameras")
    return WorkerBinding(
        str(claims["sub"]),
        deployment,
        tuple(cameras),
        datetime.fromtimestamp(int(claims["iat"]), UTC),
        datetime.fromtimestamp(int(claims["exp"]), UTC),
    )
