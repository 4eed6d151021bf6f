"""The probe-sealing keys come from the settings: the ingest's private key, workers' public key."""

from __future__ import annotations

from pathlib import Path

import pytest

from recognition.sealing import ProbeKeyPair, public_key_base64
from runtime.errors import ConfigurationError
from runtime.probe_keys import ingest_keys, worker_sealer
from runtime.settings import Settings


def test_in_development_the_key_is_made_once_and_the_worker_seals_to_its_public_half(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    keys = ingest_keys(settings)
    assert ingest_keys(Settings(data_dir=tmp_path)).sealer.key_id == keys.sealer.key_id
    assert worker_sealer(settings).key_id == keys.sealer.key_id
    assert (tmp_path / "dev-secrets" / "probe_private_key").stat().st_mode & 0o077 == 0


def test_production_refuses_a_missing_key_on_either_side(tmp_path: Path) -> None:
    production = Settings(env="production", data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="LFR_PROBE_PRIVATE_KEY must be set"):
        ingest_keys(production)
    with pytest.raises(ConfigurationError, match="LFR_PROBE_PUBLIC_KEY must be set"):
        worker_sealer(production)
    assert not (tmp_path / "dev-secrets").exists()


def test_a_worker_given_the_public_key_seals_what_only_the_private_key_opens(
    tmp_path: Path,
) -> None:
    keys = ProbeKeyPair.generate()
    worker = worker_sealer(
        Settings(env="production", data_dir=tmp_path, probe_public_key=public_key_base64(keys))
    )
    assert keys.open(worker.seal(b"\xff\xd8crop", b"ctx"), b"ctx") == b"\xff\xd8crop"


def test_a_malformed_key_is_a_one_line_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="LFR_PROBE_PUBLIC_KEY"):
        worker_sealer(Settings(data_dir=tmp_path, probe_public_key="not a key"))
    with pytest.raises(ConfigurationError, match="LFR_PROBE_PRIVATE_KEY"):
        ingest_keys(Settings(data_dir=tmp_path, probe_private_key="c2hvcnQ="))
