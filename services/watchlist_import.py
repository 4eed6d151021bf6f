"""The watchlist upload: a zip (or a folder) of one folder per person and a manifest.

The manifest (`manifest.csv` or `manifest.parquet`, beside the person folders) has one row
per person: `folder`, `category`, `source`, `legal_basis`, `image_date` (ISO date), and
optionally `reference` (default: the folder name), `sensitive_flags` (`;`-separated),
`ao_rationale` and `image` (a file in the folder; default: its first image).

Everything in an upload is bounded before it is read (`UploadLimits`): the number of files,
each file's size once inflated and how far it inflates (a zip bomb is refused from its
directory, and reads stop at the bound whatever the directory claims), the manifest's rows
(no more than the authorised watchlist size), and each cell by the API's text rule.

Each row is checked and enrolled on its own: a refused row is reported with its reason and
adds nothing; the rows that pass are added. `services.upload_jobs` runs an upload as a durable
job.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import IO, Any

from domain.text import MAX_LINE, MAX_TEXT, refuse_control
from domain.values import SensitiveFlag, WatchlistCategory
from domain.watchlist import EntryDetails

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
REQUIRED = ("folder", "category", "source", "legal_basis", "image_date")
MANIFESTS = ("manifest.csv", "manifest.parquet")
CHUNK = 1 << 20
# Below this size a file may inflate as far as it likes (a CSV of repeated values does).
SMALL_FILE = 1 << 20
LINE_COLUMNS = ("folder", "reference", "category", "image_date", "image", "sensitive_flags")


class UploadRefused(ValueError):
    """The upload as a whole cannot be read (no manifest, missing columns, not a zip, over
    a bound)."""


@dataclass(frozen=True)
class UploadLimits:
    """How large an upload may be (from the settings, `max_upload_*`)."""

    max_files: int = 100_000
    max_file_bytes: int = 20 * 2**20
    max_total_bytes: int = 512 * 2**20
    max_inflation: float = 200.0

    @classmethod
    def of(cls, settings: Any) -> UploadLimits:
        return cls(
            max_files=settings.max_upload_files,
            max_file_bytes=settings.max_upload_file_bytes,
            max_total_bytes=settings.max_upload_bytes,
            max_inflation=settings.max_upload_inflation,
        )

    def check(self, archive: zipfile.ZipFile) -> None:
        """Refuses an archive whose directory is over a bound, before inflating anything."""
        infos = archive.infolist()
        if len(infos) > self.max_files:
            raise UploadRefused(f"the upload holds {len(infos)} files; at most {self.max_files}")
        total = 0
        for info in infos:
            _safe(info.filename)
            if info.file_size > self.max_file_bytes:
                raise UploadRefused(
                    f"{info.filename!r} inflates to {info.file_size} bytes; "
                    f"at most {self.max_file_bytes} per file"
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > SMALL_FILE and ratio > self.max_inflation:
                raise UploadRefused(
                    f"{info.filename!r} inflates {ratio:.0f} times; at most {self.max_inflation:g}"
                )
            total += info.file_size
        if total > self.max_total_bytes:
            raise UploadRefused(
                f"the upload inflates to {total} bytes; at most {self.max_total_bytes}"
            )


@dataclass
class Upload:
    """The uploaded files, kept as a zip file on disk while the upload's job lasts."""

    path: Path
    root: str  # the folder holding the manifest, inside the zip ('' at the top)
    rows: list[dict[str, str]]
    limits: UploadLimits

    def files(self, folder: str) -> list[str]:
        with zipfile.ZipFile(self.path) as z:
            prefix = f"{self.root}{folder}/"
            return sorted(
                n
                for n in z.namelist()
                if n.startswith(prefix)
                and "/" not in n[len(prefix) :]
                and PurePosixPath(n).suffix.lower() in IMAGE_SUFFIXES
            )

    def read(self, name: str) -> bytes:
        with zipfile.ZipFile(self.path) as z:
            return read_bounded(z, name, self.limits.max_file_bytes)


