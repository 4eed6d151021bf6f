"""The watchlist: uploads of person folders, single entries, compile, review, import,
and the s.62-logged reading of an entry."""

from __future__ import annotations

import base64
import binascii
import json
from uuid import UUID

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile

from api import schemas, views
from api.auth import Principal, allow
from api.errors import REFUSALS
from api.state import ApiState, api_state
from domain.authorisation import DeploymentApplication
from domain.deployment import Deployment
from domain.errors import ConcurrentChange, RuleViolation
from domain.values import Role
from domain.watchlist import EntryDetails, WatchlistEntry
from services.enrolment import EnrolmentError, enrol
from services.upload_jobs import Importer, UploadJob, UploadJobs
from services.watchlist_import import UploadRefused, archive_of

router = APIRouter(tags=["watchlist"], responses=REFUSALS)

compilers = allow(Role.APPLICANT, Role.GOLD)
reviewers = allow(Role.GOLD, Role.AUTHORISING_OFFICER)
ao = allow(Role.AUTHORISING_OFFICER)
operator = allow(Role.OPERATOR)
consulters = allow(
    Role.APPLICANT,
    Role.GOLD,
    Role.AUTHORISING_OFFICER,
    Role.OPERATOR,
    Role.ENGAGEMENT_OFFICER,
    Role.DPO,
    Role.AUDITOR,
)


def _jobs(request: Request) -> UploadJobs:
    jobs: UploadJobs = request.app.state.uploads
    return jobs


@router.post(
    "/deployments/{deployment_id}/watchlist/uploads",
    status_code=202,
    response_model=schemas.UploadOut,
    summary="Upload person folders with a manifest (a .zip, or a folder's files)",
)
def upload(
    deployment_id: UUID,
    request: Request,
    files: list[UploadFile] = File(
        description="one .zip, or every file of a folder with its relative path as the file name"
    ),
    who: Principal = Depends(compilers),
    api: ApiState = Depends(api_state),
) -> schemas.UploadOut:
    api.lfr.require_appointed(who.actor, deployment_id, "add to the watchlist")
    deployment = api.lfr.load(Deployment, deployment_id)
    if deployment.watchlist_state != "none":
        raise RuleViolation("entries are added before the watchlist is compiled")
    authority = api.lfr.load(DeploymentApplication, deployment.authority_id)
    jobs = _jobs(request)
    job_id, archive = jobs.new_archive()
    try:
        archive_of([(f.filename or "", f.file) for f in files], archive, jobs.limits)
        job = jobs.start(
            Importer(api.lfr, api.engine),
            job_id,
            deployment_id,
            who.actor,
            max_rows=authority.watchlist_max_size,
        )
    except UploadRefused as error:
        jobs.discard(job_id)
        raise HTTPException(422, f"files: {error}") from None
    except BaseException:
        jobs.discard(job_id)
        raise
    return schemas.UploadOut.model_validate(job.as_dict())


def _job(request: Request, job_id: str) -> UploadJob:
    job = _jobs(request).get(job_id)
    if job is None:
        raise HTTPException(404, f"no watchlist upload with id {job_id}")
    return job


@router.get(
    "/watchlist/uploads/{job_id}",
    response_model=schemas.UploadOut,
    summary="An upload's progress and its report of what was added or refused",
)
def upload_progress(
    job_id: str,
    request: Request,
    who: Principal = Depends(compilers),
    api: ApiState = Depends(api_state),
) -> schemas.UploadOut:
    job = _job(request, job_id)
    api.lfr.require_appointed(who.actor, UUID(job.deployment_id))
    return schemas.UploadOut.model_validate(job.as_dict())


@router.post(
    "/watchlist/uploads/{job_id}/report",
    response_model=schemas.UploadReportOut,
    summary="Read an upload's report with its folders' names and reasons (logged under DPA "
    "2018 s.62)",
)
def consult_upload_report(
    job_id: str,
    body: schemas.JustificationIn,
    request: Request,
    who: Principal = Depends(compilers),
    api: ApiState = Depends(api_state),
) -> schemas.UploadReportOut:
    job = _job(request, job_id)
    sealed = {row: base64.b64decode(text) for row, text in job.sealed_rows.items()}
    opened = api.lfr.consult_watchlist_upload(
        who.actor, UUID(job.deployment_id), job.job_id, sealed, body.justification
    )
    rows = []
    for row, text in sorted(opened.items(), key=lambda item: int(item[0])):
        values = json.loads(text)
        rows.append(
            schemas.UploadRowOut(
                row=row,
                folder=values["folder"],
                entry_id=job.added.get(row),
                reason=values["reason"],
            )
        )
    return schemas.UploadReportOut(job_id=job.job_id, rows=rows)


