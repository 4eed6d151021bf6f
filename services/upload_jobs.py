"""Watchlist uploads as durable jobs: kept on disk, resumable after a crash, cancellable.

Each job lives in its own folder under the jobs directory: the uploaded files as one zip,
and `job.json`, its state, rewritten (atomically) after every row. A job found `running`
when the server starts was interrupted by a crash: it is shown `interrupted` and resumes,
from the row after the last one recorded, when asked (`resume`). A cancelled job stops
before its next row; the entries already added stay, and the report lists them.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import threading
import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from domain.errors import ConcurrentChange, DomainError
from domain.sealing import watchlist_subject
from domain.values import Actor, Role
from services.enrolment import EnrolmentError, enrol
from services.watchlist_import import Upload, UploadLimits, UploadRefused, details_of, open_upload

ARCHIVE = "upload.zip"
STATE = "job.json"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    INTERRUPTED = "interrupted"  # the server stopped while it ran: resume it
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    DONE = "done"
    FAILED = "failed"


UNFINISHED = {JobState.QUEUED, JobState.RUNNING, JobState.INTERRUPTED, JobState.CANCELLING}


@dataclass
class UploadJob:
    """One upload's progress and its report, entry by entry."""

    deployment_id: str
    total: int
    actor_id: str
    actor_role: str
    max_rows: int
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: JobState = JobState.QUEUED
    done: int = 0
    # By manifest row (1 for the first under the header): folder names are people's names,
    # and a refusal's reason may name the folder or its image, so what the job keeps in the
    # open says only which rows were added (their entry ids) and which refused. Each row's
    # folder and reason are sealed under the watchlist's key (`sealed_rows`, base64): read
    # under an s.62 record, erased with the watchlist.
    added: dict[str, str] = field(default_factory=dict)
    refused: list[dict[str, str]] = field(default_factory=list)
    sealed_rows: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def actor(self) -> Actor:
        return Actor(self.actor_id, Role(self.actor_role))

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "deployment_id": self.deployment_id,
            "state": self.state.value,
            "total": self.total,
            "done": self.done,
            "added": dict(self.added),
            "refused": list(self.refused),
            "error": self.error,
        }


class Importer:
    """Enrols each manifest row through the face engine and the domain service."""

    def __init__(self, lfr: Any, engine_of: Any) -> None:
        self.lfr = lfr
        self.engine_of = engine_of

    def seal_row(self, job: UploadJob, folder: str, reason: str) -> str:
        """One row's report (its folder, and why it was refused) sealed under the watchlist's
        key, as base64 for the job's file."""
        text = json.dumps({"folder": folder, "reason": reason})
        sealed = self.lfr.sealer.seal(watchlist_subject(job.deployment_id), text.encode())
        return base64.b64encode(sealed).decode()

    def enrol(self, job: UploadJob, upload: Upload, row: dict[str, str], engine: Any) -> str:
        """Adds one entry; returns the reason it was refused, or '' when added."""

        folder = row.get("folder", "")
        try:
            details = details_of(row)
        except (ValueError, KeyError) as error:
            return str(error)
        images = upload.files(folder)
        wanted = row.get("image")
        if wanted:
            images = [n for n in images if PurePosixPath(n).name == wanted]
        if not images:
            return f"no image {wanted!r} in this folder" if wanted else "the folder holds no image"
        entry_id = row_entry_id(job.job_id, job.done)
        try:
            image = upload.read(images[0])
            deployment_id = uuid.UUID(job.deployment_id)
            enrol(self.lfr, engine, job.actor, deployment_id, details, image, entry_id)
        except ConcurrentChange:  # added before a crash, its row not yet recorded: done
            pass
        except (EnrolmentError, UploadRefused, DomainError) as error:
            return str(error)
        job.added[row_label(job.done)] = str(entry_id)
        return ""


def row_label(index: int) -> str:
    """A manifest row as the report names it: 1 for the first row under the header."""
    return str(index + 1)


