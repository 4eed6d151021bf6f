"""The watchlist upload: a zip (or a folder) of one folder per person and a manifest.

The manifest (`manifest.csv` or `manifest.parquet`, beside the person folders) has one row
per person: `folder`, `category`, `source`, `legal_basis`, `image_date` (ISO date), and
optionally `reference` (default: the folder name), `sensitive_flags` (`;`-separated),
`ao_rationale` and `image` (a file in the folder; default: its first image).

Each row is checked and enrolled on its own: a refused row is reported with its reason and
adds nothing; the rows that pass are added. A large upload runs as a background job whose
progress (`done` of `total`) the caller polls.
"""

from __future__ import annotations

import csv
import io
import tempfile
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import IO, Any

from domain.errors import ConcurrentChange, DomainError
from domain.values import Actor, SensitiveFlag, WatchlistCategory
from domain.watchlist import EntryDetails

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
REQUIRED = ("folder", "category", "source", "legal_basis", "image_date")
MANIFESTS = ("manifest.csv", "manifest.parquet")


class UploadRefused(ValueError):
    """The upload as a whole cannot be read (no manifest, missing columns, not a zip)."""


@dataclass
class Upload:
    """The uploaded files, kept as a zip in a temporary file until the job ends."""

    archive: IO[bytes]
    root: str  # the folder holding the manifest, inside the zip ('' at the top)
    rows: list[dict[str, str]]

    def files(self, folder: str) -> list[str]:
        with zipfile.ZipFile(self.archive) as z:
            prefix = f"{self.root}{folder}/"
            return sorted(
                n
                for n in z.namelist()
                if n.startswith(prefix)
                and "/" not in n[len(prefix) :]
                and PurePosixPath(n).suffix.lower() in IMAGE_SUFFIXES
            )

    def read(self, name: str) -> bytes:
        with zipfile.ZipFile(self.archive) as z:
            return z.read(name)

    def close(self) -> None:
        self.archive.close()


