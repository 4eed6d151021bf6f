"""Nothing personal leaves through a route that needs no token.

After a whole demo (a watchlist enrolled, a video run through the worker, alerts adjudicated,
an arrest, the register entry published), every GET route of the API and of the web pages is
fetched without a token, for every id the demo made. Every answer, and every hex and base64
string inside it (decoded again and again, JSON within), is searched for what must never be
public: an officer's id, a watchlist reference or the enrolled person's name, a free-text
note or reason, a watchlist entry id, a JPEG, a sealed ciphertext, or a stored event that is
not one of the public register's own."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from api.app import create_app
from cli.main import main
from runtime.bootstrap import open_services
from runtime.settings import Settings

pytestmark = pytest.mark.slow

PUBLIC_TOPIC = re.compile(
    r":PublicRecord\.(PublicNoticePublished|ResultsPublished|ResultsAmended|EndingPublished)$"
)
# Fields of stored events that hold free text or names about people and decisions.
FREE_TEXT = {
    "notes", "reason", "detail", "justification", "reference", "evaluation", "learning",
    "objective", "summary", "rationale", "source", "legal_basis", "approver",
}  # fmt: skip
# Fields whose every value is free text (an application's sections, an AO's decisions).
FREE_TEXT_CONTAINERS = {"sections", "decisions", "report"}
HEX = re.compile(r"(?:[0-9a-fA-F]{2}){8,}")
B64 = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
JPEG = b"\xff\xd8\xff"


class Secrets:
    """What the demo stored that must never be public, gathered from the event store."""

    def __init__(self) -> None:
        self.texts: set[str] = set()  # officer ids, references, names, notes
        self.blobs: set[bytes] = set()  # sealed ciphertexts
        self.entry_ids: set[str] = set()
        self.ids: set[str] = set()  # every aggregate id, to fill path parameters

    def add_event(self, topic: str, originator_id: str, state: dict[str, Any]) -> None:
        self.ids.add(originator_id)
        if PUBLIC_TOPIC.search(topic):
            return
        if ":WatchlistEntry." in topic:
            self.entry_ids.add(originator_id)
        audit = (state.get("audit") or {}).get("_data_") or {}
        if audit.get("actor_role") not in (None, "system", "worker"):
            self.texts.add(audit["actor_id"])
        self._walk(state, None)

    def _walk(self, value: Any, key: str | None) -> None:
        if isinstance(value, dict):
            if value.get("_type_") == "b64":
                self.blobs.add(base64.b64decode(value["_data_"]))
                return
            for k, v in value.items():
                inherited = key in FREE_TEXT_CONTAINERS or (k == "_data_" and key is not None)
                self._walk(v, key if inherited else k)
        elif isinstance(value, list):
            for v in value:
                self._walk(v, key)
        elif (
            isinstance(value, str)
            and len(value) >= 6
            and (key in FREE_TEXT or (key in FREE_TEXT_CONTAINERS and " " in value))
        ):  # in a container, a word alone is an enum ("approve"), not free text
            self.texts.add(value)

    def needles(self) -> list[bytes]:
        found = {t.encode() for t in self.texts}
        for entry in self.entry_ids:
            found |= {entry.encode(), *_forms(entry)}
        for blob in self.blobs:
            middle = blob[len(blob) // 2 - 12 : len(blob) // 2 + 12]
            found |= {middle, base64.b64encode(blob)[8:40]}
        return sorted(found)


def _forms(text: str) -> set[bytes]:
    """A UUID's other spellings (hex digits, raw bytes); none for other text."""
    try:
        uuid = UUID(text)
    except ValueError:
        return set()
    return {uuid.hex.encode(), uuid.bytes}


