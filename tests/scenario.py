"""A deployment driven through the domain service, step by step, for tests at every level."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from uuid import UUID

from cli.paperwork import DECISIONS, LOCATION, SECTIONS, VERSIONS, authority, entry, proposal
from domain.access import BoundWorker, worker
from domain.values import Actor, PreDeploymentCheck, Role, UseCase
from services.lfr import LfrService, Match

# The sample paperwork, for the tests that file their own.
__all__ = ["DECISIONS", "LOCATION", "SECTIONS", "VERSIONS", "entry", "proposal"]

APPLICANT = Actor("insp-applicant", Role.APPLICANT)
AO = Actor("supt-ao", Role.AUTHORISING_OFFICER)
GOLD = Actor("ci-gold", Role.GOLD)
OPERATOR = Actor("pc-operator", Role.OPERATOR)
ENGAGER = Actor("pc-engager", Role.ENGAGEMENT_OFFICER)
WORKER = Actor("worker-1", Role.WORKER)
DPO = Actor("dpo-1", Role.DPO)
SYSTEM = Actor("retention-sweeper", Role.SYSTEM)

AUTHORITY = authority(GOLD.id)


@cache
def probe_jpeg() -> bytes:
    """A real JPEG probe crop, as the worker's encoder makes one (a grey 48x48 square)."""
    import cv2
    import numpy as np

    ok, encoded = cv2.imencode(".jpg", np.full((48, 48, 3), 128, np.uint8))
    assert ok
    return bytes(encoded)


def padded_jpeg(size: int) -> bytes:
    """The probe JPEG padded with comment segments of random bytes to about `size` bytes:
    a large crop that compresses no better than a real one."""
    jpeg, padding = probe_jpeg(), b""
    remaining = max(size - len(jpeg), 0)
    while remaining > 4:
        chunk = min(remaining - 4, 65_000)
        padding += b"\xff\xfe" + (chunk + 2).to_bytes(2, "big") + os.urandom(chunk)
        remaining -= chunk + 4
    return jpeg[:2] + padding + jpeg[2:]


def template_of(n: int) -> bytes:
    """A small float32 template, different for each entry (a face engine's would have 128)."""
    return struct.pack("4f", float(n + 1), 1.0, -1.0, 0.5)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Scenario:
    service: LfrService
    clock: Clock
    application_id: UUID | None = None
    deployment_id: UUID | None = None
    entry_ids: list[UUID] = field(default_factory=list)
    watchlist_version: str = ""
    review_notes: str = "Reviewed against the intelligence case"

    @property
    def deployment(self) -> UUID:
        assert self.deployment_id is not None
        return self.deployment_id

    @property
    def worker(self) -> BoundWorker:
        """The recognition worker, its token bound to this deployment's camera."""
        return worker(WORKER.id, self.deployment, ("camera-1",))

    def submitted(self, **proposal_changes: object) -> Scenario:
        s = self.service
        self.application_id = s.identify_need(
            APPLICANT, "Reduce knife crime in the West End", UseCase.CRIME_HOTSPOT.value
        )
        s.submit_intelligence_case(
            APPLICANT,
            self.application_id,
            "F3-2026-114",
            "Robbery hotspot; 14 wanted offenders linked",
        )
        start = self.clock.now + timedelta(hours=1)
        s.submit_application(
            APPLICANT, self.application_id, SECTIONS, proposal(start, **proposal_changes), AO.id
        )
        return self

    def granted(self, **proposal_changes: object) -> Scenario:
        self.submitted(**proposal_changes)
        assert self.application_id is not None
        self.deployment_id = self.service.grant_authority(AO, self.application_id, AUTHORITY)
        return self

    def prepared(self, entries: int = 2) -> Scenario:
        self.granted()
        return self.prepare(entries)

    def prepare(self, entries: int = 2) -> Scenario:
        """Command, checks and watchlist for the deployment already planned."""
        s, d = self.service, self.deployment
        s.appoint_command(
            GOLD,
            d,
            {"silver": ["insp-silver"], "operators": [OPERATOR.id], "engagement": [ENGAGER.id]},
        )
        for check in PreDeploymentCheck:
            s.record_pre_deployment(GOLD, d, check, f"{check.value} done")
        for n in range(entries):
            template = template_of(n)
            self.entry_ids.append(
                s.add_watchlist_entry(
                    APPLICANT,
                    d,
                    entry(f"WL-{n:04d}"),
                    b"\xff\xd8jpeg" + bytes([n]),
                    template,
                    "dlib-r1",
                )
            )
        self.watchlist_version = s.compile_watchlist(APPLICANT, d, self.entry_ids)
        s.review_watchlist(GOLD, d, self.review_notes)
        s.import_watchlist(OPERATOR, d, "encrypted USB 77")
        return self

    def live(self, entries: int = 2) -> Scenario:
        self.prepared(entries)
        self.clock.advance(hours=1, minutes=5)
        self.service.start_deployment(GOLD, self.deployment)
        return self

    def match(self, n: int = 0, score: float = 0.9, track: str = "t1") -> Match:
        return Match(
            match_id=f"m-{self.deployment}-{track}-{n}",
            deployment_id=self.deployment,
            entry_id=self.entry_ids[n],
            camera_id="camera-1",
            observed_at=self.clock.now,
            score=score,
            model={"id": "dlib-r1", "version": "1"},
            watchlist_version=self.watchlist_version,
            track_id=track,
            probe_jpeg=probe_jpeg(),
        )

    def alert(self, n: int = 0, track: str = "t1") -> UUID:
        return self.service.raise_alert(self.worker, self.match(n, track=track))


def start_clock() -> Clock:
    return Clock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