def _safe(name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise UploadRefused(f"file name {name!r} leaves the upload's folder")
    return str(path)


def archive_of(files: list[tuple[str, IO[bytes]]]) -> IO[bytes]:
    """One zip from the uploaded files: a single .zip as is, or a folder's files by their
    relative paths (as browsers send a folder upload)."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (returned open; the job closes it)
    if len(files) == 1 and files[0][0].lower().endswith(".zip"):
        source = files[0][1]
        source.seek(0)
        while chunk := source.read(1 << 20):
            spool.write(chunk)
        spool.seek(0)
        if not zipfile.is_zipfile(spool):
            spool.close()
            raise UploadRefused("the uploaded .zip file is not a zip archive")
        return spool
    with zipfile.ZipFile(spool, "w") as z:
        for name, stream in files:
            stream.seek(0)
            z.writestr(_safe(name), stream.read())
    return spool


def open_upload(archive: IO[bytes]) -> Upload:
    """Finds and reads the manifest; `UploadRefused` says what is wrong with the whole."""
    archive.seek(0)
    with zipfile.ZipFile(archive) as z:
        names = [_safe(n) for n in z.namelist()]
        found = sorted(
            (n for n in names if PurePosixPath(n).name.lower() in MANIFESTS),
            key=lambda n: n.count("/"),
        )
        if not found:
            raise UploadRefused("the upload has no manifest.csv or manifest.parquet")
        manifest = found[0]
        rows = read_manifest(manifest, z.read(manifest))
    parent = str(PurePosixPath(manifest).parent)
    return Upload(archive, "" if parent == "." else parent + "/", rows)


def read_manifest(name: str, data: bytes) -> list[dict[str, str]]:
    if name.lower().endswith(".parquet"):
        rows = _parquet_rows(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadRefused("manifest.csv is not UTF-8 text") from None
        rows = [
            {k.strip(): (v or "").strip() for k, v in row.items() if k}
            for row in csv.DictReader(io.StringIO(text))
        ]
    if not rows:
        raise UploadRefused("the manifest has no rows")
    absent = [c for c in REQUIRED if c not in rows[0]]
    if absent:
        raise UploadRefused(f"the manifest lacks the column(s) {absent}")
    return rows


def _parquet_rows(data: bytes) -> list[dict[str, str]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as error:  # pyarrow raises several kinds for a file it cannot read
        raise UploadRefused(f"manifest.parquet cannot be read: {error}") from None
    rows = []
    for record in table.to_pylist():
        rows.append({k: _text(v) for k, v in record.items()})
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value).strip()


def details_of(row: dict[str, str]) -> EntryDetails:
    """The entry's details from its manifest row; `ValueError` names the bad column."""

    def choice(column: str, kind: type[WatchlistCategory] | type[SensitiveFlag], value: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            known = ", ".join(m.value for m in kind)
            raise ValueError(f"{column}: {value!r} is not one of {known}") from None

    try:
        image_date = date.fromisoformat(row["image_date"])
    except ValueError:
        raise ValueError(f"image_date: {row['image_date']!r} is not an ISO date") from None
    flags = [f.strip() for f in row.get("sensitive_flags", "").split(";") if f.strip()]
    return EntryDetails(
        reference=row.get("reference") or row["folder"],
        category=choice("category", WatchlistCategory, row["category"]),
        source=row["source"],
        legal_basis=row["legal_basis"],
        image_date=image_date,
        sensitive_flags=tuple(choice("sensitive_flags", SensitiveFlag, f) for f in flags),
        ao_rationale=row.get("ao_rationale", ""),
    )


@dataclass
class UploadJob:
    """One upload's progress and its report, entry by entry."""

    deployment_id: uuid.UUID
    total: int
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: str = "queued"
    done: int = 0
    added: dict[str, str] = field(default_factory=dict)
    refused: list[dict[str, str]] = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "deployment_id": str(self.deployment_id),
            "state": self.state,
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

    def run(self, job: UploadJob, upload: Upload, actor: Actor) -> None:
        job.state = "running"
        try:
            engine = self.engine_of()
            for row in upload.rows:
                reason = self._enrol(job, upload, row, actor, engine)
                if reason:
                    job.refused.append({"folder": row.get("folder", ""), "reason": reason})
                job.done += 1
            job.state = "done"
        except Exception as error:  # the job must end with a reason, whatever went wrong
            job.state, job.error = "failed", f"{type(error).__name__}: {error}"
        finally:
            upload.close()

    def _enrol(
        self, job: UploadJob, upload: Upload, row: dict[str, str], actor: Actor, engine: Any
    ) -> str:
        """Adds one entry; returns the reason it was refused, or '' when added."""
        from recognition.enrol import EnrolmentError, template_from_image

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
            return (
                f"no image {wanted!r} in folder {folder!r}"
                if wanted
                else f"folder {folder!r} holds no image"
            )
        image = upload.read(images[0])
        try:
            template = template_from_image(engine, image)
        except EnrolmentError as error:
            return str(error)
        try:
            entry_id = self.lfr.add_watchlist_entry(
                actor, job.deployment_id, details, image, template.vector.tobytes(), engine.model_id
            )
        except ConcurrentChange:
            return f"an entry with reference {details.reference!r} is already on this watchlist"
        except DomainError as error:
            return str(error)
        job.added[folder] = str(entry_id)
        return ""


class UploadJobs:
    """The server's upload jobs, each run on its own thread."""

    def __init__(self) -> None:
        self._jobs: dict[str, UploadJob] = {}
        self._lock = threading.Lock()

    def start(
        self, importer: Importer, deployment_id: uuid.UUID, upload: Upload, actor: Actor
    ) -> UploadJob:
        job = UploadJob(deployment_id, total=len(upload.rows))
        with self._lock:
            self._jobs[job.job_id] = job
        threading.Thread(
            target=importer.run,
            args=(job, upload, actor),
            daemon=True,
            name=f"watchlist-upload-{job.job_id}",
        ).start()
        return job

    def get(self, job_id: str) -> UploadJob | None:
        with self._lock:
            return self._jobs.get(job_id)
