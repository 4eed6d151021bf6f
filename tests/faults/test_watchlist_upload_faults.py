"""Watchlist uploads under attack and under faults: a zip bomb, a manifest over the
authorised size, poison in the manifest, a cancelled upload, and a server killed mid-way."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from runtime.settings import Settings
from tests.api.process import Deployment, tokens
from tests.faults.served import served_api
from tests.support.faces import identities

ROW = {
    "category": "wanted_by_courts",
    "source": "PNC custody image",
    "legal_basis": "PACE Code D 3.30",
    "image_date": "2025-03-01",
}


def manifest(rows: list[dict[str, str]]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, ["folder", *ROW, "reference"])
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def people_zip(faces: Path, people: list[str], extra: list[dict[str, str]] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for person in people:
            z.writestr(f"wl/{person}/1.jpg", (faces / person / "1.jpg").read_bytes())
        rows = [{"folder": p, **ROW} for p in people] + (extra or [])
        z.writestr("wl/manifest.csv", manifest(rows))
    return buffer.getvalue()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'lfr.db'}", data_dir=tmp_path)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        test_client.roles = tokens(settings.secret("token_secret"))  # type: ignore[attr-defined]
        yield test_client


def _granted(client: TestClient, size: int | None = None) -> Deployment:
    d = Deployment(client, client.roles).granted()  # type: ignore[attr-defined]
    if size is not None:
        d.call(
            "authorising_officer",
            "POST",
            f"{d.deployment_path()}/watchlist-size",
            json={"max_size": size, "rationale": "a larger operation"},
        )
    return d


def _post_upload(d: Deployment, zipped: bytes) -> Any:
    return d.client.post(
        f"{d.deployment_path()}/watchlist/uploads",
        files={"files": ("watchlist.zip", zipped, "application/zip")},
        headers=d.tokens["applicant"],
    )


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 1 MB zip whose one entry inflates to 1 GB of zeros, beside a manifest."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("wl/manifest.csv", manifest([{"folder": "Big", **ROW}]))
        with z.open("wl/Big/1.jpg", "w", force_zip64=True) as entry:
            for _ in range(1024):
                entry.write(zeros)
    return path.read_bytes()


def test_a_zip_that_inflates_to_a_gigabyte_is_refused_within_100_mb(
    client: TestClient, zip_bomb: bytes
) -> None:
    d = _granted(client)
    assert len(zip_bomb) < 5 * 2**20
    tracemalloc.start()
    try:
        answer = _post_upload(d, zip_bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 422, answer.text
    assert "inflates" in answer.json()["detail"]
    assert peak < 100 * 2**20, f"refusing the zip took {peak / 2**20:.0f} MB"


def test_a_zip_whose_directory_lies_about_a_size_stops_at_the_bound(tmp_path: Path) -> None:
    from services.watchlist_import import UploadRefused, read_bounded

    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.bin", bytes(30 * 2**20))
    with zipfile.ZipFile(path) as z, pytest.raises(UploadRefused, match="inflates past"):
        read_bounded(z, "big.bin", 2**20)


def test_a_manifest_over_the_authorised_size_is_refused_before_any_entry(
    client: TestClient, shared_dir: Path
) -> None:
    d = _granted(client)  # authorised: 10 entries
    faces = shared_dir / "faces" / "dev"
    extra = [{"folder": f"Person_{n:05d}", **ROW} for n in range(20_000)]
    answer = _post_upload(d, people_zip(faces, ["Ali_Naimi"], extra))
    assert answer.status_code == 422, answer.text
    assert "authorised watchlist size" in answer.json()["detail"]
    assert not list((Path(client.app.state.uploads.directory)).glob("*/job.json"))  # type: ignore[attr-defined]


def test_poison_in_a_manifest_refuses_that_row_and_adds_the_others(
    client: TestClient, shared_dir: Path
) -> None:
    d = _granted(client)
    faces = shared_dir / "faces" / "dev"
    people = ["Ali_Naimi", "Allyson_Felix", "Ana_Guevara"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for person in people:
            z.writestr(f"wl/{person}/1.jpg", (faces / person / "1.jpg").read_bytes())
        rows = [
            {"folder": "Ali_Naimi", **ROW, "reference": "WL\x00-1"},
            {"folder": "Allyson_Felix", **ROW, "reference": "R" * 201},
            {"folder": "Ana_Guevara", **ROW, "reference": "WL-3", "source": "PNC\nimage"},
        ]
        z.writestr("wl/manifest.csv", manifest(rows))
    answer = _post_upload(d, buffer.getvalue())
    assert answer.status_code == 202, answer.text
    job = _wait(d, answer.json(), lambda j: j["state"] == "done")
    report = d.call(
        "applicant",
        "POST",
        f"/watchlist/uploads/{job['job_id']}/report",
        json={"justification": "checking the refusals"},
    )
    reasons = {r["folder"]: r["reason"] for r in report["rows"]}
    assert "control character U+0000" in reasons["Ali_Naimi"]
    assert "longer than 200" in reasons["Allyson_Felix"]
    added = [r["folder"] for r in report["rows"] if r["entry_id"]]
    assert added == ["Ana_Guevara"]  # line breaks are allowed in free text


def _wait(d: Deployment, job: dict[str, Any], until: Any, within_s: float = 120) -> Any:
    deadline = time.monotonic() + within_s
    while not until(job):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = d.call("applicant", "GET", f"/watchlist/uploads/{job['job_id']}")
    return job


def test_an_upload_can_be_cancelled_and_reports_what_it_added(
    client: TestClient, shared_dir: Path
) -> None:
    d = _granted(client, size=60)
    faces = shared_dir / "faces" / "dev"
    people = identities(faces)[:40]
    answer = _post_upload(d, people_zip(faces, people))
    assert answer.status_code == 202, answer.text
    job = _wait(d, answer.json(), lambda j: j["done"] >= 1)
    d.call("applicant", "POST", f"/watchlist/uploads/{job['job_id']}/cancellation")
    job = _wait(d, job, lambda j: j["state"] == "cancelled")
    assert job["done"] < job["total"] == 40
    assert len(job["added"]) + len(job["refused"]) == job["done"]
    later = _wait(d, job, lambda j: True)
    assert later["done"] == job["done"], "a cancelled upload adds nothing more"
    refused = d.client.post(
        f"/watchlist/uploads/{job['job_id']}/resumption", headers=d.tokens["applicant"]
    )
    assert refused.status_code == 409


@pytest.mark.slow
def test_an_upload_killed_mid_way_resumes_after_a_restart(tmp_path: Path, shared_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lfr.db'}"
    faces = shared_dir / "faces" / "dev"
    people = identities(faces)[:40]
    with served_api(url, tmp_path) as api, api.client(timeout=120) as http:
        d = Deployment(http, api.headers).granted()
        d.call(
            "authorising_officer",
            "POST",
            f"{d.deployment_path()}/watchlist-size",
            json={"max_size": 60, "rationale": "a larger operation"},
        )
        job = d.call(
            "applicant",
            "POST",
            f"{d.deployment_path()}/watchlist/uploads",
            202,
            files={"files": ("watchlist.zip", people_zip(faces, people), "application/zip")},
        )
        job = _wait(d, job, lambda j: j["done"] >= 2)
        api.process.kill()  # kill -9: no chance to save anything more
        api.process.wait(10)
    with served_api(url, tmp_path) as api, api.client(timeout=120) as http:
        d.client = http
        d.tokens = api.headers
        after = d.call("applicant", "GET", f"/watchlist/uploads/{job['job_id']}")
        assert after["state"] == "interrupted" and 1 <= after["done"] < 40, after
        d.call("applicant", "POST", f"/watchlist/uploads/{job['job_id']}/resumption")
        final = _wait(d, after, lambda j: j["state"] == "done", within_s=300)
        assert final["done"] == final["total"] == 40
        added = list(final["added"].values())
        assert len(set(added)) == len(added)
        # Every row is accounted for once: added, or refused with its reason (a row whose
        # entry was added just before the kill is reported as already on the watchlist).
        assert len(final["added"]) + len(final["refused"]) == 40