def row_entry_id(job_id: str, number: int) -> uuid.UUID:
    """The entry id of one upload row: from the (random) job id and the row's number, so a row
    resumed after a crash is the same entry, and nothing about the person enters the id."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lfr:watchlist-upload:{job_id}:{number}")


class UploadJobs:
    """The server's upload jobs, kept under `directory`, each run on its own thread."""

    def __init__(self, directory: Path, limits: UploadLimits) -> None:
        self.directory = directory
        self.limits = limits
        self._jobs: dict[str, UploadJob] = {}
        self._lock = threading.Lock()
        self._load()

    def folder(self, job_id: str) -> Path:
        return self.directory / job_id

    def new_archive(self) -> tuple[str, Path]:
        """A new job id and where its uploaded zip goes."""
        job_id = uuid.uuid4().hex
        return job_id, self.folder(job_id) / ARCHIVE

    def discard(self, job_id: str) -> None:
        """Removes a job's files when its upload was refused before it started."""
        shutil.rmtree(self.folder(job_id), ignore_errors=True)

    def start(
        self, importer: Importer, job_id: str, deployment_id: uuid.UUID, actor: Actor, max_rows: int
    ) -> UploadJob:
        """Reads the manifest (`UploadRefused` for the whole) and starts the job."""
        upload = open_upload(self.folder(job_id) / ARCHIVE, self.limits, max_rows)
        job = UploadJob(
            str(deployment_id), len(upload.rows), actor.id, actor.role.value, max_rows, job_id
        )
        self._save(job)
        with self._lock:
            self._jobs[job.job_id] = job
        self._run_in_thread(importer, job, upload)
        return job

    def resume(self, importer: Importer, job: UploadJob) -> UploadJob:
        """Carries on an interrupted job from the row after the last one recorded."""
        with self._lock:
            if job.state != JobState.INTERRUPTED:
                raise DomainError(
                    f"the upload is {job.state.value}; only an interrupted one resumes"
                )
            job.state = JobState.QUEUED
        upload = open_upload(self.folder(job.job_id) / ARCHIVE, self.limits, job.max_rows)
        self._save(job)
        self._run_in_thread(importer, job, upload)
        return job

    def cancel(self, job: UploadJob) -> UploadJob:
        with self._lock:
            if job.state in (JobState.QUEUED, JobState.RUNNING):
                job.state = JobState.CANCELLING
            elif job.state == JobState.INTERRUPTED:
                job.state = JobState.CANCELLED
            elif job.state != JobState.CANCELLING:
                raise DomainError(f"the upload is {job.state.value} and cannot be cancelled")
        self._save(job)
        return job

    def get(self, job_id: str) -> UploadJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run_in_thread(self, importer: Importer, job: UploadJob, upload: Upload) -> None:
        threading.Thread(
            target=self._run,
            args=(importer, job, upload),
            daemon=True,
            name=f"watchlist-upload-{job.job_id}",
        ).start()

    def _run(self, importer: Importer, job: UploadJob, upload: Upload) -> None:
        try:
            if not self._advance(job, JobState.QUEUED, JobState.RUNNING):
                return
            engine = importer.engine_of()
            while job.done < len(upload.rows):
                if job.state == JobState.CANCELLING:
                    self._advance(job, JobState.CANCELLING, JobState.CANCELLED)
                    return
                row = upload.rows[job.done]
                if len(job.added) >= job.max_rows:
                    reason = f"the authorised watchlist size ({job.max_rows}) is reached"
                else:
                    reason = importer.enrol(job, upload, row, engine)
                label = row_label(job.done)
                if reason:
                    job.refused.append({"row": label})
                job.sealed_rows[label] = importer.seal_row(job, row.get("folder", ""), reason)
                job.done += 1
                self._save(job)
            self._finish(job, JobState.DONE)
        except Exception as error:  # the job must end with a reason, whatever went wrong
            job.error = f"{type(error).__name__}: {error}"
            self._finish(job, JobState.FAILED)

    def _advance(self, job: UploadJob, expected: JobState, to: JobState) -> bool:
        with self._lock:
            if job.state != expected:
                return False
            job.state = to
        self._save(job)
        return True

    def _finish(self, job: UploadJob, state: JobState) -> None:
        with self._lock:
            job.state = JobState.CANCELLED if job.state == JobState.CANCELLING else state
        self._save(job)
        # The uploaded faces and names, in plaintext, are needed only to resume the job: once it
        # has ended they exist only sealed in the entries, erasable with them.
        (self.folder(job.job_id) / ARCHIVE).unlink(missing_ok=True)

    def _save(self, job: UploadJob) -> None:
        """Writes the job's state atomically: a crash leaves the old state or the new."""
        path = self.folder(job.job_id) / STATE
        path.parent.mkdir(parents=True, exist_ok=True)
        # Each writer its own temporary file: the job's thread and a cancelling request
        # may save at the same moment.
        temporary = path.with_suffix(f".{threading.get_ident()}.tmp")
        with self._lock:
            text = json.dumps({**asdict(job), "state": job.state.value})
        with temporary.open("w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        with self._lock:  # the last state saved is the job's latest
            os.replace(temporary, path)

    def _load(self) -> None:
        """The jobs of earlier runs; those that were under way are now interrupted."""
        if not self.directory.exists():
            return
        for path in sorted(self.directory.glob(f"*/{STATE}")):
            try:
                values = json.loads(path.read_text())
                job = UploadJob(**{**values, "state": JobState(values["state"])})
            except (ValueError, TypeError, KeyError):
                continue  # a job file from another version: not ours to run
            if job.state in (JobState.QUEUED, JobState.RUNNING):
                job.state = JobState.INTERRUPTED
            elif job.state == JobState.CANCELLING:
                job.state = JobState.CANCELLED
            self._jobs[job.job_id] = job
