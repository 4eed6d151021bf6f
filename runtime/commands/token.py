"""`lfr token issue`: a signed bearer token for the API (development and tests)."""

from __future__ import annotations

import argparse
from uuid import UUID

from api.auth import TokenError, issue_token
from runtime.errors import UserError
from runtime.settings import Settings


def issue(args: argparse.Namespace, settings: Settings) -> int:
    """Prints a token for `--user` holding every `--role`, valid for `--hours`.

    A worker's token is bound to `--deployment` and each `--camera`, which must be cameras
    the deployment's authority covers. In production the token secret must be configured
    (LFR_TOKEN_SECRET): no default."""
    cameras = list(args.camera or [])
    try:
        token = issue_token(
            settings.secret("token_secret"),
            args.user,
            args.role,
            args.hours,
            deployment_id=args.deployment,
            cameras=cameras,
        )
    except TokenError as error:
        raise UserError(str(error)) from None
    if args.deployment:
        _require_authorised_cameras(settings, UUID(args.deployment), cameras)
    print(token)
    return 0


def _require_authorised_cameras(
    settings: Settings, deployment_id: UUID, cameras: list[str]
) -> None:
    """A worker's token names only cameras the deployment's authority covers."""
    from domain.deployment import Deployment
    from domain.errors import NotFound
    from runtime.bootstrap import open_services

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
