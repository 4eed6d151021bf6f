"""Browser tests: the API served by uvicorn on a loopback port, and headless Chromium
(Debian's `chromium` and `chromium-driver`, installed by `.ci/browsers`) driven by Selenium.

Every test checks the browser console for errors and saves a screenshot of its page under
`artifacts/screenshots/`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import Served

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture
def serve(browser: Any) -> Iterator[Any]:
    """`serve(app)` starts the app; every server is stopped after the test, once the browser
    has left its pages (an open event stream would hold the server's shutdown)."""
    servers: list[Served] = []

    def start(app: Any) -> Served:
        served = Served(app).__enter__()
        servers.append(served)
        return served

    yield start
    browser.get("about:blank")
    for served in servers:
        served.__exit__()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium; missing browsers skip locally and fail on CI."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "chromium and chromium-driver are not installed (.ci/browsers installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
