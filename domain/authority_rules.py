"""What a Written Authority must hold before it can be granted (the seed, stage 3).

Pure checks over the application's proposal and the AO's record; each failure is a
`RuleViolation` that names the rule, so the AO sees why the grant was refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.rules import missing, require, require_text
from domain.values import (
    REQUIRED_DOCUMENTS,
    DecisionArea,
    DecisionOutcome,
    WrittenAuthority,
)

# The versions of the MPS LFR documents in force; settings may replace them as they are
# reviewed (DOMAIN.md §b.12: reviewed annually). APD v2.0 is the published one (APD-v2).
DOCUMENT_VERSIONS: Mapping[str, frozenset[str]] = {
    "policy": frozenset({"2024.1"}),
    "sop": frozenset({"2024.1"}),
    "legal_mandate": frozenset({"2024.1"}),
    "dpia": frozenset({"5.2"}),
    "apd": frozenset({"2.0"}),
    "eia": frozenset({"2024.1"}),
    "cia": frozenset({"2024.1"}),
}


def check_decisions(authority: WrittenAuthority) -> None:
    """All 7 decisions recorded, each with its rationale, and none of them a refusal."""
    given = [area for area, d in authority.decisions.items() if d.rationale.strip()]
    absent = missing([a.value for a in DecisionArea], given)
    require(
        not absent, f"the authority must record all 7 decisions with rationale; missing: {absent}"
    )
    unknown = sorted(set(authority.decisions) - {a.value for a in DecisionArea})
    require(not unknown, f"{unknown} are not decisions of the Written Authority")
    refused = [
        area for area, d in authority.decisions.items() if d.outcome is DecisionOutcome.REFUSE
    ]
    require(
        not refused,
        f"the AO refused {sorted(refused)}: an authority with a refused decision is not "
        "granted; reject the application or ask for amendments",
    )


def check_documents(versions: Mapping[str, str], known: Mapping[str, frozenset[str]]) -> None:
    """Every required document pinned, and only documents and versions that exist."""
    absent = missing([d.value for d in REQUIRED_DOCUMENTS], versions)
    require(
        not absent,
        "the authority must record the versions of the MPS LFR documents it was granted "
        f"under; missing: {absent}",
    )
    unknown = sorted(d for d in versions if d not in known)
    require(not unknown, f"unknown MPS LFR documents: {unknown}")
    wrong = {d: v for d, v in versions.items() if v not in known[d]}
    require(
        not wrong,
        "no such version of "
        + ", ".join(f"{d} {v!r} (known: {sorted(known[d])})" for d, v in sorted(wrong.items())),
    )


def check_proposal_authorisable(
    proposal: Mapping[str, Any], authority: WrittenAuthority, now: datetime, floor: float
) -> None:
    """The window not wholly past, the threshold at or above the floor, and a rationale for
    every sensitive inclusion and for a location of elevated privacy."""
    ends_at = datetime.fromisoformat(proposal["ends_at"])
    require(
        ends_at > now,
        f"the window ended at {ends_at.isoformat()}: a window wholly in the past is never "
        "authorised",
    )
    require(
        proposal["threshold"] >= floor,
        f"the threshold {proposal['threshold']} is below the authorised floor {floor}",
    )
    unexplained = [
        f
        for f in proposal["sensitive_inclusions"]
        if not authority.sensitive_rationale.get(f, "").strip()
    ]
    require(
        not unexplained,
        f"sensitive watchlist inclusions need the AO's rationale; none for: {unexplained}",
    )
    if proposal.get("elevated_privacy"):
        require_text(
            authority.elevated_privacy_rationale,
            "the AO's rationale for deploying at a location of elevated privacy",
        )
    require_text(authority.gold_id, "the LFR Gold")
