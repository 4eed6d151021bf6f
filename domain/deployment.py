"""A deployment under an authority: command, pre-deployment, watchlist, live, end, report."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.authorisation import DeploymentApplication
from domain.rules import missing, require, require_role, require_text
from domain.sealing import TextSealer
from domain.values import Audit, DeploymentStatus, Ending, PreDeploymentCheck, Role

GOLD_TEAM = (Role.GOLD, Role.OPERATOR)
RUNNING = frozenset({DeploymentStatus.LIVE, DeploymentStatus.PAUSED})
# Not yet ended: each of these has a lawful way to the end (DOMAIN.md §c: the 24-hour clock).
OPEN = RUNNING | {DeploymentStatus.PLANNED}
# Started at some time: running now, or ended since (faces seen are counted for these).
STARTED = RUNNING | {DeploymentStatus.ENDED}
# Who closes a deployment for each reason its authority ends (Gold's own are `end`, `cancel`).
CLOSED_BY = {
    Ending.WINDOW_ENDED: Role.SYSTEM,
    Ending.EXPIRED_UNUSED: Role.SYSTEM,
    Ending.URGENT_AUTHORITY_LAPSED: Role.SYSTEM,
    Ending.WITHDRAWN: Role.APPLICANT,
    Ending.AUTHORITY_REVOKED: Role.AUTHORISING_OFFICER,
}


class EntryIds(list[str]):
    """The compiled watchlist's entry ids, in order, with a constant-time membership test.

    Never changed once compiled, so a copy of the deployment shares it: the repository copies
    the deployment each time an alert loads it, and that copy must not grow with the
    watchlist (a copied list of 5,000 ids cost 0.7 ms per alert). A list, so it reads and
    serialises as the list the event recorded."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        super().__init__(ids)
        self._members = frozenset(self)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._members

    def __copy__(self) -> EntryIds:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> EntryIds:
        return self

    def __reduce__(self) -> tuple[type[EntryIds], tuple[list[str]]]:
        return EntryIds, (list(self),)

    def _unchanged(self, *_: Any, **__: Any) -> Any:
        raise TypeError("a compiled watchlist is recorded by an event, never changed in place")

    append = extend = insert = remove = pop = clear = sort = reverse = _unchanged
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _unchanged


def _figures(record: dict[str, Any] | None) -> dict[str, Any]:
    """A report's recorded figures without its timeline (which grows with the report itself)."""
    return {k: v for k, v in (record or {}).items() if k != "timeline"}


