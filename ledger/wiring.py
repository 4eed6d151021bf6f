"""Open the ledger from the settings: for an application's recorder, or for the whole store.

The settings object is duck-typed (runtime.settings.Settings): `store`, `secret(name)`,
`ledger_origin`, `ledger_trusted_keys`, `ledger_published_dir`, `data_dir`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from ledger.checkpoint import PublicKey, SigningKey
from ledger.service import Ledger, LedgerError


def open_ledger(settings: Any, recorder: Any = None, *, read_only: bool = False) -> Ledger:
    """The ledger of `recorder` (an application's `app.recorder`), or of the store the
    settings name when `recorder` is None.

    The signing key comes from the settings (refused in production when missing); with
    `read_only` a missing key is allowed and the log's key is then taken from
    LFR_LEDGER_TRUSTED_KEYS (the entry named like the origin).
    """
    key, trusted, log_key = ledger_keys(settings, read_only=read_only)
    published = settings.ledger_published_dir or Path(settings.data_dir) / "ledger" / "published"
    store = _store_of(recorder) if recorder is not None else store_from_settings(settings)
    return Ledger(store, settings.ledger_origin, key, trusted, published, log_key=log_key)


def ledger_keys(
    settings: Any, *, read_only: bool
) -> tuple[SigningKey | None, list[PublicKey], PublicKey | None]:
    """The signing key (None if read-only and missing), the trusted public keys, and the
    log's public key: the signing key's, else the trusted key named like the origin."""
    from runtime.errors import ConfigurationError

    trusted = [PublicKey.parse(k) for k in settings.ledger_trusted_keys.split(",") if k.strip()]
    try:
        key: SigningKey | None = SigningKey(
            settings.ledger_origin, settings.secret("ledger_signing_key")
        )
    except ConfigurationError:
        if not read_only:
            raise
        key = None
    log_key = (
        key.public if key else next((k for k in trusted if k.name == settings.ledger_origin), None)
    )
    return key, trusted, log_key


def _store_of(recorder: Any) -> Any:
    store = getattr(recorder, "ledger_store", None)
    if store is None:
        raise LedgerError(
            f"{type(recorder).__name__} keeps no ledger: PERSISTENCE_MODULE must name one of "
            "ledger.persistence.postgres, ledger.persistence.sqlite, ledger.persistence.popo"
        )
    return store


def store_from_settings(settings: Any) -> Any:
    """The ledger store of the database the settings name (tables created if missing)."""
    from ledger.pgstore import PostgresLedgerStore
    from ledger.sqlitestore import SQLiteLedgerStore

    location = settings.store
    if location.kind == "memory":
        raise LedgerError("an in-memory store lives only inside its process: nothing to open")
    env = {**location.eventsourcing_env(), "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "2"}
    factory: Any = InfrastructureFactory.construct(Environment(env=env))
    store: Any
    if location.kind == "sqlite":
        store = SQLiteLedgerStore(factory.datastore)
    else:
        store = PostgresLedgerStore(factory.datastore)
    store.create_tables()
    store.close = factory.close
    return store
