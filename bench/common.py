"""Shared by the benchmarks: a throwaway PostgreSQL schema, medians, the machine's description."""

from __future__ import annotations

import os
import platform
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

POSTGRES_URL = os.environ.get("LFR_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL to a fresh schema, dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def synthetic_match(
    deployment_id: str,
    entry_id: str,
    track_id: str,
    observed_at: str,
    crop_bytes: int,
    watchlist_version: str,
) -> Any:
    """A worker's match event for benchmarks: a JPEG crop of about the given size."""
    from recognition.events import MatchEvent
    from tests.scenario import padded_jpeg

    return MatchEvent.create(
        probe_jpeg=padded_jpeg(crop_bytes),
        deployment_id=deployment_id,
        camera_id="camera-1",
        observed_at=observed_at,
        entry_id=entry_id,
        score=0.8,
        threshold=0.64,
        model_id="dlib-r1",
        model_version="1",
        watchlist_version=watchlist_version,
        track_id=track_id,
    )
