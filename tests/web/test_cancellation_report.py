"""The cancellation report in Chromium: on a 390 px phone nothing runs off the side of the
page, the plots fit the screen, and the timeline reads as labelled lines; at desktop size its
tables keep their columns. Screenshots of both are saved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.report import cancellation_report_html
from tests.projections.conftest import World, make_world
from tests.projections.test_cancellation_report import GOLDS_TEXT, submitted
from tests.web.browser import SCREENSHOTS, console_errors, screenshot

pytestmark = pytest.mark.slow


@pytest.fixture
def report_file(tmp_path: Path) -> Iterator[Path]:
    world: World = make_world("memory:", tmp_path)
    submitted(world)
    page = tmp_path / "report.html"
    page.write_text(cancellation_report_html(world.services.lfr, world.scenario.deployment))
    yield page
    world.models.close()


def _layout(browser: Any) -> dict[str, Any]:
    return dict(
        browser.execute_script(
            """
            const viewport = document.documentElement.clientWidth;
            const cells = [...document.querySelectorAll("table.stack tbody td")];
            return {
              viewport,
              page: document.documentElement.scrollWidth,
              widest: Math.max(...[...document.querySelectorAll("body *")].map(
                (e) => e.getBoundingClientRect().right)),
              plots: [...document.images].map((i) => i.getBoundingClientRect().width),
              labels: cells.slice(0, 4).map((td) => getComputedStyle(td, "::before").content),
              text: document.body.innerText,
            };
            """
        )
    )


def test_the_report_fits_a_390_pixel_phone_and_keeps_its_columns_on_a_desktop(
    browser: Any, report_file: Path
) -> None:
    try:
        browser.set_window_size(390, 844)
        browser.get(report_file.as_uri())
        phone = _layout(browser)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / "cancellation-report-390x844.png"))
        assert phone["page"] <= phone["viewport"], "the report scrolls sideways on a phone"
        assert phone["widest"] <= phone["viewport"] + 1
        assert len(phone["plots"]) == 3 and all(0 < w <= phone["viewport"] for w in phone["plots"])
        assert phone["labels"] == [
            '"Threshold: "',
            '"From: "',
            '"Until: "',
            '"Alerts raised at it: "',
        ]
        assert GOLDS_TEXT["evaluation"] in phone["text"]

        browser.set_window_size(1366, 900)
        browser.get(report_file.as_uri())
        desktop = _layout(browser)
        assert desktop["labels"] == ["none"] * 4  # a table with a header row
        assert all(w == 720 for w in desktop["plots"])
        assert not console_errors(browser)
        screenshot(browser, "cancellation-report-desktop")
    finally:
        browser.set_window_size(1280, 1000)
