"""OpenID Connect sign-in for people (the production path): the authorization-code flow with
PKCE against the force's identity provider, whose issuer is configured (`LFR_OIDC_ISSUER`).

The provider's ID token is checked here (signature by a key of its JWKS, issuer, audience,
expiry, nonce); its subject and roles then get one of the API's own bearer tokens, so the
pages and scripts use one kind of token. Tokens from `lfr token issue` remain for scripts.

The pending sign-in (state, nonce, PKCE verifier and the page asked for) travels in a
short-lived signed cookie rather than in server memory, so any API process can finish it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jwt

PENDING_TTL_S = 600  # a sign-in not finished within 10 minutes starts again
HTTP_TIMEOUT_S = 10


class SignInError(ValueError):
    """A sign-in that cannot go on: the message says why, for the person signing in."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid profile"
    user_claim: str = "sub"
    roles_claim: str = "roles"


@dataclass(frozen=True)
class Pending:
    """A sign-in begun: what the callback must see again, and where to go after."""

    state: str
    nonce: str
    verifier: str
    next_page: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    return _b64url(hashlib.sha256(verifier.encode()).digest())


def _get_json(url: str, data: dict[str, str] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        raise SignInError(f"the identity provider refused ({error.code}): {detail}") from None
    except (OSError, ValueError) as error:
        raise SignInError(f"the identity provider cannot be reached: {error}") from None
    if not isinstance(answer, dict):
        raise SignInError("the identity provider answered something other than a JSON object")
    return answer


class OidcClient:
    """One relying party of one issuer."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config

    @cached_property
    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once)."""
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        found = _get_json(url)
        if found.get("issuer") != self.config.issuer:
            raise SignInError(f"the provider at {url} names another issuer: {found.get('issuer')}")
        return found

    @cached_property
    def _keys(self) -> jwt.PyJWKClient:
        return jwt.PyJWKClient(self.metadata["jwks_uri"], timeout=HTTP_TIMEOUT_S)

    def begin(self, redirect_uri: str, next_page: str) -> tuple[str, Pending]:
        """The provider's authorization URL to send the browser to, and what to keep."""
        pending = Pending(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=secrets.token_urlsafe(48),
            next_page=next_page,
        )
        query = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.config.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": challenge(pending.verifier),
            "code_challenge_method": "S256",
        }
        endpoint = self.metadata["authorization_endpoint"]
        return f"{endpoint}?{urllib.parse.urlencode(query)}", pending

    def end_session_url(self, signed_out_page: str) -> str | None:
        """Where to send a browser that signed out, so the provider's session ends too
        (OpenID Connect RP-Initiated Logout 1.0), or None when the provider has no
        end-session endpoint (or cannot be reached: signing out here must still work)."""
        try:
            endpoint = self.metadata.get("end_session_endpoint")
        except SignInError:
            return None
        if not isinstance(endpoint, str) or not endpoint:
            return None
        query = {"client_id": self.config.client_id, "post_logout_redirect_uri": signed_out_page}
        return f"{endpoint}?{urllib.parse.urlencode(query)}"

    def finish(self, code: str, redirect_uri: str, pending: Pending) -> dict[str, Any]:
        """Exchanges the code (with the PKCE verifier) and returns the ID token's checked
        claims; `SignInError` when anything does not hold."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.config.client_id,
            "code_verifier": pending.verifier,
        }
        if self.config.client_secret:
            form["client_secret"] = self.config.client_secret
        tokens = _get_json(self.metadata["token_endpoint"], form)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInError("the identity provider returned no ID token")
        try:
            key = self._keys.get_signing_key_from_jwt(id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256", "ES256", "PS256", "EdDSA"],
                audience=self.config.client_id,
                issuer=self.config.issuer,
                options={"require": ["sub", "exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise SignInError(f"the ID token is not valid: {error}") from None
        if claims.get("nonce") != pending.nonce:
            raise SignInError("the ID token is not for this sign-in (nonce)")
        return claims

    def person(self, claims: dict[str, Any], known_roles: frozenset[str]) -> tuple[str, list[str]]:
        """The user id and the LFR roles the ID token gives; refuses an account with none."""
        user = claims.get(self.config.user_claim)
        if not isinstance(user, str) or not user.strip():
            raise SignInError(f"the ID token carries no {self.config.user_claim!r}")
        held = claims.get(self.config.roles_claim, [])
        if isinstance(held, str):
            held = held.split()
        roles = sorted({r for r in held if isinstance(r, str) and r in known_roles})
        if not roles:
            raise SignInError(
                f"your account ({user}) holds no role in this system; ask for one to be granted"
            )
        return user, roles


def seal_pending(secret: bytes, pending: Pending) -> str:
    """The pending sign-in as a signed, expiring cookie value."""
    claims = {**pending.__dict__, "exp": int(time.time()) + PENDING_TTL_S, "purpose": "oidc"}
    return jwt.encode(claims, secret, algorithm="HS256")


def open_pending(secret: bytes, sealed: str | None, state: str) -> Pending:
    """The pending sign-in of `state`; refuses an expired, forged or other sign-in's cookie."""
    if not sealed:
        raise SignInError("this sign-in was not begun in this browser, or took too long")
    try:
        claims = jwt.decode(sealed, secret, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise SignInError("this sign-in took too long or was altered: start again") from None
    if claims.get("purpose") != "oidc" or not secrets.compare_digest(
        str(claims.get("state", "")), state
    ):
        raise SignInError("this answer is not for the sign-in begun here (state)")
    return Pending(claims["state"], claims["nonce"], claims["verifier"], claims["next_page"])