def read_bounded(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A file of the archive, read in chunks and refused past `limit` bytes whatever the
    archive's directory says (so a forged size cannot make it inflate without end)."""
    parts: list[bytes] = []
    size = 0
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadRefused(f"{name!r} inflates past {limit} bytes")
                parts.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise UploadRefused(f"{name!r} cannot be read from the zip: {error}") from None
    return b"".join(parts)


def _safe(name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise UploadRefused(f"file name {name!r} leaves the upload's folder")
    try:
        refuse_control(name, one_line=True)
    except ValueError as error:
        raise UploadRefused(f"a file name {error}") from None
    return str(path)


def archive_of(files: list[tuple[str, IO[bytes]]], path: Path, limits: UploadLimits) -> Path:
    """One zip at `path` from the uploaded files: a single .zip as is (its directory
    checked against `limits`), or a folder's files by their relative paths (as browsers
    send a folder upload), each within the bounds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(files) == 1 and files[0][0].lower().endswith(".zip"):
        source = files[0][1]
        source.seek(0)
        with path.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        if not zipfile.is_zipfile(path):
            raise UploadRefused("the uploaded .zip file is not a zip archive")
        try:
            with zipfile.ZipFile(path) as z:
                limits.check(z)
        except zipfile.BadZipFile as error:
            raise UploadRefused(f"the uploaded .zip cannot be read: {error}") from None
        return path
    if len(files) > limits.max_files:
        raise UploadRefused(f"the upload holds {len(files)} files; at most {limits.max_files}")
    with zipfile.ZipFile(path, "w") as z:
        for name, stream in files:
            stream.seek(0)
            data = stream.read(limits.max_file_bytes + 1)
            if len(data) > limits.max_file_bytes:
                raise UploadRefused(f"{name!r} is larger than {limits.max_file_bytes} bytes")
            z.writestr(_safe(name), data)
    return path


def open_upload(path: Path, limits: UploadLimits, max_rows: int) -> Upload:
    """Finds and reads the manifest; `UploadRefused` says what is wrong with the whole,
    including a manifest of more rows than `max_rows` (the authorised watchlist size)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = [_safe(n) for n in z.namelist()]
            found = sorted(
                (n for n in names if PurePosixPath(n).name.lower() in MANIFESTS),
                key=lambda n: n.count("/"),
            )
            if not found:
                raise UploadRefused("the upload has no manifest.csv or manifest.parquet")
            manifest = found[0]
            rows = read_manifest(
                manifest, read_bounded(z, manifest, limits.max_file_bytes), max_rows
            )
    except zipfile.BadZipFile as error:
        raise UploadRefused(f"the upload cannot be read as a zip: {error}") from None
    parent = str(PurePosixPath(manifest).parent)
    return Upload(path, "" if parent == "." else parent + "/", rows, limits)


def read_manifest(name: str, data: bytes, max_rows: int) -> list[dict[str, str]]:
    if name.lower().endswith(".parquet"):
        rows = _parquet_rows(data, max_rows)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadRefused("manifest.csv is not UTF-8 text") from None
        rows = []
        try:
            for row in csv.DictReader(io.StringIO(text)):
                rows.append({str(k).strip(): _cell_text(v) for k, v in row.items() if k})
                if len(rows) > max_rows:
                    break
        except csv.Error as error:
            raise UploadRefused(f"manifest.csv cannot be read: {error}") from None
    if not rows:
        raise UploadRefused("the manifest has no rows")
    if len(rows) > max_rows:
        raise UploadRefused(
            f"the manifest has more than {max_rows} rows, the authorised watchlist size"
        )
    absent = [c for c in REQUIRED if c not in rows[0]]
    if absent:
        raise UploadRefused(f"the manifest lacks the column(s) {absent}")
    return rows


def _cell_text(value: Any) -> str:
    if isinstance(value, list):  # csv puts extra fields of a row in a list
        return ";".join(str(v) for v in value)
    return (value or "").strip()


def _parquet_rows(data: bytes, max_rows: int) -> list[dict[str, str]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        metadata = parquet.metadata
        if metadata.num_rows > max_rows:
            raise UploadRefused(
                f"the manifest has {metadata.num_rows} rows; the authorised watchlist size "
                f"is {max_rows}"
            )
        inflated = sum(
            metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
        )
        if inflated > 8 * max(len(data), SMALL_FILE):
            raise UploadRefused(f"manifest.parquet inflates to {inflated} bytes")
        table = parquet.read()
    except UploadRefused:
        raise
    except Exception as error:  # pyarrow raises several kinds for a file it cannot read
        raise UploadRefused(f"manifest.parquet cannot be read: {error}") from None
    return [{k: _text(v) for k, v in record.items()} for record in table.to_pylist()]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value).strip()


def _checked(row: dict[str, str]) -> None:
    """Every cell by the API's rule for text: names one line of `MAX_LINE` characters,
    free text `MAX_TEXT`; no control characters anywhere."""
    for column, value in row.items():
        one_line = column in LINE_COLUMNS
        bound = MAX_LINE if one_line else MAX_TEXT
        if len(value) > bound:
            raise ValueError(f"{column}: longer than {bound} characters")
        try:
            refuse_control(value, one_line=one_line)
        except ValueError as error:
            raise ValueError(f"{column}: {error}") from None


def details_of(row: dict[str, str]) -> EntryDetails:
    """The entry's details from its manifest row; `ValueError` names the bad column."""

    def choice(column: str, kind: type[WatchlistCategory] | type[SensitiveFlag], value: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            known = ", ".join(m.value for m in kind)
            raise ValueError(f"{column}: {value!r} is not one of {known}") from None

    _checked(row)
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
