"""The probe-sealing keys come from the settings: the ingest's private key, workers' public key."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from recognition.events import MatchEvent
from recognition.sealing import ProbeKeyPair, SealError, public_key_base64
from runtime.probe_keys import ingest_keys, worker_sealer
from runtime.settings import Settings
from services.errors import ConfigurationError
from tests.support.credentials import unchecked_credential


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


def test_after_a_rotation_the_ingest_still_opens_crops_sealed_to_its_retired_key(
    tmp_path: Path,
) -> None:
    old, new = ProbeKeyPair.generate(), ProbeKeyPair.generate()
    event = MatchEvent.create(
        probe_jpeg=b"\xff\xd8\xffcrop", deployment_id="d", camera_id="c", observed_at="t",
        entry_id="e", score=0.7, threshold=0.6, model_id="m", model_version="v",
        watchlist_version="w", track_id="t1",
    )  # fmt: skip
    sealed_before = event.to_json(old.sealer, unchecked_credential())
    rotated = Settings(
        data_dir=tmp_path,
        probe_private_key=seed_of(new),
        probe_retired_keys=f" {seed_of(old)} ,",
    )
    keys = ingest_keys(rotated)
    assert keys.sealer.key_id == new.sealer.key_id  # workers now seal to the new key
    assert MatchEvent.from_json(sealed_before, keys).probe_bytes() == b"\xff\xd8\xffcrop"
    with pytest.raises(SealError, match="sealed for key"):
        MatchEvent.from_json(sealed_before, new)


def seed_of(keys: ProbeKeyPair) -> str:
    raw = keys.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()
