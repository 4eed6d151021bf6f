"""Stages 1 to 3: the policing need, the application, the AO's authority and its changes."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.authorisation import DeploymentApplication
from domain.deployment import OPEN, Deployment
from domain.rules import require
from domain.values import Actor, Ending, Proposal, WrittenAuthority
from services.base import ServiceBase


class AuthorityCommands(ServiceBase):
    """Stages 1 to 3: the policing need, the application, the AO's authority and its changes."""

    def identify_need(self, actor: Actor, objective: str, use_case: str) -> UUID:
        application = DeploymentApplication.identify_need(self.audit(actor), objective, use_case)
        self.commit(application)
        return application.id

    def submit_intelligence_case(
        self, actor: Actor, application_id: UUID, reference: str, summary: str
    ) -> None:
        application = self.load(DeploymentApplication, application_id)
        application.submit_intelligence_case(self._for(actor, application), reference, summary)
        self.commit(application)

    def submit_application(
        self,
        actor: Actor,
        application_id: UUID,
        sections: dict[str, str],
        proposal: Proposal,
        authorising_officer_id: str,
    ) -> None:
        """Submits the application to the Authorising Officer who will decide on it."""
        application = self.load(DeploymentApplication, application_id)
        application.submit(
            self._for(actor, application), sections, proposal, authorising_officer_id
        )
        self.commit(application)

    def request_amendments(self, actor: Actor, application_id: UUID, notes: str) -> None:
        application = self.load(DeploymentApplication, application_id)
        application.request_amendments(self._for(actor, application), notes)
        self.commit(application)

    def reject_application(self, actor: Actor, application_id: UUID, reasons: str) -> None:
        application = self.load(DeploymentApplication, application_id)
        application.reject(self._for(actor, application), reasons)
        self.commit(application)

    def grant_authority(
        self, actor: Actor, application_id: UUID, authority: WrittenAuthority
    ) -> UUID:
        """Grants the Written Authority and plans its deployment; returns the deployment id."""
        application = self.load(DeploymentApplication, application_id)
        audit = self._for(actor, application)
        application.grant(
            audit, authority, self.policy.threshold_floor, self.policy.document_versions
        )
        deployment = Deployment.plan(audit, application)
        self.commit(application, deployment)
        return deployment.id

    def grant_urgent_authority(
        self, actor: Actor, application_id: UUID, urgency: str, authority: WrittenAuthority
    ) -> UUID:
        """The urgent route: in force at once, it lapses unless an AO confirms it in time."""
        application = self.load(DeploymentApplication, application_id)
        audit = self._for(actor, application)
        application.grant_urgent(
            audit,
            urgency,
            authority,
            self.policy.threshold_floor,
            self.policy.urgent_confirmation,
            self.policy.document_versions,
        )
        deployment = Deployment.plan(audit, application)
        self.commit(application, deployment)
        return deployment.id

    def confirm_urgent_authority(self, actor: Actor, application_id: UUID, rationale: str) -> None:
        application = self.load(DeploymentApplication, application_id)
        # Confirmation is by another Authorising Officer than the one it was submitted to.
        application.confirm_urgent(self._audit_for(actor, application), rationale)
        self.commit(application)

    def authorise_threshold_change(
        self, actor: Actor, deployment_id: UUID, threshold: float, rationale: str
    ) -> None:
        """A threshold change is its own authorised decision, then applied to the deployment."""
        deployment = self.load(Deployment, deployment_id)
        authority = self.load(DeploymentApplication, deployment.authority_id)
        audit = self._for(actor, authority)
        authority.change_threshold(audit, threshold, rationale, self.policy.threshold_floor)
        if deployment.watchlist_state == "imported":
            deployment.apply_threshold(audit, authority)
        self.commit(authority, deployment)

    def authorise_watchlist_size(
        self, actor: Actor, deployment_id: UUID, max_size: int, rationale: str
    ) -> None:
        """A new authorised size. The rule for a reduction: never below the watchlist already
        compiled, so a larger list can never run under a smaller authority; the entries over
        the new size are erased first (by the DPO), then the size is reduced."""
        deployment = self.load(Deployment, deployment_id)
        authority = self.load(DeploymentApplication, deployment.authority_id)
        held = len(deployment.watchlist.get("entry_ids", []))
        require(
            max_size >= held,
            f"the watchlist holds {held} entries: a size of {max_size} is refused until entries "
            "over it are erased",
        )
        authority.change_watchlist_size(self._for(actor, authority), max_size, rationale)
        self.commit(authority)

    # -- the lawful ends of an authority -----------------------------------------------------

    def withdraw_application(self, actor: Actor, application_id: UUID, reason: str) -> None:
        """The applicant withdraws; a planned deployment ends with it (its clock starts)."""
        application = self.load(DeploymentApplication, application_id)
        audit = self._for(actor, application)
        application.withdraw(audit, reason)
        changed: list[Aggregate] = [application]
        deployment = self._planned_deployment(application)
        if deployment is not None:
            deployment.close(audit, Ending.WITHDRAWN, reason)
            changed += [deployment, *self._public_ending(deployment)]
        self.commit(*changed)

    def revoke_authority(self, actor: Actor, application_id: UUID, reason: str) -> None:
        """The AO revokes the authority; its deployment, planned or running, ends at once."""
        application = self.load(DeploymentApplication, application_id)
        audit = self._for(actor, application)
        application.revoke(audit, reason)
        deployment = self._planned_deployment(application)
        changed: list[Aggregate] = [application]
        if deployment is not None and deployment.status in OPEN:
            deployment.close(audit, Ending.AUTHORITY_REVOKED, reason)
            changed += [deployment, *self._public_ending(deployment)]
        self.commit(*changed)

    def _planned_deployment(self, application: DeploymentApplication) -> Deployment | None:
        deployment_id = Deployment.create_id(application.id)
        return self.load(Deployment, deployment_id) if self.exists(deployment_id) else None