def _decodings(text: str) -> Iterator[bytes]:
    """The bytes each hex or base64 run in `text` stands for."""
    for run in HEX.findall(text):
        yield bytes.fromhex(run[: len(run) // 2 * 2])
    for run in B64.findall(text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decode(run + "=" * (-len(run) % 4))
            except (binascii.Error, ValueError):
                continue
            yield decoded


class Scan:
    def __init__(self, needles: list[bytes]) -> None:
        self.needles = needles
        self.current = needles
        self.problems: list[str] = []
        self.events = 0

    def answer(self, where: str, body: bytes, asked: str) -> None:
        """Scans one answer; `asked` is the id in its URL, which a page may echo back."""
        echoed = {asked.encode(), *_forms(asked)}
        self.current = [n for n in self.needles if n not in echoed]
        self.bytes_(where, body, depth=0)
        try:
            document = json.loads(body)
        except ValueError:
            return
        self.json(where, document)

    def json(self, where: str, value: Any) -> None:
        if isinstance(value, dict):
            # An event's topic is text (a dict there is the OpenAPI schema describing events).
            if {"topic", "state", "originator_id"} <= set(value) and isinstance(
                value["topic"], str
            ):
                self.events += 1
                if not PUBLIC_TOPIC.search(str(value["topic"])):
                    self.problems.append(f"{where}: serves a {value['topic']} event")
            for v in value.values():
                self.json(where, v)
        elif isinstance(value, list):
            for v in value:
                self.json(where, v)

    def bytes_(self, where: str, data: bytes, depth: int) -> None:
        for needle in self.current:
            if needle in data:
                self.problems.append(f"{where}: holds {needle[:40]!r} (depth {depth})")
        if data.startswith(JPEG) or (depth and JPEG in data[:4]):
            self.problems.append(f"{where}: holds a JPEG (depth {depth})")
        if depth >= 3:
            return
        text = data.decode("utf-8", "replace")
        for decoded in _decodings(text):
            if len(decoded) >= 6:
                self.bytes_(where, decoded, depth + 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A whole demo, with its generated video, on the embedded default store."""
    data = tmp_path_factory.mktemp("demo-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LFR_DATA_DIR", str(data))
        patch.delenv("LFR_DATABASE_URL", raising=False)
        patch.delenv("LFR_KAFKA_BOOTSTRAP", raising=False)
        assert main(["demo", "--json"]) == 0
        yield Settings()


def _secrets(settings: Settings) -> Secrets:
    services = open_services(settings)
    secrets = Secrets()
    for n in services.lfr.recorder.select_notifications(start=1, limit=10**6):
        secrets.add_event(n.topic, str(n.originator_id), json.loads(n.state))
    return secrets


def _get_paths(routes: Any, prefix: str = "") -> set[str]:
    """Every GET path of the app, its included routers' too (however FastAPI nests them)."""
    found = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            found |= _get_paths(included.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(route, Route) and "GET" in (route.methods or ()):
            found.add(re.sub(r"{(\w+):\w+}", r"{\1}", prefix + route.path))  # no converters
    return found


def _filled(path: str, ids: list[str]) -> list[tuple[str, str]]:
    """(value, path) with the path's parameters filled by each id and small numbers."""
    if "{" not in path:
        return [("", path)]
    values = [*ids, "1", "2", "5", "50", "000", "001"]  # "000": the first tile of a C2SP log
    return [(value, re.sub(r"{[^}]+}", value, path)) for value in values]


def test_no_route_without_a_token_serves_anything_personal_after_a_demo_with_video(
    demo: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    secrets = _secrets(demo)
    assert secrets.entry_ids and secrets.blobs and len(secrets.texts) > 10, "the demo stored data"
    assert any(t.startswith("pc-") for t in secrets.texts), "officer ids were gathered"
    scan = Scan(secrets.needles())
    answered: dict[str, int] = {}
    with TestClient(create_app(demo)) as client:
        paths = sorted(_get_paths(client.app.routes))  # type: ignore[attr-defined]
        openapi = client.get("/openapi.json").json()
        documented = {p for p, ops in openapi["paths"].items() if "get" in ops}
        assert documented <= set(paths), "every documented GET route is fetched"
        for path in paths:
            for asked, url in _filled(path, sorted(secrets.ids)):
                answer = client.get(url)
                if answer.status_code < 400:
                    answered[path] = answered.get(path, 0) + 1
                    scan.answer(url, answer.content, asked)
    assert scan.problems == [], "\n".join(scan.problems[:40])
    for public in (
        "/public/register",
        "/public/register/{deployment_id}",
        "/web/register",
        "/web/register/{deployment_id}",
    ):
        assert answered.get(public), f"{public} answered nothing: the scan would prove nothing"
    assert scan.events >= 3, "the register's public events (with their proofs) were scanned"
