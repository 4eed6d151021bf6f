"""Stages 1 to 3: the policing need, the application, and the AO's Written Authority."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends

from api import schemas, views
from api.auth import Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.authorisation import DeploymentApplication
from domain.values import Location, Proposal, Role

router = APIRouter(prefix="/applications", tags=["applications"], responses=REFUSALS)

applicant = allow(Role.APPLICANT)
ao = allow(Role.AUTHORISING_OFFICER)
readers = allow(Role.APPLICANT, Role.AUTHORISING_OFFICER, Role.GOLD, Role.AUDITOR)


def proposal_of(body: schemas.ProposalIn) -> Proposal:
    loc = body.location
    return Proposal(
        location=Location(loc.name, loc.borough, loc.latitude, loc.longitude),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        use_case=body.use_case,
        watchlist_categories=tuple(body.watchlist_categories),
        watchlist_max_size=body.watchlist_max_size,
        threshold=body.threshold,
        sensitive_inclusions=tuple(body.sensitive_inclusions),
        elevated_privacy=body.elevated_privacy,
        cameras=tuple(body.cameras),
    )


@router.post(
    "",
    status_code=201,
    response_model=schemas.Created,
    summary="Identify a policing need (opens an application)",
)
def identify_need(
    body: schemas.NeedIn, who: Principal = Depends(applicant), api: ApiState = Depends(api_state)
) -> schemas.Created:
    return schemas.Created(id=str(api.lfr.identify_need(who.actor, body.objective, body.use_case)))


@router.get(
    "/{application_id}",
    response_model=schemas.ApplicationOut,
    summary="The application and its authority",
)
def read_application(
    application_id: UUID, who: Principal = Depends(readers), api: ApiState = Depends(api_state)
) -> schemas.ApplicationOut:
    api.lfr.require_appointed_to_application(who.actor, application_id)
    return views.application(api.lfr.load(DeploymentApplication, application_id))


@router.post(
    "/{application_id}/intelligence-case",
    response_model=schemas.Done,
    summary="Submit the intelligence case (Form 3)",
)
def intelligence_case(
    application_id: UUID,
    body: schemas.IntelligenceCaseIn,
    who: Principal = Depends(applicant),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.submit_intelligence_case(who.actor, application_id, body.reference, body.summary)
    return schemas.Done(id=str(application_id))


@router.post(
    "/{application_id}/submission",
    response_model=schemas.Done,
    summary="Submit the application, or resubmit it amended after the AO asked",
)
def submit(
    application_id: UUID,
    body: schemas.SubmissionIn,
    who: Principal = Depends(applicant),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    sections = {section.value: text for section, text in body.sections.items()}
    api.lfr.submit_application(
        who.actor, application_id, sections, proposal_of(body.proposal), body.authorising_officer_id
    )
    return schemas.Done(id=str(application_id))


@router.post(
    "/{application_id}/amendment-request",
    response_model=schemas.Done,
    summary="AO: ask the applicant for amendments",
)
def request_amendments(
    application_id: UUID,
    body: schemas.NotesIn,
    who: Principal = Depends(ao),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.request_amendments(who.actor, application_id, body.notes)
    return schemas.Done(id=str(application_id))


@router.post(
    "/{application_id}/rejection", response_model=schemas.Done, summary="AO: reject the application"
)
def reject(
    application_id: UUID,
    body: schemas.ReasonsIn,
    who: Principal = Depends(ao),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.reject_application(who.actor, application_id, body.reasons)
    return schemas.Done(id=str(application_id))


@router.post(
    "/{application_id}/authority",
    status_code=201,
    response_model=schemas.DeploymentCreated,
    summary="AO: grant the Written Authority (plans the deployment)",
)
def grant(
    application_id: UUID,
    body: schemas.AuthorityIn,
    who: Principal = Depends(ao),
    api: ApiState = Depends(api_state),
) -> schemas.DeploymentCreated:
    deployment_id = api.lfr.grant_authority(who.actor, application_id, body.written_authority())
    return schemas.DeploymentCreated(
        application_id=str(application_id), deployment_id=str(deployment_id)
    )


@router.post(
    "/{application_id}/urgent-authority",
    status_code=201,
    response_model=schemas.DeploymentCreated,
    summary="AO: grant an urgent authority, in force until it lapses unconfirmed",
)
def grant_urgent(
    application_id: UUID,
    body: schemas.UrgentAuthorityIn,
    who: Principal = Depends(ao),
    api: ApiState = Depends(api_state),
) -> schemas.DeploymentCreated:
    deployment_id = api.lfr.grant_urgent_authority(
        who.actor, application_id, body.urgency, body.written_authority()
    )
    return schemas.DeploymentCreated(
        application_id=str(application_id), deployment_id=str(deployment_id)
    )


@router.post(
    "/{application_id}/urgent-confirmation",
    response_model=schemas.Done,
    summary="AO: confirm an urgent authority before it lapses",
)
def confirm_urgent(
    application_id: UUID,
    body: schemas.RationaleIn,
    who: Principal = Depends(ao),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.confirm_urgent_authority(who.actor, application_id, body.rationale)
    return schemas.Done(id=str(application_id))


@router.post(
    "/{application_id}/withdrawal",
    response_model=schemas.Done,
    summary="Applicant: withdraw the application, or its authority before the deployment starts",
)
def withdraw(
    application_id: UUID,
    body: schemas.ReasonIn,
    who: Principal = Depends(applicant),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.withdraw_application(who.actor, application_id, body.reason)
    return schemas.Done(id=str(application_id))


@router.post(
    "/{application_id}/revocation",
    response_model=schemas.Done,
    summary="AO: revoke the authority; its deployment ends at once",
)
def revoke(
    application_id: UUID,
    body: schemas.ReasonIn,
    who: Principal = Depends(ao),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.revoke_authority(who.actor, application_id, body.reason)
    return schemas.Done(id=str(application_id))
