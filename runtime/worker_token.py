"""The worker's token from the settings, as the credential that attests its messages.

`LFR_WORKER_TOKEN` is a token from `lfr token issue --role worker --deployment D --camera C`
(one `--camera` per camera the worker host runs). A worker refuses to start with a token
bound to another deployment or not covering one of its cameras (the ingest would refuse
every message). In development a missing token is issued here from the development token
secret; production refuses to start without one.
"""

from __future__ import annotations

from collections.abc import Sequence

import jwt

from recognition.credential import CredentialRefused, WorkerCredential, issue_worker_token
from runtime.settings import Settings
from services.errors import ConfigurationError

DEVELOPMENT_TOKEN_HOURS = 24.0


def worker_credential(
    settings: Settings, deployment_id: str, cameras: Sequence[str]
) -> WorkerCredential:
    """The credential a worker for `deployment_id` and `cameras` attests its messages with."""
    cameras = [cameras] if isinstance(cameras, str) else list(cameras)
    token = settings.worker_token.strip() or _development_token(settings, deployment_id, cameras)
    try:
        # The worker holds no token secret: it reads its own claims to refuse a wrong one early.
        claims = jwt.decode(token, options={"verify_signature": False})
        credential = WorkerCredential(token)
    except (jwt.PyJWTError, CredentialRefused) as error:
        raise ConfigurationError(f"LFR_WORKER_TOKEN is not a token: {error}") from None
    if claims.get("deployment") != deployment_id:
        raise ConfigurationError(
            f"LFR_WORKER_TOKEN is bound to deployment {claims.get('deployment')!r}, "
            f"not {deployment_id}"
        )
    uncovered = [c for c in cameras if c not in (claims.get("cameras") or [])]
    if uncovered:
        raise ConfigurationError(f"LFR_WORKER_TOKEN does not cover camera {uncovered[0]!r}")
    return credential


def _development_token(settings: Settings, deployment_id: str, cameras: list[str]) -> str:
    if settings.is_production:
        raise ConfigurationError(
            "LFR_WORKER_TOKEN must be set in production: "
            "lfr token issue --role worker --deployment ID --camera CAMERA"
        )
    worker_id = "worker:" + ",".join(cameras)
    return issue_worker_token(
        settings.secret("token_secret"),
        worker_id[:200],
        deployment_id,
        cameras,
        DEVELOPMENT_TOKEN_HOURS,
    )
