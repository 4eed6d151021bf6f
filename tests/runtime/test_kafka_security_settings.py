"""Kafka's TLS and SASL settings: passed to every client, refused when incomplete."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.settings import Settings
from services.errors import ConfigurationError


def test_plaintext_is_the_default_on_a_private_network(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).kafka_security() == {"security_protocol": "PLAINTEXT"}


def test_sasl_over_tls_passes_credentials_and_the_brokers_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = Settings(
        data_dir=tmp_path,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="lfr-ingest",
        kafka_sasl_password="s3cret",
        kafka_ssl_cafile=ca,
    )
    assert settings.kafka_security() == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "lfr-ingest",
        "sasl_plain_password": "s3cret",
        "ssl_cafile": str(ca),
    }


def test_sasl_without_a_mechanism_or_user_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kafka_security_protocol="SASL_SSL")
    with pytest.raises(ConfigurationError, match="needs LFR_KAFKA_SASL_MECHANISM"):
        settings.kafka_security()


def test_sasl_password_in_clear_is_refused_in_production(tmp_path: Path) -> None:
    settings = Settings(
        env="production",
        data_dir=tmp_path,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="lfr",
    )
    with pytest.raises(ConfigurationError, match="use SASL_SSL in production"):
        settings.kafka_security()


def test_a_missing_certificate_file_is_named(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "no.pem"
    )
    with pytest.raises(ConfigurationError, match="LFR_KAFKA_SSL_CAFILE: no file at"):
        settings.kafka_security()