class Deployment(Aggregate):
    """The deployment of an authority. Created when the authority is granted."""

    @staticmethod
    def create_id(authority_id: UUID, **_: Any) -> UUID:
        return uuid5(NAMESPACE_URL, f"lfr:deployment:{authority_id}")

    @event("DeploymentPlanned")
    def __init__(
        self,
        audit: Audit,
        authority_id: UUID,
        location: dict[str, Any],
        use_case: str,
        starts_at: datetime,
        ends_at: datetime,
        cameras: list[str],
    ) -> None:
        self.authority_id = authority_id
        self.location = location
        self.use_case = use_case
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.cameras = cameras
        self.live_cameras: list[str] = []
        self.status = DeploymentStatus.PLANNED
        self.ending = ""
        self.end_reason = ""
        # Every threshold in force, from when: the register shows the alerts raised at each.
        self.threshold_history: list[dict[str, Any]] = []
        self.command: dict[str, list[str]] = {}
        self.checks: dict[str, str] = {}
        self.watchlist: dict[str, Any] = {}
        self.watchlist_state = "none"
        self.sealed_review_notes = b""
        self.threshold = 0.0
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.report: dict[str, Any] = {}
        self.report_amendments: list[dict[str, str]] = []
        # Each version of the cancellation report as submitted or amended (`record`).
        self.report_versions: list[dict[str, Any]] = []
        self.register_entry: dict[str, Any] = {}

    @classmethod
    def plan(cls, audit: Audit, authority: DeploymentApplication) -> Deployment:
        proposal = authority.proposal
        return cls(
            audit=audit.tied_to(cls.create_id(authority.id), authority.id),
            authority_id=authority.id,
            location=proposal["location"],
            use_case=proposal["use_case"],
            starts_at=datetime.fromisoformat(proposal["starts_at"]),
            ends_at=datetime.fromisoformat(proposal["ends_at"]),
            cameras=proposal["cameras"],
        )

    # -- stage 3-4: command structure and pre-deployment --------------------------------------

    def appoint_command(
        self, audit: Audit, authority: DeploymentApplication, members: dict[str, list[str]]
    ) -> None:
        require_role(audit, Role.GOLD, doing="appoint the command structure")
        require(
            audit.actor_id == authority.gold_id,
            f"only the Gold named by the AO ({authority.gold_id}) may appoint the command",
        )
        require(
            self.status == DeploymentStatus.PLANNED, "the command is appointed before deployment"
        )
        require(
            bool(members) and all(members.values()), "the command structure must name its members"
        )
        self._command_appointed(audit=audit, members=members)

    @event("CommandStructureAppointed")
    def _command_appointed(self, audit: Audit, members: dict[str, list[str]]) -> None:
        self.command = members

    def record_pre_deployment(self, audit: Audit, check: PreDeploymentCheck, detail: str) -> None:
        require_role(audit, *GOLD_TEAM, doing="record pre-deployment activity")
        require(
            self.status == "planned", "pre-deployment activity is recorded before the deployment"
        )
        require_text(detail, f"the detail of the {check.value} check")
        self._pre_deployment_recorded(audit=audit, check=check.value, detail=detail)

    @event("PreDeploymentRecorded")
    def _pre_deployment_recorded(self, audit: Audit, check: str, detail: str) -> None:
        self.checks[check] = detail

    # -- the watchlist -----------------------------------------------------------------------

    def compile_watchlist(
        self, audit: Audit, entry_ids: list[str], version: str, authority: DeploymentApplication
    ) -> None:
        require_role(audit, Role.APPLICANT, Role.GOLD, doing="compile the watchlist")
        require(self.status == "planned", "the watchlist is compiled before the deployment starts")
        require(bool(entry_ids), "a watchlist needs at least one entry")
        require(
            len(entry_ids) <= authority.watchlist_max_size,
            f"the watchlist of {len(entry_ids)} entries exceeds the authorised size "
            f"{authority.watchlist_max_size}",
        )
        self._watchlist_compiled(audit=audit, entry_ids=entry_ids, version=version)

    @event("WatchlistCompiled")
    def _watchlist_compiled(self, audit: Audit, entry_ids: list[str], version: str) -> None:
        self.watchlist = {"entry_ids": EntryIds(entry_ids), "version": version}
        self.watchlist_state = "compiled"

    def review_watchlist(self, audit: Audit, notes: str, seal: TextSealer) -> None:
        """The review's notes speak of the people on the watchlist: sealed under the
        watchlist's key (`watchlist_subject`), erased with the watchlist."""
        require_role(audit, Role.GOLD, Role.AUTHORISING_OFFICER, doing="review the watchlist")
        require(self.watchlist_state == "compiled", "only a compiled watchlist can be reviewed")
        require_text(notes, "the review notes")
        self._watchlist_reviewed(audit=audit, sealed_notes=seal(notes))

    @event("WatchlistReviewed")
    def _watchlist_reviewed(self, audit: Audit, sealed_notes: bytes) -> None:
        self.watchlist_state = "reviewed"
        self.sealed_review_notes = sealed_notes

    def import_watchlist(
        self, audit: Audit, authority: DeploymentApplication, medium: str, model_id: str
    ) -> None:
        require_role(audit, Role.OPERATOR, doing="import the watchlist")
        require(self.watchlist_state == "reviewed", "the watchlist must be reviewed before import")
        size = len(self.watchlist["entry_ids"])
        require(
            size <= authority.watchlist_max_size,
            f"the watchlist of {size} entries exceeds the authorised size "
            f"{authority.watchlist_max_size}",
        )
        require_text(medium, "the import medium")
        self._watchlist_imported(
            audit=audit,
            size=size,
            threshold=authority.threshold,
            medium=medium,
            model_id=model_id,
            version=self.watchlist["version"],
        )

    @event("WatchlistImported")
    def _watchlist_imported(
        self, audit: Audit, size: int, threshold: float, medium: str, model_id: str, version: str
    ) -> None:
        self.watchlist_state = "imported"
        self.watchlist.update(size=size, model_id=model_id)
        self.threshold = threshold
        self.threshold_history.append({"threshold": threshold, "from": audit.at.isoformat()})

    def apply_threshold(self, audit: Audit, authority: DeploymentApplication) -> None:
        """Carries an authorised threshold change into the running deployment."""
        require(
            authority.threshold != self.threshold, "the threshold is already the authorised one"
        )
        self._threshold_applied(audit=audit, threshold=authority.threshold)

    @event("ThresholdApplied")
    def _threshold_applied(self, audit: Audit, threshold: float) -> None:
        self.threshold = threshold
        self.threshold_history.append({"threshold": threshold, "from": audit.at.isoformat()})

    def erase_watchlist(self, audit: Audit, rule: str) -> None:
        require_role(audit, Role.SYSTEM, Role.DPO, doing="erase the watchlist")
        require(
            self.status in {"ended", "reported", "published"},
            "the watchlist is erased after the deployment ends",
        )
        require(self.watchlist_state != "erased", "the watchlist is already erased")
        self._watchlist_erased(audit=audit, rule=rule)

    @event("WatchlistErased")
    def _watchlist_erased(self, audit: Audit, rule: str) -> None:
        self.watchlist_state = "erased"

    # -- stage 5: the live deployment --------------------------------------------------------

    def start(
        self, audit: Audit, authority: DeploymentApplication, cameras: list[str] | None = None
    ) -> None:
        """Starts the cameras named (all the authority lists, by default) at the authority's
        location: the place and the cameras are the authority's, never typed by the officer."""
        require_role(audit, *GOLD_TEAM, doing="start a deployment")
        require(
            self.status == DeploymentStatus.PLANNED,
            f"a deployment that is {self.status} cannot start",
        )
        self._require_authority_covers(audit.at, authority)
        cameras = list(cameras) if cameras else list(authority.proposal["cameras"])
        unauthorised = sorted(set(cameras) - set(authority.proposal["cameras"]))
        require(
            not unauthorised,
            f"cameras {unauthorised} are not listed in the authority "
            f"(authorised: {authority.proposal['cameras']})",
        )
        require(
            self.location == authority.proposal["location"],
            "the deployment's location is not the one the authority covers",
        )
        absent = missing([c.value for c in PreDeploymentCheck], self.checks)
        require(not absent, f"pre-deployment activity not recorded: {absent}")
        require(bool(self.command), "the Gold must appoint the command structure first")
        require(self.watchlist_state == "imported", "the watchlist must be imported first")
        self._started(audit=audit, cameras=sorted(set(cameras)))

    @event("DeploymentStarted")
    def _started(self, audit: Audit, cameras: list[str] | None = None) -> None:
        self.status = DeploymentStatus.LIVE
        self.started_at = audit.at
        self.live_cameras = list(cameras if cameras is not None else self.cameras)

    def pause(self, audit: Audit, reason: str) -> None:
        require_role(audit, *GOLD_TEAM, doing="pause a deployment")
        require(self.status == DeploymentStatus.LIVE, "only a live deployment can be paused")
        require_text(reason, "the reason for pausing")
        self._paused(audit=audit, reason=reason)

    @event("DeploymentPaused")
    def _paused(self, audit: Audit, reason: str) -> None:
        self.status = DeploymentStatus.PAUSED

    def resume(self, audit: Audit, authority: DeploymentApplication) -> None:
        require_role(audit, *GOLD_TEAM, doing="resume a deployment")
        require(self.status == DeploymentStatus.PAUSED, "only a paused deployment can be resumed")
        self._require_authority_covers(audit.at, authority)
        self._resumed(audit=audit)

    @event("DeploymentResumed")
    def _resumed(self, audit: Audit) -> None:
        self.status = DeploymentStatus.LIVE

    def end(self, audit: Audit, reason: str) -> None:
        """The Gold team ends a running deployment."""
        require_role(audit, *GOLD_TEAM, Role.SYSTEM, doing="end a deployment")
        require(self.status in RUNNING, f"a deployment that is {self.status} cannot end")
        require_text(reason, "the reason for ending")
        self._ended(audit=audit, reason=reason, ending=Ending.BY_COMMAND.value)

    def cancel(self, audit: Audit, authority: DeploymentApplication, reason: str) -> None:
        """The Gold named in the authority cancels the deployment before it starts."""
        require_role(audit, Role.GOLD, doing="cancel a deployment")
        require(
            audit.actor_id == authority.gold_id,
            f"only the Gold named by the AO ({authority.gold_id}) may cancel the deployment",
        )
        require(
            self.status == DeploymentStatus.PLANNED,
            f"a deployment that is {self.status} cannot be cancelled; a running one is ended",
        )
        require_text(reason, "the reason for cancelling")
        self._ended(audit=audit, reason=reason, ending=Ending.CANCELLED.value)

    def close(self, audit: Audit, ending: Ending, reason: str) -> None:
        """Ends the deployment because its authority ended (withdrawn, revoked, lapsed, expired)
        or its window closed; the service records the authority's side in the same commit."""
        require(ending in CLOSED_BY, f"a deployment is not closed as {ending.value}")
        require_role(audit, CLOSED_BY[ending], doing=f"end a deployment as {ending.value}")
        require(self.status in OPEN, f"a deployment that is {self.status} has already ended")
        require(
            ending is not Ending.WITHDRAWN or self.status == DeploymentStatus.PLANNED,
            f"a deployment that is {self.status} cannot be withdrawn; Gold ends it",
        )
        require_text(reason, "the reason for ending")
        self._ended(audit=audit, reason=reason, ending=ending.value)

    @event("DeploymentEnded")
    def _ended(self, audit: Audit, reason: str, ending: str = Ending.BY_COMMAND.value) -> None:
        self.status = DeploymentStatus.ENDED
        self.ended_at = audit.at
        self.ending = ending
        self.end_reason = reason
        self.live_cameras = []

    def due_ending(self, authority: DeploymentApplication, at: datetime) -> Ending | None:
        """Why the deployment must end by itself at `at`, or None while it may go on."""
        if self.status not in OPEN:
            return None
        if authority.lapsed_at(at) or authority.status == "lapsed":
            return Ending.URGENT_AUTHORITY_LAPSED
        if at >= self.ends_at:
            return Ending.WINDOW_ENDED if self.status in RUNNING else Ending.EXPIRED_UNUSED
        return None

    def _require_authority_covers(self, at: datetime, authority: DeploymentApplication) -> None:
        require(
            authority.in_force(at), "no granted, in-date authority is in force for this deployment"
        )
        require(
            self.starts_at <= at < self.ends_at,
            f"{at.isoformat()} is outside the authorised window "
            f"{self.starts_at.isoformat()} to {self.ends_at.isoformat()}",
        )

    def accepts_alert_at(self, at: datetime, camera_id: str | None = None) -> bool:
        """Alerts only while live, inside the window, from a camera the deployment started."""
        return (
            self.status == DeploymentStatus.LIVE
            and self.starts_at <= at < self.ends_at
            and (camera_id is None or camera_id in self.live_cameras)
        )

    # -- stage 6: post-deployment ------------------------------------------------------------

    def submit_cancellation_report(
        self, audit: Audit, report: dict[str, Any], record: dict[str, Any] | None = None
    ) -> None:
        """Gold submits the report: their text (`report`) and, in `record`, the figures, the
        thresholds, the timeline and the alerts' points as they stood at submission. The
        document is rendered from this event alone, so later changes cannot alter it."""
        require_role(audit, Role.GOLD, doing="submit the cancellation report")
        require(
            self.status == DeploymentStatus.ENDED,
            "the cancellation report follows the end of the deployment",
        )
        for part in ("evaluation", "learning"):
            require_text(str(report.get(part, "")), f"the report's {part}")
        self._cancellation_report_submitted(audit=audit, report=report, record=record or {})

    @event("CancellationReportSubmitted")
    def _cancellation_report_submitted(
        self, audit: Audit, report: dict[str, Any], record: dict[str, Any] | None = None
    ) -> None:
        self.report = report
        self.status = DeploymentStatus.REPORTED
        self._keep_report_version(audit, report, record, "")

    def amend_cancellation_report(
        self,
        audit: Audit,
        report: dict[str, Any],
        reason: str,
        record: dict[str, Any] | None = None,
    ) -> None:
        """Gold amends the submitted report by a new event with the reason (and the figures
        as they stand now); both versions stay in the history and can be read."""
        require_role(audit, Role.GOLD, doing="amend the cancellation report")
        require(
            self.status in {DeploymentStatus.REPORTED, DeploymentStatus.PUBLISHED},
            "only a submitted cancellation report can be amended",
        )
        for part in ("evaluation", "learning"):
            require_text(str(report.get(part, "")), f"the report's {part}")
        versions = self.__dict__.get("report_versions") or [{}]
        require(
            report != self.report or _figures(record) != _figures(versions[-1].get("record")),
            "the amended report is the same as the one in force, text and figures",
        )
        require_text(reason, "the reason for the amendment")
        self._cancellation_report_amended(
            audit=audit, report=report, reason=reason, record=record or {}
        )

    @event("CancellationReportAmended")
    def _cancellation_report_amended(
        self,
        audit: Audit,
        report: dict[str, Any],
        reason: str,
        record: dict[str, Any] | None = None,
    ) -> None:
        self.report = report
        self.report_amendments.append(
            {"by": audit.actor_id, "at": audit.at.isoformat(), "reason": reason}
        )
        self._keep_report_version(audit, report, record, reason)

    def _keep_report_version(
        self, audit: Audit, report: dict[str, Any], record: dict[str, Any] | None, reason: str
    ) -> None:
        # An aggregate snapshot taken before versions were kept has no list yet.
        versions: list[dict[str, Any]] = self.__dict__.setdefault("report_versions", [])
        versions.append(
            {
                "version": len(versions) + 1,
                "at": audit.at.isoformat(),
                "by": audit.actor_id,
                "reason": reason,
                "report": dict(report),
                "record": dict(record or {}),
            }
        )

    def publish_register_entry(self, audit: Audit, entry: dict[str, Any]) -> None:
        require_role(audit, Role.GOLD, Role.SYSTEM, doing="publish the register entry")
        require(
            self.status == DeploymentStatus.REPORTED,
            "the register entry is published after the cancellation report",
        )
        self._register_entry_published(audit=audit, entry=entry)

    @event("RegisterEntryPublished")
    def _register_entry_published(self, audit: Audit, entry: dict[str, Any]) -> None:
        self.register_entry = entry
        self.status = DeploymentStatus.PUBLISHED
