"""A tiny OpenID Connect provider the tests run on loopback: discovery, an authorization
endpoint that signs in the account the test chose (as a force's provider would after its
own login), a token endpoint that checks the PKCE verifier and the redirect URI, and the
JWKS of its RSA signing key, and an end-session endpoint. It records what the relying party
sent, for the tests."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException, Query
from fastapi.responses import RedirectResponse

KID = "test-key-1"


@dataclass
class Account:
    sub: str
    roles: list[str]


@dataclass
class Provider:
    """The provider's state; `app(issuer)` serves it once its URL is known."""

    account: Account = field(default_factory=lambda: Account("pc-operator", ["operator"]))
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    sign_outs: list[dict[str, str]] = field(default_factory=list)
    issuer: str = ""
    # A flaw to put in the next ID token, as a forged or misdirected one would carry it:
    # "nonce", "audience", "issuer", "expired" or "key" (signed by a key not in the JWKS).
    flaw: str = ""

    def app(self, issuer: str) -> FastAPI:
        self.issuer = issuer
        app = FastAPI()
        app.get("/.well-known/openid-configuration")(self.discovery)
        app.get("/authorize")(self.authorize)
        app.post("/token")(self.token)
        app.get("/jwks")(self.jwks)
        app.get("/end-session")(self.end_session)
        return app

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/end-session",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def authorize(
        self,
        response_type: str = Query(...),
        client_id: str = Query(...),
        redirect_uri: str = Query(...),
        state: str = Query(...),
        nonce: str = Query(...),
        code_challenge: str = Query(...),
        code_challenge_method: str = Query(...),
        scope: str = Query(""),
    ) -> RedirectResponse:
        asked = dict(response_type=response_type, client_id=client_id, scope=scope,
                     code_challenge_method=code_challenge_method)  # fmt: skip
        self.authorize_requests.append(asked)
        if response_type != "code" or code_challenge_method != "S256":
            raise HTTPException(400, "code flow with S256 PKCE only")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "challenge": code_challenge,
            "nonce": nonce,
        }
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    def token(
        self,
        grant_type: str = Form(...),
        code: str = Form(...),
        redirect_uri: str = Form(...),
        client_id: str = Form(...),
        code_verifier: str = Form(...),
    ) -> dict[str, Any]:
        self.token_requests.append({"grant_type": grant_type, "client_id": client_id})
        issued = self.codes.pop(code, None)  # a code is good once
        if issued is None or grant_type != "authorization_code":
            raise HTTPException(400, "invalid_grant")
        digest = hashlib.sha256(code_verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != issued["challenge"]:
            raise HTTPException(400, "invalid_grant: PKCE verifier does not match")
        if redirect_uri != issued["redirect_uri"] or client_id != issued["client_id"]:
            raise HTTPException(400, "invalid_grant: another client or redirect")
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": self.account.sub, "aud": client_id,
            "iat": now, "exp": now + 300, "nonce": issued["nonce"], "roles": self.account.roles,
        }  # fmt: skip
        flaws = {
            "nonce": {"nonce": "another sign-in"}, "audience": {"aud": "another-client"},
            "issuer": {"iss": "https://elsewhere.example"}, "expired": {"exp": now - 60},
        }  # fmt: skip
        claims.update(flaws.get(self.flaw, {}))
        key = rsa.generate_private_key(65537, 2048) if self.flaw == "key" else self.key
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})
        return {"access_token": "unused", "token_type": "Bearer", "id_token": id_token}

    def end_session(
        self, client_id: str = Query(...), post_logout_redirect_uri: str = Query(...)
    ) -> RedirectResponse:
        """Ends the account's session here and sends the browser back to the relying party."""
        self.sign_outs.append({"client_id": client_id, "to": post_logout_redirect_uri})
        return RedirectResponse(post_logout_redirect_uri)

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}
