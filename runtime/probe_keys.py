"""The probe-sealing keys from the settings: the ingest's private key, the workers' public key.

`LFR_PROBE_PRIVATE_KEY` (an X25519 seed, base64) is held by the ingest only; workers get
`LFR_PROBE_PUBLIC_KEY`. In development a missing private key is made once under the data
directory like the other keys, and a worker without a public key seals to its public half;
production refuses either missing. To rotate, give the ingest the new key and the old one in
`LFR_PROBE_RETIRED_KEYS` (comma-separated) until the topics' retention has passed, then give
workers the new public key.
"""

from __future__ import annotations

import base64

from recognition.sealing import ProbeKeyPair, ProbeSealer
from runtime.settings import Settings
from services.errors import ConfigurationError


def ingest_keys(settings: Settings) -> ProbeKeyPair:
    """The key pair that opens the workers' sealed probe crops."""
    try:
        seed = settings.secret("probe_private_key")
    except ValueError as error:  # binascii.Error included: not base64
        raise ConfigurationError(f"LFR_PROBE_PRIVATE_KEY: {error}") from None
    try:
        retired = tuple(
            base64.b64decode(k.strip(), validate=True)
            for k in settings.probe_retired_keys.split(",")
            if k.strip()
        )
        return ProbeKeyPair.from_seed(seed, retired)
    except ValueError as error:
        raise ConfigurationError(
            f"LFR_PROBE_PRIVATE_KEY or LFR_PROBE_RETIRED_KEYS: {error}"
        ) from None


def worker_sealer(settings: Settings) -> ProbeSealer:
    """The public key a worker seals each probe crop to."""
    if settings.probe_public_key:
        try:
            return ProbeSealer.from_base64(settings.probe_public_key)
        except ValueError as error:
            raise ConfigurationError(f"LFR_PROBE_PUBLIC_KEY: {error}") from None
    if settings.is_production:
        raise ConfigurationError("LFR_PROBE_PUBLIC_KEY must be set in production")
    return ingest_keys(settings).sealer
