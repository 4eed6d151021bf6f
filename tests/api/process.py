"""A whole deployment driven through the HTTP API, one role per step (in-process or served)."""

from __future__ import annotations

import base64
import csv
import io
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api.auth import issue_token
from domain.values import ApplicationSection, DecisionArea, PreDeploymentCheck
from tests.scenario import probe_jpeg

USERS = {
    "applicant": "insp-applicant",
    "authorising_officer": "supt-ao",
    "gold": "ci-gold",
    "operator": "pc-operator",
    "engagement_officer": "pc-engager",
    "dpo": "dpo-1",
    "auditor": "auditor-1",
    "worker": "worker-1",
}
LOCATION = {
    "name": "Oxford Circus",
    "borough": "Westminster",
    "latitude": 51.5152,
    "longitude": -0.1418,
}
PEOPLE = ("Ali_Naimi", "Allyson_Felix", "Ana_Guevara")


class Tokens(dict[str, dict[str, str]]):
    """An Authorization header per officer's role; a worker's is bound to a deployment."""

    def __init__(self, secret: bytes) -> None:
        super().__init__(
            (role, bearer(issue_token(secret, user, [role])))
            for role, user in USERS.items()
            if role != "worker"
        )
        self.secret = secret

    def worker(
        self, deployment_id: str, cameras: tuple[str, ...] = ("camera-1",)
    ) -> dict[str, str]:
        token = issue_token(
            self.secret, USERS["worker"], ["worker"], deployment_id=deployment_id, cameras=cameras
        )
        return bearer(token)

    def officer(self, user: str, role: str) -> dict[str, str]:
        return bearer(issue_token(self.secret, user, [role]))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tokens(secret: bytes) -> Tokens:
    """An Authorization header per role (the worker's once a deployment is granted)."""
    return Tokens(secret)


def watchlist_zip(faces: Path) -> bytes:
    """Three people with a face each, one row of an unauthorised category, one folder
    whose image holds no face: the upload must add three and refuse two, with reasons."""
    rows = [
        {
            "folder": p,
            "category": "wanted_by_courts",
            "source": "PNC custody image",
            "legal_basis": "PACE Code D 3.30",
            "image_date": "2025-03-01",
        }
        for p in PEOPLE
    ]
    rows.append({**rows[0], "folder": "Art_Howe", "category": "victim_or_witness"})
    rows.append({**rows[0], "folder": "No_Face"})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for person in (*PEOPLE, "Art_Howe"):
            z.writestr(f"wl/{person}/1.jpg", (faces / person / "1.jpg").read_bytes())
        z.writestr("wl/No_Face/1.jpg", _blank_jpeg())
        text = io.StringIO()
        writer = csv.DictWriter(text, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        z.writestr("wl/manifest.csv", text.getvalue())
    return buffer.getvalue()


def _blank_jpeg() -> bytes:
    import cv2
    import numpy as np

    ok, encoded = cv2.imencode(".jpg", np.full((200, 200, 3), 128, np.uint8))
    assert ok
    return bytes(encoded)


def submission(starts_at: datetime, hours: float = 8) -> dict[str, Any]:
    return {
        "sections": {s.value: f"Section {s.value} completed." for s in ApplicationSection},
        "proposal": {
            "location": LOCATION,
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=hours)).isoformat(),
            "use_case": "Crime Hotspot",
            "watchlist_categories": ["wanted_by_courts", "suspect"],
            "watchlist_max_size": 10,
            "threshold": 0.64,
            "cameras": ["camera-1"],
        },
        "authorising_officer_id": USERS["authorising_officer"],
    }


def authority() -> dict[str, Any]:
    return {
        "decisions": {
            a.value: {"outcome": "approve", "rationale": f"Decision {a.value}: approved."}
            for a in DecisionArea
        },
        "document_versions": {
            "policy": "2024.1",
            "sop": "2024.1",
            "legal_mandate": "2024.1",
            "dpia": "5.2",
        },
        "gold_id": USERS["gold"],
    }


