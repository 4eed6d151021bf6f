"""`lfr token issue`: a signed bearer token for the API (development and tests)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING
from uuid import UUID

from api.auth import TokenError, issue_token
from domain.deployment import Deployment
from domain.errors import NotFound
from runtime.bootstrap import open_services
from runtime.settings import Settings
from services.errors import UserError

if TYPE_CHECKING:
    from domain.deployment import Deployment


def issue(args: argparse.Namespace, settings: Settings) -> int:
    """Prints a token for `--user` holding every `--role`, valid for `--hours`.

    A worker's token is bound to `--deployment` and each `--camera`, which must be cameras
    the deployment's authority covers, and it expires at the authorised end at the latest.
    In production the token secret must be configured (LFR_TOKEN_SECRET): no default."""
    cameras = list(args.camera or [])
    hours = args.hours
    token = _issue(settings, args, hours, cameras)  # refuses a malformed binding first
    if args.deployment:
        hours = _hours_within_authority(settings, UUID(args.deployment), cameras, hours)
        token = _issue(settings, args, hours, cameras)
    if getattr(args, "json", False):
        from datetime import UTC, datetime, timedelta

        expires = datetime.now(UTC) + timedelta(hours=hours)
        print(
            json.dumps(
                {
                    "token": token,
                    "user": args.user,
                    "roles": args.role,
                    "expires_at": expires.isoformat(timespec="seconds"),
                    "deployment_id": args.deployment,
                    "cameras": cameras,
                }
            )
        )
    else:
        print(token)
    return 0


def _issue(settings: Settings, args: argparse.Namespace, hours: float, cameras: list[str]) -> str:
    try:
        return issue_token(
            settings.secret("token_secret"),
            args.user,
            args.role,
            hours,
            deployment_id=args.deployment,
            cameras=cameras,
        )
    except TokenError as error:
        raise UserError(str(error)) from None


def _hours_within_authority(
    settings: Settings, deployment_id: UUID, cameras: list[str], hours: float
) -> float:
    """The token's lifetime, cut to the deployment's authorised end; refuses cameras the
    authority does not list and a window already over."""
    from datetime import UTC, datetime, timedelta

    deployment = _require_authorised_cameras(settings, deployment_id, cameras)
    left = (deployment.ends_at - datetime.now(UTC)) / timedelta(hours=1)
    if left <= 0:
        raise UserError(
            f"deployment {deployment_id}'s authorised window ended at "
            f"{deployment.ends_at.isoformat()}"
        )
    return min(hours, left)


def _require_authorised_cameras(
    settings: Settings, deployment_id: UUID, cameras: list[str]
) -> Deployment:
    """A worker's token names only cameras the deployment's authority covers."""

    try:
        deployment = open_services(settings).lfr.load(Deployment, deployment_id)
    except NotFound:
        raise UserError(f"no deployment {deployment_id} in the store") from None
    unlisted = sorted(set(cameras) - set(deployment.cameras))
    if unlisted:
        raise UserError(
            f"camera(s) {unlisted} are not authorised for deployment {deployment_id}; "
            f"authorised: {sorted(deployment.cameras)}"
        )
    return deployment
