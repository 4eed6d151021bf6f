"""Builds the running system from the settings: the one place where the parts are wired."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from adapters.persistence.keystore import key_store_on
from adapters.vault import KeyStore, MemoryKeyStore, Vault
from domain.authority_rules import DOCUMENT_VERSIONS
from ledger.service import Ledger
from projections.readmodels import ReadModels, ViewFactory
from recognition.credential import CredentialVerifier
from runtime.ledger_wiring import open_ledger
from runtime.probe_keys import ingest_keys
from runtime.settings import Settings
from services.errors import ConfigurationError
from services.ingest import IngestService
from services.keybatch import BatchKeys
from services.lfr import LfrService, Policy
from services.retention import RetentionRules, rules_from


@dataclass
class Services:
    """The parts one process runs on, built once from the settings and handed in."""

    settings: Settings
    lfr: LfrService
    vault: Vault
    _ledger: Ledger | None = field(default=None, repr=False)
    _read_models: ReadModels | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def retention_rules(self) -> RetentionRules:
        return rules_from(self.settings)

    def ledger(self) -> Ledger:
        """The audit ledger over this application's store, opened on first use."""
        with self._lock:
            if self._ledger is None:
                self._ledger = open_ledger(self.settings, self.lfr.recorder)
            return self._ledger

    def read_models(self) -> ReadModels:
        """The read models over this application's store, opened on first use."""
        with self._lock:
            if self._read_models is None:
                self._read_models = ReadModels(self.lfr, ViewFactory(self.settings.store))
            return self._read_models


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
    # One event store per process: its datastore (the connection pool) serves the
    # recorders and the vault's key store alike.
    factory = event_store(LfrService.name, env)
    keys: KeyStore = (
        MemoryKeyStore() if location.kind == "memory" else key_store_on(factory.datastore)  # type: ignore[attr-defined]
    )
    vault = Vault(keys, settings.secret("key_encryption_key"))
    lfr = LfrService(env, sealer=vault, policy=policy_from(settings), clock=clock, factory=factory)
    return Services(settings=settings, lfr=lfr, vault=vault)


def event_store(name: str, env: dict[str, str]) -> InfrastructureFactory:
    """The eventsourcing library's factory for `env` (over the process environment, as an
    application reads it): its `datastore` is the connection pool of the events' database."""
    return InfrastructureFactory.construct(Environment(name, {**os.environ, **env}))


def open_read_models(settings: Settings, services: Services | None = None) -> ReadModels:
    """The read models over the configured store.

    `services` is reused when given: in memory it is the only way to see the same events.
    Without it the domain application is opened here."""
    services = services or open_services(settings)
    return ReadModels(services.lfr, ViewFactory(settings.store))


def open_ingest(settings: Settings, services: Services | None = None) -> IngestService:
    """The ingest over the configured store, sharing the vault (and clock) of `services`.

    With an in-memory store the ingest shares the services' recorder, so both see the
    same events; on SQLite and PostgreSQL it opens a process recorder on the same tables."""
    services = services or open_services(settings)
    location = settings.store
    env = {
        **location.eventsourcing_env(),
        "CREATE_TABLE": "y",
        # Each batch reads its deployments: cached and fast-forwarded (a read of the events
        # since, usually none), not replayed from their first event for every batch.
        "AGGREGATE_CACHE_MAXSIZE": "1000",
    }
    shared = services.lfr.recorder if location.kind == "memory" else None
    keys = BatchKeys(services.vault.keys)
    return IngestService(
        env,
        shared_recorder=shared,
        keys=keys,
        probe_keys=ingest_keys(settings),
        credentials=CredentialVerifier(settings.secret("token_secret")),
        sealer=Vault(keys, services.vault.kek),
        policy=services.lfr.policy,
        clock=services.lfr.clock,
    )
