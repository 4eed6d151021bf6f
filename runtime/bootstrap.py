"""Builds the running system from the settings: the one place where the parts are wired."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.vault import MemoryKeyStore, SqlKeyStore, Vault
from domain.authority_rules import DOCUMENT_VERSIONS
from runtime.errors import ConfigurationError
from runtime.settings import Settings
from services.lfr import LfrService, Policy


@dataclass
class Services:
    settings: Settings
    lfr: LfrService
    vault: Vault


def policy_from(settings: Settings) -> Policy:
    return Policy(
        threshold_floor=settings.threshold_floor,
        urgent_confirmation=timedelta(hours=settings.urgent_confirmation_hours),
        equality_review_interval=timedelta(days=settings.equality_review_days),
        document_versions=document_versions(settings.policy_document_versions),
    )


def document_versions(text: str) -> dict[str, frozenset[str]]:
    """`policy=2024.1,2025.1;sop=2024.1` as a catalogue; empty text keeps the built-in one."""
    if not text.strip():
        return dict(DOCUMENT_VERSIONS)
    catalogue: dict[str, frozenset[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, _, versions = part.partition("=")
        found = frozenset(v.strip() for v in versions.split(",") if v.strip())
        if not name.strip() or not found:
            raise ConfigurationError(
                f"LFR_POLICY_DOCUMENT_VERSIONS: {part!r} is not name=version[,version]"
            )
        catalogue[name.strip()] = found
    return catalogue


def open_services(settings: Settings, clock: Callable[[], datetime] | None = None) -> Services:
    """The domain application on the configured store, with its vault."""
    location = settings.store
    env = {
        **location.eventsourcing_env(),  # makes the SQLite folder too
        "CREATE_TABLE": "y",
        # Deployments are read by every alert: cached, and fast-forwarded from the store on each
        # read (so never stale), they are not replayed from their first event each time.
        "AGGREGATE_CACHE_MAXSIZE": "1000",
    }
    keys = MemoryKeyStore() if location.kind == "memory" else SqlKeyStore(location)
    vault = Vault(keys, settings.secret("key_encryption_key"))
    lfr = LfrService(env, sealer=vault, policy=policy_from(settings), clock=clock)
    return Services(settings=settings, lfr=lfr, vault=vault)
