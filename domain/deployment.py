"""A deployment under an authority: command, pre-deployment, watchlist, live, end, report."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.authorisation import DeploymentApplication
from domain.rules import missing, require, require_role, require_text
from domain.values import Audit, PreDeploymentCheck, Role

GOLD_TEAM = (Role.GOLD, Role.OPERATOR)


class Deployment(Aggregate):
    """The deployment of an authority. Created when the authority is granted."""

    @staticmethod
    def create_id(authority_id: UUID, **_: Any) -> UUID:  # type: ignore[override]
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
        self.status = "planned"
        self.command: dict[str, list[str]] = {}
        self.checks: dict[str, str] = {}
        self.watchlist: dict[str, Any] = {}
        self.watchlist_state = "none"
        self.threshold = 0.0
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.report: dict[str, Any] = {}
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
        require(self.status in {"planned", "ready"}, "the command is appointed before deployment")
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
        self.watchlist = {"entry_ids": entry_ids, "version": version}
        self.watchlist_state = "compiled"

    def review_watchlist(self, audit: Audit, notes: str) -> None:
        require_role(audit, Role.GOLD, Role.AUTHORISING_OFFICER, doing="review the watchlist")
        require(self.watchlist_state == "compiled", "only a compiled watchlist can be reviewed")
        require_text(notes, "the review notes")
        self._watchlist_reviewed(audit=audit, notes=notes)

    @event("WatchlistReviewed")
    def _watchlist_reviewed(self, audit: Audit, notes: str) -> None:
        self.watchlist_state = "reviewed"

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

    def apply_threshold(self, audit: Audit, authority: DeploymentApplication) -> None:
        """Carries an authorised threshold change into the running deployment."""
        require(
            authority.threshold != self.threshold, "the threshold is already the authorised one"
        )
        self._threshold_applied(audit=audit, threshold=authority.threshold)

    @event("ThresholdApplied")
    def _threshold_applied(self, audit: Audit, threshold: float) -> None:
        self.threshold = threshold

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

    def start(self, audit: Audit, authority: DeploymentApplication, location_name: str) -> None:
        require_role(audit, *GOLD_TEAM, doing="start a deployment")
        require(self.status == "planned", f"a deployment that is {self.status} cannot start")
        self._require_authority_covers(audit.at, authority)
        require(
            location_name == self.location["name"],
            f"the authority covers {self.location['name']!r}, not {location_name!r}",
        )
        absent = missing([c.value for c in PreDeploymentCheck], self.checks)
        require(not absent, f"pre-deployment activity not recorded: {absent}")
        require(bool(self.command), "the Gold must appoint the command structure first")
        require(self.watchlist_state == "imported", "the watchlist must be imported first")
        self._started(audit=audit)

    @event("DeploymentStarted")
    def _started(self, audit: Audit) -> None:
        self.status = "live"
        self.started_at = audit.at

    def pause(self, audit: Audit, reason: str) -> None:
        require_role(audit, *GOLD_TEAM, doing="pause a deployment")
        require(self.status == "live", "only a live deployment can be paused")
        require_text(reason, "the reason for pausing")
        self._paused(audit=audit, reason=reason)

    @event("DeploymentPaused")
    def _paused(self, audit: Audit, reason: str) -> None:
        self.status = "paused"

    def resume(self, audit: Audit, authority: DeploymentApplication) -> None:
        require_role(audit, *GOLD_TEAM, doing="resume a deployment")
        require(self.status == "paused", "only a paused deployment can be resumed")
        self._require_authority_covers(audit.at, authority)
        self._resumed(audit=audit)

    @event("DeploymentResumed")
    def _resumed(self, audit: Audit) -> None:
        self.status = "live"

    def end(self, audit: Audit, reason: str) -> None:
        require_role(audit, *GOLD_TEAM, Role.SYSTEM, doing="end a deployment")
        require(self.status in {"live", "paused"}, f"a deployment that is {self.status} cannot end")
        require_text(reason, "the reason for ending")
        self._ended(audit=audit, reason=reason)

    @event("DeploymentEnded")
    def _ended(self, audit: Audit, reason: str) -> None:
        self.status = "ended"
        self.ended_at = audit.at

    def _require_authority_covers(self, at: datetime, authority: DeploymentApplication) -> None:
        require(
            authority.in_force(at), "no granted, in-date authority is in force for this deployment"
        )
        require(
            self.starts_at <= at <= self.ends_at,
            f"{at.isoformat()} is outside the authorised window "
            f"{self.starts_at.isoformat()} to {self.ends_at.isoformat()}",
        )

    def accepts_alert_at(self, at: datetime) -> bool:
        return self.status == "live" and self.starts_at <= at <= self.ends_at

    # -- stage 6: post-deployment ------------------------------------------------------------

    def submit_cancellation_report(self, audit: Audit, report: dict[str, Any]) -> None:
        require_role(audit, Role.GOLD, doing="submit the cancellation report")
        require(self.status == "ended", "the cancellation report follows the end of the deployment")
        for part in ("evaluation", "learning"):
            require_text(str(report.get(part, "")), f"the report's {part}")
        self._cancellation_report_submitted(audit=audit, report=report)

    @event("CancellationReportSubmitted")
    def _cancellation_report_submitted(self, audit: Audit, report: dict[str, Any]) -> None:
        self.report = report
        self.status = "reported"

    def publish_register_entry(self, audit: Audit, entry: dict[str, Any]) -> None:
        require_role(audit, Role.GOLD, Role.SYSTEM, doing="publish the register entry")
        require(
            self.status == "reported",
            "the register entry is published after the cancellation report",
        )
        self._register_entry_published(audit=audit, entry=entry)

    @event("RegisterEntryPublished")
    def _register_entry_published(self, audit: Audit, entry: dict[str, Any]) -> None:
        self.register_entry = entry
        self.status = "published"
