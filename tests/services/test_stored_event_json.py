"""Stored events are written byte for byte as the event-sourcing library writes them, only
faster: what the ledger covers and auditors read does not depend on which writer stored it."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, Transcoding, TranscodingNotRegisteredError

from domain.alert import Alert
from runtime.bootstrap import open_services
from runtime.settings import Settings
from services.lfr import LfrService
from services.transcodings import StoredEventJSON
from tests.scenario import Scenario, start_clock


@pytest.fixture
def live(tmp_path: Path) -> Scenario:
    clock = start_clock()
    services = open_services(Settings(database_url=f"sqlite:///{tmp_path / 'e.db'}"), clock)
    return Scenario(services.lfr, clock).live()


class Colour(StrEnum):
    RED = "red"


def library_json(service: LfrService, state: Any) -> bytes:
    return JSONTranscoder.encode(service.mapper.transcoder, state)  # type: ignore[arg-type]


def test_a_stored_alert_is_the_librarys_json_byte_for_byte(live: Scenario) -> None:
    service = live.service
    alert_id = live.alert()
    stored = service.recorder.select_events(alert_id)[0]
    raised = service.mapper.to_domain_event(stored)
    state = {
        k: v for k, v in vars(raised).items() if k not in ("originator_id", "originator_version")
    }
    assert isinstance(state["sealed_probe"], bytes) and isinstance(state["audit"], object)
    assert stored.state == library_json(service, state)
    assert isinstance(service.repository.get(alert_id), Alert)


@pytest.mark.parametrize(
    "value",
    [
        {"score": 0.71, "threshold": 0.6, "zero": -0.0, "big": 123456789.125},
        {"small": 1e-05, "huge": 1e16, "tiny": 5e-324, "nan": math.nan, "inf": -math.inf},
        {"text": 'Zoë \u2028 \x00 \x1f "quoted" \\ 😀', "none": None, "yes": True},
        {"large": 2**70, "negative": -(2**63), "list": [1, (2, 3), {"a": uuid4()}]},
        {"enum": Colour.RED, Colour.RED: 1, "keys": {1: "one", None: "none"}},
        {"when": datetime(2026, 12, 1, 7, 0, tzinfo=UTC), "bytes": b"\x00\xff" * 100},
    ],
    ids=["plain floats", "exponent floats", "text", "integers and lists", "enums", "values"],
)
def test_any_event_state_is_the_librarys_json_byte_for_byte(
    live: Scenario, value: dict[Any, Any]
) -> None:
    service = live.service
    assert service.mapper.transcoder.encode(value) == library_json(service, value)


def test_a_value_of_no_registered_type_is_refused_as_the_library_refuses_it(
    live: Scenario,
) -> None:
    with pytest.raises(TranscodingNotRegisteredError):
        live.service.mapper.transcoder.encode({"what": object()})


class ColourAsName(Transcoding):
    type = Colour
    name = "colour"

    def encode(self, obj: Colour) -> str:
        return obj.name

    def decode(self, data: str) -> Colour:
        return Colour[data]


def test_a_registered_type_that_is_text_is_written_as_text_as_the_library_does() -> None:
    transcoder = StoredEventJSON()
    transcoder.register(ColourAsName())
    state = {"colour": Colour.RED, "colours": [Colour.RED]}
    assert transcoder.encode(state) == JSONTranscoder.encode(transcoder, state)
    assert transcoder.encode(state) == b'{"colour":"red","colours":["red"]}'