class Deployment:
    """Steps of one deployment; each asserts its HTTP status and returns the JSON."""

    def __init__(self, client: Any, tokens: dict[str, dict[str, str]]) -> None:
        self.client, self.tokens = client, dict(tokens)
        self.bound_tokens = tokens
        self.application_id = self.deployment_id = ""
        self.entry_ids: list[str] = []
        self.watchlist_version = self.model_id = ""

    def call(self, role: str, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        response = self.client.request(method, path, headers=self.tokens[role], **kw)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if "json" in response.headers.get("content-type", "") else response

    def deployment_path(self) -> str:
        return f"/deployments/{self.deployment_id}"

    def granted(self) -> Deployment:
        a = f"/applications/{self.submitted()}"
        self.deployment_id = self.call(
            "authorising_officer", "POST", f"{a}/authority", 201, json=authority()
        )["deployment_id"]
        if isinstance(self.bound_tokens, Tokens):
            self.tokens["worker"] = self.bound_tokens.worker(self.deployment_id)
        return self

    def submitted(self) -> str:
        """An application submitted and awaiting the AO; returns its id."""
        now = datetime.now(UTC)
        self.application_id = self.call(
            "applicant",
            "POST",
            "/applications",
            201,
            json={"objective": "Reduce knife crime in the West End", "use_case": "Crime Hotspot"},
        )["id"]
        a = f"/applications/{self.application_id}"
        self.call(
            "applicant",
            "POST",
            f"{a}/intelligence-case",
            json={"reference": "F3-2026-114", "summary": "Robbery hotspot"},
        )
        self.call(
            "applicant", "POST", f"{a}/submission", json=submission(now - timedelta(minutes=5))
        )
        return self.application_id

    def upload(self, zipped: bytes) -> dict[str, Any]:
        d = f"/deployments/{self.deployment_id}"
        job = self.call(
            "applicant",
            "POST",
            f"{d}/watchlist/uploads",
            202,
            files={"files": ("watchlist.zip", zipped, "application/zip")},
        )
        deadline = time.monotonic() + 120
        while job["state"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = self.call("applicant", "GET", f"/watchlist/uploads/{job['job_id']}")
        return job  # type: ignore[no-any-return]

    def prepared(self, zipped: bytes) -> dict[str, Any]:
        d = f"/deployments/{self.deployment_id}"
        self.call(
            "gold",
            "POST",
            f"{d}/command",
            json={
                "members": {
                    "operators": [USERS["operator"]],
                    "engagement": [USERS["engagement_officer"]],
                }
            },
        )
        for check in PreDeploymentCheck:
            self.call(
                "gold",
                "POST",
                f"{d}/checks",
                json={"check": check.value, "detail": f"{check.value} done"},
            )
        job = self.upload(zipped)
        self.entry_ids = list(job["added"].values())
        self.watchlist_version = self.call(
            "applicant", "POST", f"{d}/watchlist/compilation", json={"entry_ids": self.entry_ids}
        )["version"]
        self.call("gold", "POST", f"{d}/watchlist/review", json={"notes": "Reviewed"})
        self.call("operator", "POST", f"{d}/watchlist/import", json={"medium": "encrypted USB 77"})
        self.model_id = self.call("gold", "GET", d)["watchlist_model_id"]
        return job

    def live(self) -> None:
        self.call(
            "gold",
            "POST",
            f"/deployments/{self.deployment_id}/start",
            json={"cameras": ["camera-1"]},
        )

    def match_body(self, n: int = 0, track: str = "t1", **changes: Any) -> dict[str, Any]:
        """A match as the bound worker reports it; `changes` make a forged or wrong one."""
        body = {
            "event_id": f"m-{self.deployment_id}-{track}-{n}",
            "deployment_id": self.deployment_id,
            "camera_id": "camera-1",
            "observed_at": datetime.now(UTC).isoformat(),
            "entry_id": self.entry_ids[n],
            "score": 0.9,
            "model_id": self.model_id,
            "model_version": "1",
            "watchlist_version": self.watchlist_version,
            "track_id": track,
            "probe_jpeg_base64": base64.b64encode(probe_jpeg()).decode(),
        }
        return {**body, **changes}

    def match(self, n: int = 0, track: str = "t1") -> str:
        return str(
            self.call("worker", "POST", "/matches", 201, json=self.match_body(n, track))["id"]
        )
