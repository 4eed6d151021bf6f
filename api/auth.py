"""Bearer tokens: HS256-signed JWTs carrying the user id, the roles and an expiry.

`issue_token` makes one (for `lfr token issue` and tests); `allow(*roles)` is the route
dependency that checks the token and the role and hands the route its `Principal`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.values import Actor, Role

ALGORITHM = "HS256"
ISSUER = "lfr"
# Roles a person may hold through the API; `system` belongs to the sweeper alone.
TOKEN_ROLES = frozenset(role.value for role in Role if role is not Role.SYSTEM)

_bearer = HTTPBearer(auto_error=False, description="A token from `lfr token issue`")


class TokenError(ValueError):
    """A token that cannot be trusted: the message says why."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's user and roles, and the role this route lets them act in."""

    user_id: str
    roles: tuple[str, ...]
    acting_as: Role

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.acting_as)


def issue_token(
    secret: bytes,
    user_id: str,
    roles: Iterable[str],
    hours: float = 8.0,
    now: datetime | None = None,
) -> str:
    """A signed token for `user_id` holding `roles`, valid for `hours`."""
    roles = list(roles)
    unknown = sorted(set(roles) - TOKEN_ROLES)
    if unknown:
        raise TokenError(f"unknown role(s) {unknown}; known: {sorted(TOKEN_ROLES)}")
    if not user_id.strip():
        raise TokenError("the user id must be given")
    if not roles:
        raise TokenError("at least one role must be given")
    if hours <= 0:
        raise TokenError("the token's lifetime must be positive")
    issued = now or datetime.now(UTC)
    claims = {
        "sub": user_id,
        "roles": roles,
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + timedelta(hours=hours),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: bytes, token: str) -> tuple[str, tuple[str, ...]]:
    """The user id and roles of a valid token; `TokenError` otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("the token has expired") from None
    except jwt.PyJWTError as error:
        raise TokenError(f"the token is not valid: {error}") from None
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise TokenError("the token carries no list of roles")
    return str(claims["sub"]), tuple(r for r in roles if r in TOKEN_ROLES)


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def allow(*roles: Role) -> Callable[..., Principal]:
    """A dependency: the caller must hold a valid token with one of `roles`.

    When the caller holds several of them, the first in `roles` is the role they act in
    (routes list the role that normally gives the command first)."""
    names = [role.value for role in roles]

    def principal(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> Principal:
        if credentials is None:
            raise _unauthorised("a bearer token is required")
        try:
            user_id, held = read_token(request.app.state.token_secret, credentials.credentials)
        except TokenError as error:
            raise _unauthorised(str(error)) from None
        acting = next((Role(name) for name in names if name in held), None)
        if acting is None:
            raise HTTPException(
                403,
                f"this route is for {' or '.join(names)}; "
                f"{user_id} holds {', '.join(held) or 'no role'}",
            )
        return Principal(user_id, held, acting)

    principal.roles = names  # type: ignore[attr-defined]
    return principal
