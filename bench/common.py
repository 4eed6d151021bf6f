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


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot, over all cores (Linux's
    /proc/stat: everything but idle and I/O wait); 0.0 where there is no /proc/stat.

    Read before and after a run, the difference is what every process together (the
    code measured, the database, the broker) spent on it, idle time excluded."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(n) for n in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    idle, iowait = fields[3], fields[4] if len(fields) > 4 else 0
    return (sum(fields[:8]) - idle - iowait) / os.sysconf("SC_CLK_TCK")


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
