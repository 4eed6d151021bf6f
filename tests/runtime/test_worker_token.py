"""The worker's token from the settings: refused when it cannot attest this worker's messages."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from runtime.settings import Settings
from runtime.worker_token import worker_credential
from services.errors import ConfigurationError
from tests.support.credentials import worker_token

DEPLOYMENT = str(uuid.uuid4())


def test_production_refuses_a_worker_without_its_token(tmp_path: Path) -> None:
    settings = Settings(env="production", data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="LFR_WORKER_TOKEN must be set in production"):
        worker_credential(settings, DEPLOYMENT, "camera-1")


def test_a_token_for_another_deployment_or_camera_is_refused_at_start(tmp_path: Path) -> None:
    token = worker_token(b"k" * 32, uuid.uuid4(), ("camera-1",))
    with pytest.raises(ConfigurationError, match="bound to deployment"):
        worker_credential(Settings(data_dir=tmp_path, worker_token=token), DEPLOYMENT, "camera-1")
    token = worker_token(b"k" * 32, DEPLOYMENT, ("camera-2",))
    with pytest.raises(ConfigurationError, match="does not cover camera 'camera-1'"):
        worker_credential(Settings(data_dir=tmp_path, worker_token=token), DEPLOYMENT, "camera-1")


def test_a_value_that_is_not_a_token_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, worker_token="not-a-token")
    with pytest.raises(ConfigurationError, match="LFR_WORKER_TOKEN is not a token"):
        worker_credential(settings, DEPLOYMENT, "camera-1")


def test_development_issues_the_worker_a_token_for_its_deployment_and_camera(
    tmp_path: Path,
) -> None:
    from recognition.credential import CredentialVerifier

    settings = Settings(data_dir=tmp_path)
    credential = worker_credential(settings, DEPLOYMENT, "camera-1")
    binding, _ = CredentialVerifier(settings.secret("token_secret")).verify(
        credential.attest({"schema": "lfr.faces-seen"})
    )
    assert (binding.deployment_id, binding.cameras) == (DEPLOYMENT, ("camera-1",))