@router.post(
    "/watchlist/uploads/{job_id}/cancellation",
    response_model=schemas.UploadOut,
    summary="Stop an upload before its next row (the entries already added stay, listed)",
)
def cancel_upload(
    job_id: str,
    request: Request,
    who: Principal = Depends(compilers),
    api: ApiState = Depends(api_state),
) -> schemas.UploadOut:
    job = _job(request, job_id)
    api.lfr.require_appointed(who.actor, UUID(job.deployment_id), "cancel the upload")
    job = _jobs(request).cancel(job)
    return schemas.UploadOut.model_validate(job.as_dict())


@router.post(
    "/watchlist/uploads/{job_id}/resumption",
    response_model=schemas.UploadOut,
    summary="Carry on an upload the server's stop interrupted, from its next row",
)
def resume_upload(
    job_id: str,
    request: Request,
    who: Principal = Depends(compilers),
    api: ApiState = Depends(api_state),
) -> schemas.UploadOut:
    job = _job(request, job_id)
    api.lfr.require_appointed(who.actor, UUID(job.deployment_id), "resume the upload")
    job = _jobs(request).resume(Importer(api.lfr, api.engine), job)
    return schemas.UploadOut.model_validate(job.as_dict())


@router.post(
    "/deployments/{deployment_id}/watchlist/entries",
    status_code=201,
    response_model=schemas.Created,
    summary="Add one watchlist entry with its image",
)
def add_entry(
    deployment_id: UUID,
    body: schemas.EntryIn,
    who: Principal = Depends(compilers),
    api: ApiState = Depends(api_state),
) -> schemas.Created:

    api.lfr.require_appointed(who.actor, deployment_id, "add to the watchlist")
    try:
        image = base64.b64decode(body.image_base64, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, "image_base64: not base64") from None
    details = EntryDetails(
        body.reference,
        body.category,
        body.source,
        body.legal_basis,
        body.image_date,
        tuple(body.sensitive_flags),
        body.ao_rationale,
    )
    try:
        entry_id = enrol(api.lfr, api.engine(), who.actor, deployment_id, details, image)
    except EnrolmentError as error:
        raise HTTPException(422, f"image_base64: {error}") from None
    except ConcurrentChange:  # a random id met twice: a retry of the same request
        raise RuleViolation("this entry was added twice at once; reload the watchlist") from None
    return schemas.Created(id=str(entry_id))


@router.post(
    "/deployments/{deployment_id}/watchlist/compilation",
    response_model=schemas.CompiledOut,
    summary="Compile the watchlist from its entries",
)
def compile_watchlist(
    deployment_id: UUID,
    body: schemas.CompileIn,
    who: Principal = Depends(compilers),
    api: ApiState = Depends(api_state),
) -> schemas.CompiledOut:
    version = api.lfr.compile_watchlist(who.actor, deployment_id, body.entry_ids)
    return schemas.CompiledOut(deployment_id=str(deployment_id), version=version)


@router.post(
    "/deployments/{deployment_id}/watchlist/review",
    response_model=schemas.Done,
    summary="Review the compiled watchlist against the intelligence case",
)
def review(
    deployment_id: UUID,
    body: schemas.NotesIn,
    who: Principal = Depends(reviewers),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.review_watchlist(who.actor, deployment_id, body.notes)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/deployments/{deployment_id}/watchlist/import",
    response_model=schemas.Done,
    summary="Operator: import the reviewed watchlist into the LFR system",
)
def import_watchlist(
    deployment_id: UUID,
    body: schemas.MediumIn,
    who: Principal = Depends(operator),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.import_watchlist(who.actor, deployment_id, body.medium)
    return schemas.Done(id=str(deployment_id))


@router.post(
    "/watchlist/entries/{entry_id}/ao-rationale",
    response_model=schemas.Done,
    summary="AO of the authority: record the rationale for a sensitive entry (sealed)",
)
def record_ao_rationale(
    entry_id: UUID,
    body: schemas.RationaleIn,
    who: Principal = Depends(ao),
    api: ApiState = Depends(api_state),
) -> schemas.Done:
    api.lfr.record_entry_rationale(who.actor, entry_id, body.rationale)
    return schemas.Done(id=str(entry_id))


@router.post(
    "/watchlist/entries/{entry_id}/consultation",
    response_model=schemas.EntryConsultedOut,
    summary="Read a watchlist entry and its image (logged under DPA 2018 s.62)",
)
def consult_entry(
    entry_id: UUID,
    body: schemas.JustificationIn,
    who: Principal = Depends(consulters),
    api: ApiState = Depends(api_state),
) -> schemas.EntryConsultedOut:
    consulted = api.lfr.consult_watchlist_entry(who.actor, entry_id, body.justification)
    entry = api.lfr.load(WatchlistEntry, entry_id)
    return schemas.EntryConsultedOut(
        entry=views.entry(entry, consulted),
        image_base64=base64.b64encode(consulted.image).decode(),
    )
