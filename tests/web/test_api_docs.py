"""The API's documentation page works offline: every file it loads comes from the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from runtime.settings import Settings
from tests.web.browser import console_errors, screenshot, wait

pytestmark = pytest.mark.slow


def test_the_api_docs_render_every_operation_from_files_the_api_serves_itself(
    browser: Any, serve: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    app = create_app(Settings(database_url="memory:", data_dir=tmp_path))
    served = serve(app)
    browser.get(served.url("/docs"))
    wait(browser, 30).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock")) > 20
    )
    operations = browser.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock")
    documented = sum(len(ops) for ops in app.openapi()["paths"].values())
    assert len(operations) == documented, "every documented operation is shown"
    loaded = browser.execute_script(
        "return [location.href, ...performance.getEntriesByType('resource').map(r => r.name)]"
    )
    origin = served.url("/")
    assert len(loaded) > 3 and all(url.startswith(origin) for url in loaded), loaded
    screenshot(browser, "api-docs", axe=False)  # Swagger UI's own markup, for developers
    assert console_errors(browser) == []


def test_no_page_of_the_api_names_another_host_to_load_from(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(Settings(database_url="memory:", data_dir=tmp_path))) as client:
        for path in ("/docs", "/docs/oauth2-redirect", "/web/register", "/web/sign-in"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert "//cdn" not in page.text and "https://" not in page.text, path
        assert client.get("/redoc").status_code == 404, "no CDN-backed ReDoc page"
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
