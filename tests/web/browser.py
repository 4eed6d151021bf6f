"""Helpers for the browser tests: a server in a thread, console errors, screenshots."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """An ASGI app served by uvicorn in a thread: `url(path)` for the browser."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = _free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning",
            timeout_graceful_shutdown=1,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def console_errors(driver: Any) -> list[str]:
    """The browser console's errors since the last call (the log is drained by reading)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


SIZES = {"desktop": (1366, 900), "phone": (390, 844)}  # CSS pixels


def _emulate(driver: Any, width: int, height: int, mobile: bool) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def screenshot(driver: Any, name: str, axe: bool = True) -> list[Path]:
    """Checks the page as people meet it: axe-core finds no serious or critical WCAG 2.2
    A/AA violation, and at a phone's width the page does not scroll sideways; saves the
    whole page at 1366x900 and 390x844 as `artifacts/screenshots/<name>-<size>.png`."""
    from tests.web.accessibility import violations

    found = violations(driver) if axe else []
    assert found == [], f"{name}: accessibility violations {found}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    try:
        for size, (width, height) in SIZES.items():
            _emulate(driver, width, height, size == "phone")
            driver.execute_script("window.scrollTo(0, 0)")
            if size == "phone":
                wide = driver.execute_script("return document.documentElement.scrollWidth")
                assert wide <= width, f"{name}: the page is {wide} px wide on a {width} px phone"
            tall = driver.execute_script("return document.documentElement.scrollHeight")
            _emulate(driver, width, min(max(int(tall), height), 6000), size == "phone")
            path = SCREENSHOTS / f"{name}-{size}.png"
            driver.save_screenshot(str(path))
            saved.append(path)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return saved


def sign_in(driver: Any, served: Served, token: str) -> None:
    """Signs in through the sign-in page, as a person pastes a token (signed out first)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(served.url("/web/sign-in"))
    driver.execute_script("localStorage.clear()")
    driver.get(served.url("/web/sign-in"))
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#sign-in button[type=submit]").click()
    WebDriverWait(driver, 10).until(seen.visibility_of_element_located((By.ID, "signed-in")))


def wait(driver: Any, seconds: float = 20) -> Any:
    """Waits for a condition; an element replaced while a page loads is looked up again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver, seconds, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
    )
