"""All settings, from the environment (prefix LFR_) or a `.env` file: one object."""

from __future__ import annotations

import base64
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlparse

from platformdirs import user_data_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.errors import ConfigurationError

Environment = Literal["development", "production"]


class Settings(BaseSettings):
    """Settings of every process. Keys and secrets have no defaults outside development."""

    model_config = SettingsConfigDict(env_prefix="LFR_", env_file=".env", extra="ignore")

    env: Environment = "development"
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("lfr", appauthor=False)))
    database_url: str = ""
    kafka_bootstrap: str = ""
    face_engine: Literal["dlib", "insightface", "opencv"] = "dlib"
    model_dir: Path | None = None
    # Recognition. The dlib engine's detector: "auto" is YuNet when its ONNX file is under
    # model_dir/yunet/, else dlib HOG with a warning; "yunet" requires the file. Frames wider
    # than detect_width are shrunk for detection (0: full resolution, which small faces need).
    detector: Literal["auto", "yunet", "hog"] = "auto"
    detect_width: int = 0
    quality_min_face_px: int = 40
    quality_min_sharpness: float = 20.0
    quality_max_yaw: float = 0.35

    # Secrets (base64). In development a missing one is generated once under data_dir.
    ledger_signing_key: str = ""
    token_secret: str = ""
    key_encryption_key: str = ""
    # Probe crops are sealed by workers to the ingest's X25519 key: the ingest holds the
    # private key, workers only the public one (runtime/probe_keys.py).
    probe_private_key: str = ""
    probe_public_key: str = ""
    # A worker's token (`lfr token issue --role worker ...`): every message it sends carries
    # proof of it, and the ingest accepts only messages a valid worker token covers.
    worker_token: str = ""
    # Replaced ingest keys (comma-separated), still opened while sealed crops may remain.
    probe_retired_keys: str = ""

    # Kafka topics, created by the ingest (never auto-created): partitions and how long the
    # broker keeps a message (sealed crops included) before deleting it.
    kafka_partitions: int = Field(default=3, ge=1, le=1000)
    kafka_replication: int = Field(default=1, ge=1, le=10)
    kafka_retention_hours: float = Field(default=24.0, gt=0, le=24 * 31)
    # What the ingest does when the broker's log is not the one its offsets came from
    # (a reset broker or recreated topic): "earliest" re-reads the new log from its start,
    # "latest" starts at its end, "stop" refuses to go on. Each is recorded.
    kafka_reset_policy: Literal["earliest", "latest", "stop"] = "earliest"
    # Kafka transport security, as kafka-python names it: TLS with the broker's CA (and a
    # client certificate for mutual TLS), SASL credentials over TLS for a shared broker.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = ""
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None

    # The audit ledger. Its origin: the log's name in its checkpoints, a schema-less URL chosen
    # at set-up (e.g. `ledger.lfr.met.police.uk/prod`; required in production, in development
    # derived from this installation's key). Verifier keys (vkeys, comma-separated) accepted
    # besides the log's own (the log's, for an auditor without the signing key). Where
    # checkpoints are published (default: data_dir/ledger/published). The witnesses that
    # co-sign each checkpoint (`<vkey> <URL>`, comma-separated) and how many of them
    # verification requires. A checkpoint is signed when the log has grown, checked every
    # `ledger_checkpoint_interval_s` by the API and the ingest.
    ledger_origin: str = ""
    ledger_trusted_keys: str = ""
    ledger_published_dir: Path | None = None
    ledger_witnesses: str = ""
    ledger_witness_quorum: int = Field(default=0, ge=0)
    ledger_checkpoint_interval_s: float = Field(default=60.0, gt=0)

    # Rules with the MPS defaults (DOMAIN.md §b.9, §c).
    threshold_floor: float = 0.6
    alert_retention_days: int = 31
    watchlist_retention_hours: int = 24
    # Items are erased this long before their legal deadline, so a late sweep still meets it;
    # the sweeper runs every `retention_sweep_interval_s` in the services.
    retention_margin_minutes: int = 60
    retention_sweep_interval_s: float = 300.0
    urgent_confirmation_hours: int = 48
    # The equality review covers periods this long; one is overdue a period after the last.
    equality_review_days: int = 91
    # The MPS LFR documents and versions an authority may be granted under, as
    # "policy=2024.1,2025.1;sop=2024.1;...": empty keeps the built-in list (domain/authority_rules).
    policy_document_versions: str = ""
    # How often the services end deployments whose window closed or urgent authority lapsed.
    deployment_clock_s: float = 5.0

    # Sign-in to the pages. OpenID Connect (authorization code with PKCE) is the production
    # path: the force's identity provider (its issuer URL), this system's client id there
    # (and secret, for a confidential client), the claims naming the user and their LFR
    # roles, and the callback URL as the provider knows it (default: from the request).
    # Empty issuer: people sign in by pasting a token from `lfr token issue`.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile"
    oidc_user_claim: str = "sub"
    oidc_roles_claim: str = "roles"
    oidc_redirect_uri: str = ""
    # How long a page session lasts once signed in through the provider.
    web_session_hours: float = Field(default=8.0, gt=0, le=24)

    # The alert queue: how long a decision waits, undoable, before it is sent (a control
    # room's slip of a key is taken back, not corrected afterwards).
    queue_undo_s: float = Field(default=5.0, ge=0.5, le=30)

    # How long to wait for the database before answering that it is not available (a 503
    # from the API, one line from the command line), and for a connection from the pool.
    database_connect_timeout_s: int = Field(default=5, ge=1, le=300)
    # How long `lfr ingest` waits (with backoff) for the database to come back before it stops
    # with one line; meanwhile the broker keeps the messages and nothing is lost.
    ingest_database_wait_s: float = Field(default=300.0, ge=0, le=86_400)

    # Bounds on input at the edge. Request bodies (a watchlist upload's own bound), and
    # each file inside an uploaded zip: its size once inflated, and how far it may inflate
    # (a zip bomb inflates thousands of times; photographs and CSV do not).
    max_body_bytes: int = Field(default=20 * 2**20, gt=0)
    max_upload_bytes: int = Field(default=512 * 2**20, gt=0)
    max_upload_file_bytes: int = Field(default=20 * 2**20, gt=0)
    max_upload_files: int = Field(default=100_000, gt=0)
    max_upload_inflation: float = Field(default=200.0, gt=1)

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith(("sqlite://", "postgresql://", "postgres://", "memory:")):
            raise ValueError("LFR_DATABASE_URL must start with sqlite://, postgresql:// or memory:")
        return value

    @model_validator(mode="after")
    def _single_sign_on(self) -> Settings:
        """An issuer needs this system's client id there; in production, over https."""
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("LFR_OIDC_CLIENT_ID must be set with LFR_OIDC_ISSUER")
        if self.oidc_issuer and self.is_production and not self.oidc_issuer.startswith("https://"):
            raise ValueError("LFR_OIDC_ISSUER must be an https:// URL in production")
        return self

    def kafka_security(self) -> dict[str, object]:
        """The Kafka clients' security settings; refused when incomplete or, in production,
        when SASL would send its password in clear."""
        protocol = self.kafka_security_protocol
        options: dict[str, object] = {"security_protocol": protocol}
        if protocol.startswith("SASL"):
            if not (self.kafka_sasl_mechanism and self.kafka_sasl_username):
                raise ConfigurationError(
                    f"LFR_KAFKA_SECURITY_PROTOCOL={protocol} needs LFR_KAFKA_SASL_MECHANISM "
                    "and LFR_KAFKA_SASL_USERNAME (and LFR_KAFKA_SASL_PASSWORD)"
                )
            if protocol == "SASL_PLAINTEXT" and self.is_production:
                raise ConfigurationError(
                    "LFR_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT sends the password in clear: "
                    "use SASL_SSL in production"
                )
            options |= {
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": self.kafka_sasl_password,
            }
        if protocol.endswith("SSL"):
            files = {
                "ssl_cafile": self.kafka_ssl_cafile,
                "ssl_certfile": self.kafka_ssl_certfile,
                "ssl_keyfile": self.kafka_ssl_keyfile,
            }
            for name, path in files.items():
                if path is not None and not path.is_file():
                    raise ConfigurationError(f"LFR_KAFKA_{name.upper()}: no file at {path}")
            options |= {name: str(path) for name, path in files.items() if path is not None}
        return options

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @cached_property
    def store(self) -> StoreLocation:
        location = StoreLocation.parse(self.database_url or f"sqlite:///{self.data_dir / 'lfr.db'}")
        location.connect_timeout_s = self.database_connect_timeout_s
        return location

    def secret(self, name: str, size: int = 32) -> bytes:
        """A secret's bytes: refused when missing in production, made once in development."""
        configured = getattr(self, name)
        if configured:
            try:
                value = base64.b64decode(configured, validate=True)
            except ValueError:
                raise ConfigurationError(f"LFR_{name.upper()} is not base64") from None
            if len(value) < size:
                raise ConfigurationError(
                    f"LFR_{name.upper()} holds {len(value)} bytes; this key needs {size}"
                )
            return value
        if self.is_production:
            raise ConfigurationError(f"LFR_{name.upper()} must be set in production")
        path = self.data_dir / "dev-secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64encode(secrets.token_bytes(size)))
            os.chmod(path, 0o600)
        try:
            return base64.b64decode(path.read_bytes(), validate=True)
        except ValueError:
            raise ConfigurationError(f"{path} does not hold a base64 key") from None


