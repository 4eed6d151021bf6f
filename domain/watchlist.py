"""Watchlist entries: one aggregate each, so each data subject's data can be erased alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.authorisation import DeploymentApplication
from domain.rules import require, require_role, require_text
from domain.sealing import TextSealer
from domain.values import Audit, Role, SensitiveFlag, WatchlistCategory


@dataclass(frozen=True)
class EntryDetails:
    """What must be recorded of every watchlist image (DOMAIN.md §b.3-5, APP watchlist)."""

    reference: str
    category: WatchlistCategory
    source: str
    legal_basis: str
    image_date: date
    sensitive_flags: tuple[SensitiveFlag, ...] = ()
    ao_rationale: str = ""


def check_entry(details: EntryDetails, authority: DeploymentApplication, today: date) -> None:
    """The rules an entry must meet to join the watchlist of this authority."""
    require_text(details.reference, "the entry's reference")
    require(
        details.category.value in authority.proposal["watchlist_categories"],
        f"category {details.category.value!r} is not authorised for this deployment",
    )
    require_text(details.source, "the image's source")
    require_text(details.legal_basis, "the legal basis for holding the image")
    require(details.image_date <= today, "the image date cannot be in the future")
    for flag in details.sensitive_flags:
        require(
            authority.approves_sensitive(flag),
            f"the authority gives no AO rationale for {flag.value} entries",
        )
    require(
        not details.ao_rationale.strip(),
        "only the Authorising Officer records the AO's rationale for a sensitive entry",
    )


class WatchlistEntry(Aggregate):
    """A sought person on one deployment's watchlist. Image, template, reference (a name), the
    image's source and legal basis, and the AO's rationale about them are sealed: encrypted
    under this entry's own data key, so erasure is the destruction of that key. The id is
    random (the caller's, or a new uuid4): it never derives from the reference, so knowing a
    name does not find its entry."""

    @event("WatchlistEntryAdded")
    def __init__(
        self,
        audit: Audit,
        deployment_id: UUID,
        authority_id: UUID,
        sealed_reference: bytes,
        category: str,
        sealed_source: bytes,
        sealed_legal_basis: bytes,
        image_date: str,
        sensitive_flags: list[str],
        model_id: str,
        sealed_image: bytes,
        sealed_template: bytes,
    ) -> None:
        self.deployment_id = deployment_id
        self.authority_id = authority_id
        self.sealed_reference = sealed_reference
        self.category = category
        # Where this person's image came from and why it may be held describe the person
        # (a custody record, a warrant): sealed with the reference.
        self.sealed_source = sealed_source
        self.sealed_legal_basis = sealed_legal_basis
        self.image_date = image_date
        self.sensitive_flags = sensitive_flags
        self.model_id = model_id
        self.sealed_image = sealed_image
        self.sealed_template = sealed_template
        self.erased = False
        self.erasure: dict[str, str] = {}
        self.ao_rationale_recorded = False  # the AO records it afterwards, sealed
        self.sealed_ao_rationale = b""

    @classmethod
    def add(
        cls,
        audit: Audit,
        authority: DeploymentApplication,
        deployment_id: UUID,
        entry_id: UUID,
        details: EntryDetails,
        model_id: str,
        sealed: tuple[bytes, bytes, TextSealer],
    ) -> WatchlistEntry:
        """`sealed`: the image and template sealed under `entry_id`'s key, and the sealer of
        text under that key (for the reference)."""
        sealed_image, sealed_template, seal = sealed
        require_role(audit, Role.APPLICANT, Role.GOLD, doing="compile watchlist entries")
        require(
            authority.in_force(audit.at),
            "entries join a watchlist only under an authority in force",
        )
        check_entry(details, authority, audit.at.date())
        # `_create` takes the caller's id (`cls(...)` would derive one): a random id, or one
        # from non-identifying data, never from the reference.
        return cls._create(
            cls.WatchlistEntryAdded,  # type: ignore[attr-defined]
            id=entry_id,
            audit=audit.tied_to(deployment_id, authority.id),
            deployment_id=deployment_id,
            authority_id=authority.id,
            sealed_reference=seal(details.reference),
            category=details.category.value,
            sealed_source=seal(details.source),
            sealed_legal_basis=seal(details.legal_basis),
            image_date=details.image_date.isoformat(),
            sensitive_flags=[f.value for f in details.sensitive_flags],
            model_id=model_id,
            sealed_image=sealed_image,
            sealed_template=sealed_template,
        )

    def record_ao_rationale(
        self, audit: Audit, authority: DeploymentApplication, sealed_rationale: bytes
    ) -> None:
        """The AO who granted the authority records why this sensitive entry is included
        (DOMAIN.md §b.5); the text is about the person, so it is sealed under the entry's key."""
        require_role(audit, Role.AUTHORISING_OFFICER, doing="record the AO's rationale")
        require(
            audit.actor_id == authority.ao_id,
            f"only the Authorising Officer of this authority ({authority.ao_id}) records the "
            "rationale for its sensitive entries",
        )
        require(bool(self.sensitive_flags), "only a sensitive entry needs the AO's rationale")
        require(not self.erased, "the watchlist entry is erased")
        require(bool(sealed_rationale), "the AO's rationale must be given")
        self._ao_rationale_recorded(audit=audit, sealed_rationale=sealed_rationale)

    @event("AoRationaleRecorded")
    def _ao_rationale_recorded(self, audit: Audit, sealed_rationale: bytes) -> None:
        self.sealed_ao_rationale = sealed_rationale
        self.ao_rationale_recorded = True

    @property
    def awaits_ao_rationale(self) -> bool:
        return bool(self.sensitive_flags) and not self.ao_rationale_recorded

    def erase(self, audit: Audit, rule: str) -> None:
        require_role(audit, Role.SYSTEM, Role.DPO, doing="erase a watchlist entry")
        require(not self.erased, "the watchlist entry is already erased")
        require_text(rule, "the retention rule applied")
        self._erased(audit=audit, rule=rule)

    @event("WatchlistEntryErased")
    def _erased(self, audit: Audit, rule: str) -> None:
        self.erased = True
        self.erasure = {"rule": rule, "by": audit.actor_id, "at": audit.at.isoformat()}
