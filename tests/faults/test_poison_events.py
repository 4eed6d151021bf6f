"""A stored event no projection can write (a NUL that PostgreSQL text cannot hold) is
recorded as failed and skipped: the read models, `lfr project --once` and `lfr api` go on,
operators see it, and it is projected after a fix.

The edge refuses such text now, so the poison is stored through the domain service, as
events stored before that rule (or by a defect elsewhere) would be."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest

from projections.audit import TimelineProjection
from projections.directory import DirectoryProjection
from projections.recorded import Recorded
from runtime.bootstrap import open_read_models, open_services
from runtime.settings import Settings
from tests.faults.served import served_api
from tests.scenario import APPLICANT, OPERATOR, Scenario, entry, start_clock, template_of

pytestmark = pytest.mark.postgres


def _store_poison(settings: Settings) -> dict[str, UUID]:
    """A live deployment whose entry is read with a NUL in the s.62 justification, a second
    deployment whose watchlist entry has a NUL in its reference, then an ordinary alert."""
    clock = start_clock()
    services = open_services(settings, clock=clock)
    live = Scenario(services.lfr, clock).live(entries=2)
    services.lfr.consult_watchlist_image(OPERATOR, live.entry_ids[0], "checking\x00 the image")
    other = Scenario(services.lfr, clock).granted()
    poisoned = services.lfr.add_watchlist_entry(
        APPLICANT, other.deployment, entry("WL\x00-9"), b"\xff\xd8jpeg", template_of(9), "dlib-r1"
    )
    alert = live.alert(1, track="after-the-poison")
    return {"deployment": live.deployment, "alert": alert, "poisoned_entry": poisoned}


def test_a_nul_event_is_recorded_as_failed_and_the_read_models_go_on(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database_url=postgres_url, data_dir=tmp_path)
    ids = _store_poison(settings)
    models = open_read_models(settings)
    models.catch_up()

    queue = models.alert_queue(ids["deployment"])
    assert [r["alert_id"] for r in queue] == [str(ids["alert"])], "events after the poison"
    failed = models.failed_events()
    assert "timeline" in {f["projection"] for f in failed}
    kinds = {f["error"].split(":")[0] for f in failed}  # text, and JSON holding \u0000
    assert kinds <= {"DataError", "UntranslatableCharacter"}, failed
    assert all("\x00" not in str(f) and "WL" not in str(f) for f in failed)
    assert models.retry_failed() == (0, len(failed)), "nothing changed: they fail again"

    # A restart catches up from where it was: the failures stay recorded, nothing repeats.
    again = open_read_models(settings)
    assert again.catch_up() == 0
    assert len(again.failed_events()) == len(failed)

    # The fix (here: the projections that copy the text drop NUL from it), then a retry.
    for projection in (TimelineProjection, DirectoryProjection):
        monkeypatch.setattr(projection, "apply", _dropping_nul(projection.apply))
    assert again.retry_failed() == (len(failed), 0)
    assert again.failed_events() == []
    timeline = again.timeline(ids["deployment"])
    assert any(row["justification"] == "checking the image" for row in timeline)


def _dropping_nul(apply: Any) -> Any:
    def fixed_apply(self: Any, event: Recorded, batch: Any) -> None:
        state = orjson.loads(orjson.dumps(event.state).replace(b"\\u0000", b""))
        fixed = Recorded(
            event.notification_id, event.topic, event.originator_id, event.originator_version, state
        )
        apply(self, fixed, batch)

    return fixed_apply


def test_lfr_project_once_and_lfr_api_start_and_show_the_failed_events(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=postgres_url, data_dir=tmp_path)
    ids = _store_poison(settings)
    env = {**os.environ, "LFR_DATABASE_URL": postgres_url, "LFR_DATA_DIR": str(tmp_path)}
    once = subprocess.run(
        [sys.executable, "-m", "cli.main", "project", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert once.returncode == 0, once.stderr
    assert "could not be projected" in once.stderr and "Traceback" not in once.stderr
    with served_api(postgres_url, tmp_path) as api, api.client() as client:
        assert client.get("/public/register").status_code == 200
        queue = client.get(
            "/alerts",
            params={"deployment_id": str(ids["deployment"])},
            headers=api.headers["operator"],
        )
        assert queue.status_code == 200, queue.text
        shown = client.get("/operations/projection-failures", headers=api.headers["auditor"])
        assert shown.status_code == 200, shown.text
        assert "timeline" in {r["projection"] for r in shown.json()["rows"]}
        retried = client.post(
            "/operations/projection-failures/retry", headers=api.headers["auditor"]
        )
        assert retried.status_code == 200 and retried.json()["still_failing"] >= 1
