"""Open the ledger from the settings: for an application's recorder, or for the whole store.

The settings object is duck-typed (runtime.settings.Settings): `store`, `secret(name)`,
`ledger_origin`, `ledger_trusted_keys`, `ledger_published_dir`, `data_dir`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from adapters.persistence.pgstore import PostgresLedgerStore
from adapters.persistence.sqlitestore import SQLiteLedgerStore
from ledger.legacy import legacy_published, migrate_store
from ledger.note import KeyType, NoteError, PublicKey, SigningKey, valid_name
from ledger.service import Ledger, LedgerError
from ledger.witness_http import WitnessEndpoint
from services.errors import ConfigurationError


def open_ledger(settings: Any, recorder: Any = None, *, read_only: bool = False) -> Ledger:
    """The ledger of `recorder` (an application's `app.recorder`), or of the store the
    settings name when `recorder` is None.

    The signing key comes from the settings (refused in production when missing); with
    `read_only` a missing key is allowed and the log's key is then taken from
    LFR_LEDGER_TRUSTED_KEYS (the vkey named like the origin). Checkpoints of an earlier
    format are signed again as signed notes when the key is at hand.
    """
    key, trusted, log_key = ledger_keys(settings, read_only=read_only)
    published = settings.ledger_published_dir or Path(settings.data_dir) / "ledger" / "published"
    store = _store_of(recorder) if recorder is not None else store_from_settings(settings)
    origin = ledger_origin(settings, key, log_key)
    ledger = Ledger(
        store, origin, key, trusted, published, log_key=log_key,
        witnesses=witness_endpoints(settings), quorum=settings.ledger_witness_quorum,
    )  # fmt: skip
    if ledger.key is not None:
        _migrate(ledger, published)
    return ledger


def _migrate(ledger: Ledger, published: Path) -> None:

    assert ledger.key is not None
    migrate_store(ledger.store, ledger.origin, ledger.key)
    if published.is_dir():
        for checkpoint in legacy_published(published, ledger.origin, ledger.key):
            ledger.publisher.publish(checkpoint)


def ledger_origin(settings: Any, key: SigningKey | None, log_key: PublicKey | None) -> str:
    """The log's origin: the configured one, else (development) one derived from this
    installation's log key, so no two installations share a name."""

    origin = str(settings.ledger_origin or "").strip()
    if origin:
        if not valid_name(origin) or "://" in origin:
            raise ConfigurationError(
                f"LFR_LEDGER_ORIGIN {origin!r}: a schema-less URL without spaces or '+' "
                "(e.g. ledger.example.org/lfr)"
            )
        return origin
    if settings.is_production:
        raise ConfigurationError("LFR_LEDGER_ORIGIN must be set in production")
    raw = key.public.raw if key is not None else log_key.raw if log_key is not None else b""
    return f"lfr.localhost/ledger/{hashlib.sha256(raw).hexdigest()[:12]}"


def witness_endpoints(settings: Any) -> list[WitnessEndpoint]:
    """The witnesses in the settings (`<vkey> <URL>`, comma-separated)."""

    try:
        return [WitnessEndpoint.parse(t) for t in settings.ledger_witnesses.split(",") if t.strip()]
    except NoteError as error:
        raise ConfigurationError(f"LFR_LEDGER_WITNESSES: {error}") from None


def ledger_keys(
    settings: Any, *, read_only: bool
) -> tuple[SigningKey | None, list[PublicKey], PublicKey | None]:
    """The signing key (None if read-only and missing), the trusted verifier keys, and the
    log's key: the signing key's, else the single trusted Ed25519 key named like the origin
    (or the only Ed25519 one when no origin is set)."""

    try:
        trusted = [PublicKey.parse(k) for k in settings.ledger_trusted_keys.split(",") if k.strip()]
    except NoteError as error:
        raise ConfigurationError(f"LFR_LEDGER_TRUSTED_KEYS: {error}") from None
    try:
        seed = settings.secret("ledger_signing_key")
        name = ledger_origin(settings, SigningKey("x", seed), None)
        key: SigningKey | None = SigningKey(name, seed)
    except ConfigurationError:
        if not read_only:
            raise
        key = None
    logs = [k for k in trusted if k.key_type is KeyType.ED25519]
    named = [k for k in logs if k.name == settings.ledger_origin] or logs[:1]
    log_key = key.public if key else (named[0] if named else None)
    return key, trusted, log_key


def _store_of(recorder: Any) -> Any:
    store = getattr(recorder, "ledger_store", None)
    if store is None:
        raise LedgerError(
            f"{type(recorder).__name__} keeps no ledger: PERSISTENCE_MODULE must name one of "
            "adapters.persistence.postgres, adapters.persistence.sqlite, adapters.persistence.popo"
        )
    return store


def store_from_settings(settings: Any) -> Any:
    """The ledger store of the database the settings name (tables created if missing)."""

    location = settings.store
    if location.kind == "memory":
        raise LedgerError("an in-memory store lives only inside its process: nothing to open")
    env = {**location.eventsourcing_env(), "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "2"}
    try:
        factory: Any = InfrastructureFactory.construct(Environment(env=env))
        store: Any
        if location.kind == "sqlite":
            store = SQLiteLedgerStore(factory.datastore)
        else:
            store = PostgresLedgerStore(factory.datastore)
        store.create_tables()
    except Exception as error:  # a damaged or unreachable database: one line, no traceback
        lines = str(error).strip().splitlines() or [type(error).__name__]
        raise LedgerError(f"the ledger's database cannot be opened: {lines[0]}") from None
    store.close = factory.close
    return store
