"""Bearer tokens: HS256-signed JWTs carrying the user id, the roles and an expiry.

`issue_token` makes one (for `lfr token issue` and tests); `allow(*roles)` is the route
dependency that checks the token and the role and hands the route its `Principal`.
A worker's token is also bound to one deployment and the cameras it may report for
(claims `deployment` and `cameras`); the domain refuses a worker acting outside them.
Which deployment or application an officer may act on is the domain's rule
(`domain.access`): a refusal there is answered 403 with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.access import worker
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
    deployment_id: str = ""  # a worker's token: the one deployment it is bound to
    cameras: tuple[str, ...] = ()  # ... and the cameras it may report for

    @property
    def actor(self) -> Actor:
        if self.acting_as is Role.WORKER:
            return worker(self.user_id, self.deployment_id, self.cameras)
        return Actor(self.user_id, self.acting_as)


@dataclass(frozen=True)
class Claims:
    """What a valid token says: who, which roles, and a worker's binding."""

    user_id: str
    roles: tuple[str, ...]
    deployment_id: str = ""
    cameras: tuple[str, ...] = ()


MAX_CAMERA_ID = 200


def _binding(
    roles: list[str], deployment_id: str | None, cameras: Iterable[str]
) -> dict[str, object]:
    """The claims that bind a worker's token; refuses a worker without them."""
    cameras = list(cameras)
    if Role.WORKER.value not in roles:
        if deployment_id or cameras:
            raise TokenError("a deployment and cameras bind a worker's token only")
        return {}
    if roles != [Role.WORKER.value]:
        raise TokenError("a worker's token holds the worker role alone")
    if not deployment_id:
        raise TokenError("a worker's token must name its deployment (--deployment)")
    try:
        deployment = str(UUID(deployment_id))
    except ValueError:
        raise TokenError(f"the deployment {deployment_id[:60]!r} is not a deployment id") from None
    if not cameras:
        raise TokenError("a worker's token must name the cameras it reports for (--camera)")
    for camera in cameras:
        if not camera.strip() or len(camera) > MAX_CAMERA_ID or not camera.isprintable():
            raise TokenError(f"the camera id {camera[:60]!r} is not a camera id")
    return {"deployment": deployment, "cameras": sorted(set(cameras))}


def issue_token(
    secret: bytes,
    user_id: str,
    roles: Iterable[str],
    hours: float = 8.0,
    now: datetime | None = None,
    deployment_id: str | None = None,
    cameras: Iterable[str] = (),
) -> str:
    """A signed token for `user_id` holding `roles`, valid for `hours`; a worker's token
    is bound to `deployment_id` and `cameras`."""
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
    binding = _binding(roles, deployment_id, cameras)
    issued = now or datetime.now(UTC)
    claims = {
        **binding,
        "sub": user_id,
        "roles": roles,
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + timedelta(hours=hours),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: bytes, token: str) -> tuple[str, tuple[str, ...]]:
    """The user id and roles of a valid token; `TokenError` otherwise."""
    claims = read_claims(secret, token)
    return claims.user_id, claims.roles


def read_claims(secret: bytes, token: str) -> Claims:
    """What a valid token says; `TokenError` otherwise."""
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
    cameras = claims.get("cameras", [])
    if not isinstance(cameras, list) or not all(isinstance(c, str) for c in cameras):
        raise TokenError("the token's cameras are not a list of camera ids")
    return Claims(
        str(claims["sub"]),
        tuple(r for r in roles if r in TOKEN_ROLES),
        str(claims.get("deployment", "")),
        tuple(cameras),
    )


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
            claims = read_claims(request.app.state.token_secret, credentials.credentials)
        except TokenError as error:
            raise _unauthorised(str(error)) from None
        user_id, held = claims.user_id, claims.roles
        acting = next((Role(name) for name in names if name in held), None)
        if acting is None:
            raise HTTPException(
                403,
                f"this route is for {' or '.join(names)}; "
                f"{user_id} holds {', '.join(held) or 'no role'}",
            )
        return Principal(user_id, held, acting, claims.deployment_id, claims.cameras)

    principal.roles = names  # type: ignore[attr-defined]
    return principal
