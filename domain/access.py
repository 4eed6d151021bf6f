"""Who may act on this application or deployment: object-level access (DESIGN.md, Bridges).

A role says what kind of command an officer may give; an appointment says on which
deployment. The appointments follow the paper trail, never the caller's say-so:
- the applicant acts on the applications they opened;
- the Authorising Officer on the applications submitted to them, then the authorities
  they granted;
- Gold as named in the Written Authority;
- operators, engagement officers and the rest of the command as Gold appointed them;
- a recognition worker under a token bound to one deployment and its authorised cameras.
The DPO, auditors and the system act across deployments (oversight and retention); their
commands keep their own role checks, and their reads of personal data stay s.62-logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.errors import NotPermitted
from domain.values import Actor, Role

if TYPE_CHECKING:
    from domain.authorisation import DeploymentApplication
    from domain.deployment import Deployment

# Oversight and retention act on every deployment: what they may do is fixed by role.
ACROSS_DEPLOYMENTS = frozenset({Role.DPO, Role.AUDITOR, Role.SYSTEM})
# The command structure Gold appoints acts in these roles.
COMMAND_ROLES = frozenset({Role.OPERATOR, Role.ENGAGEMENT_OFFICER})


class NotAppointed(NotPermitted):
    """The actor holds the role, but is not appointed to this application or deployment."""


@dataclass(frozen=True)
class BoundWorker(Actor):
    """A recognition worker, as its token binds it: one deployment and its cameras."""

    deployment_id: str = ""
    cameras: tuple[str, ...] = ()


def worker(worker_id: str, deployment_id: object, cameras: tuple[str, ...]) -> BoundWorker:
    return BoundWorker(worker_id, Role.WORKER, str(deployment_id), tuple(cameras))


@dataclass(frozen=True)
class Appointments:
    """Who is appointed to one application and, once granted, its deployment."""

    application_id: str
    applicant_id: str
    ao_id: str
    gold_id: str = ""
    deployment_id: str = ""
    command: frozenset[str] = field(default_factory=frozenset)

    @property
    def subject(self) -> str:
        if self.deployment_id:
            return f"deployment {self.deployment_id}"
        return f"application {self.application_id}"

    def require(self, actor: Actor, doing: str = "act") -> None:
        """Raises NotAppointed unless `actor` is appointed, in their role, to this object."""
        if actor.role in ACROSS_DEPLOYMENTS:
            return
        reason = self._refusal(actor)
        if reason:
            raise NotAppointed(f"{actor.id} may not {doing} on {self.subject}: {reason}")

    def admits(self, actor: Actor) -> bool:
        return actor.role in ACROSS_DEPLOYMENTS or not self._refusal(actor)

    def _refusal(self, actor: Actor) -> str:
        """Why `actor` is not appointed here, or "" when they are."""
        role = actor.role
        if role is Role.APPLICANT:
            return "" if actor.id == self.applicant_id else "it is another applicant's application"
        if role is Role.AUTHORISING_OFFICER:
            if not self.ao_id:
                return "the application has not been submitted to an Authorising Officer"
            return "" if actor.id == self.ao_id else "it is assigned to another Authorising Officer"
        if role is Role.GOLD:
            return (
                ""
                if self.gold_id and actor.id == self.gold_id
                else "not the Gold named in the authority"
            )
        if role in COMMAND_ROLES:
            return "" if actor.id in self.command else "not in the command structure Gold appointed"
        if role is Role.WORKER:
            return worker_refusal(actor, self.deployment_id)
        return f"the {role.value} role acts on no deployment"


def worker_refusal(actor: Actor, deployment_id: str, camera_id: str | None = None) -> str:
    """Why a worker may not report for this deployment (and camera), or "" when it may."""
    if not isinstance(actor, BoundWorker) or not actor.deployment_id:
        return "a worker's token must be bound to a deployment"
    if not deployment_id or actor.deployment_id != deployment_id:
        return "the worker's token is bound to another deployment"
    if camera_id is not None and camera_id not in actor.cameras:
        return f"the worker's token does not cover camera {camera_id!r}"
    return ""


def require_worker(actor: Actor, deployment_id: object, camera_id: str, doing: str) -> None:
    """A worker reports only for the deployment and the cameras its token is bound to."""
    if actor.role is not Role.WORKER:
        return
    reason = worker_refusal(actor, str(deployment_id), camera_id)
    if reason:
        raise NotAppointed(f"{actor.id} may not {doing} for deployment {deployment_id}: {reason}")


def appointments(
    application: DeploymentApplication, deployment: Deployment | None = None
) -> Appointments:
    """The appointments of an application and, when given, of the deployment under it."""
    return Appointments(
        application_id=str(application.id),
        applicant_id=application.applicant_id,
        # The AO who granted; before that, the AO the application was submitted to.
        ao_id=application.ao_id or application.assigned_ao_id,
        gold_id=application.gold_id,
        deployment_id=str(deployment.id) if deployment is not None else "",
        command=frozenset(
            member
            for members in (deployment.command if deployment else {}).values()
            for member in members
        ),
    )
