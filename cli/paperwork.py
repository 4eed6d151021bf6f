"""The paperwork of a sample deployment: the application's sections, the Authorising
Officer's decisions, the document versions, the place, the proposal and the watchlist
entries' details. `lfr demo` files it; the tests' scenario files the same."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.values import (
    ApplicationSection,
    DecisionArea,
    Location,
    Proposal,
    UseCase,
    WatchlistCategory,
    WrittenAuthority,
    approve,
)
from domain.watchlist import EntryDetails

SECTIONS = {
    s.value: f"{s.name.replace('_', ' ').title()}: set out for the AO." for s in ApplicationSection
}
DECISIONS = {
    a.value: approve(f"{a.name.replace('_', ' ').title()}: approved with reasons.")
    for a in DecisionArea
}
VERSIONS = {"policy": "2024.1", "sop": "2024.1", "legal_mandate": "2024.1", "dpia": "5.2"}
LOCATION = Location("Oxford Circus", "Westminster", 51.5152, -0.1418)


def authority(gold_id: str) -> WrittenAuthority:
    """The Written Authority: every decision approved, with reasons; `gold_id` in command."""
    return WrittenAuthority(DECISIONS, VERSIONS, gold_id)


def proposal(start: datetime, hours: float = 8, **changes: object) -> Proposal:
    """A crime-hotspot deployment at Oxford Circus from `start` for `hours`; `changes`
    replace any of its fields."""
    values: dict[str, object] = dict(
        location=LOCATION,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        use_case=UseCase.CRIME_HOTSPOT,
        watchlist_categories=(WatchlistCategory.WANTED_BY_COURTS, WatchlistCategory.SUSPECT),
        watchlist_max_size=10,
        threshold=0.64,
    )
    values.update(changes)
    return Proposal(**values)  # type: ignore[arg-type]


def entry(reference: str, **changes: object) -> EntryDetails:
    """A watchlist entry wanted by the courts, from a custody image; `changes` replace any
    of its fields."""
    values: dict[str, object] = dict(
        reference=reference,
        category=WatchlistCategory.WANTED_BY_COURTS,
        source="PNC custody image",
        legal_basis="PACE Code D 3.30",
        image_date=date(2025, 3, 1),
    )
    values.update(changes)
    return EntryDetails(**values)  # type: ignore[arg-type]