class StoreLocation:
    """Where the events live: `memory:`, `sqlite:///file.db` or `postgresql://user@host:port/db`.

    A PostgreSQL URL may name a schema with `?schema=NAME` (tests use one each).
    """

    def __init__(self, kind: Literal["memory", "sqlite", "postgres"], **parts: str) -> None:
        self.kind = kind
        self.parts = parts
        self.connect_timeout_s = 5

    def __str__(self) -> str:
        """Where the store is, for messages: never the password."""
        if self.kind == "memory":
            return "memory:"
        if self.kind == "sqlite":
            return f"sqlite:///{self.parts['path']}"
        p = self.parts
        return f"postgresql://{p['user']}@{p['host']}:{p['port']}/{p['dbname']}"

    @classmethod
    def parse(cls, url: str) -> StoreLocation:
        if url.startswith("memory:"):
            return cls("memory")
        if url.startswith("sqlite://"):
            path = url.removeprefix("sqlite://").removeprefix("/")
            return cls("sqlite", path="/" + path if url.startswith("sqlite:////") else path)
        parsed = urlparse(url)
        query = parse_qs(parsed.query)
        return cls(
            "postgres",
            host=parsed.hostname or "127.0.0.1",
            port=str(parsed.port or 5432),
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
            dbname=parsed.path.lstrip("/") or "postgres",
            schema=query.get("schema", [""])[0],
        )

    def eventsourcing_env(self) -> dict[str, str]:
        """The environment the eventsourcing library reads to build its recorders."""
        if self.kind == "memory":
            return {"PERSISTENCE_MODULE": "adapters.persistence.popo"}
        if self.kind == "sqlite":
            Path(self.parts["path"]).parent.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "adapters.persistence.sqlite",
                "SQLITE_DBNAME": self.parts["path"],
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        env = {
            "PERSISTENCE_MODULE": "adapters.persistence.postgres",
            "POSTGRES_DBNAME": self.parts["dbname"],
            "POSTGRES_HOST": self.parts["host"],
            "POSTGRES_PORT": self.parts["port"],
            "POSTGRES_USER": self.parts["user"],
            "POSTGRES_PASSWORD": self.parts["password"],
            "POSTGRES_LOCK_TIMEOUT": "5",
            # Fail fast when the server is down (an answer within the timeout, not a hang),
            # and check a pooled connection before use, so the pool recovers by itself
            # once the server is back.
            "POSTGRES_CONNECT_TIMEOUT": str(self.connect_timeout_s),
            "POSTGRES_PRE_PING": "y",
        }
        if self.parts["schema"]:
            env["POSTGRES_SCHEMA"] = self.parts["schema"]
        return env
