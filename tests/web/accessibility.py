"""axe-core, the accessibility engine from npm, run in the browser tests on every page.

The pinned release is fetched once with `npm install` into a cache folder and its minified
script and licence (MPL-2.0) copied to `tests/support/vendor/axe-core/` (not committed);
without npm the tests that need it skip locally and fail on CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

AXE_VERSION = "4.14.1"
ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "tests" / "support" / "vendor" / "axe-core"
CACHE = ROOT / ".cache" / "npm"
# WCAG 2.2 A and AA (and the 2.0 and 2.1 rules they include).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
REFUSED_IMPACTS = {"serious", "critical"}


def _fetch() -> None:
    npm = shutil.which("npm")
    if npm is None:
        message = "npm is needed once to fetch axe-core for the accessibility checks"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(CACHE),
         f"axe-core@{AXE_VERSION}"],
        check=True, timeout=300,
    )  # fmt: skip
    package = CACHE / "node_modules" / "axe-core"
    VENDOR.mkdir(parents=True, exist_ok=True)
    for name in ("axe.min.js", "LICENSE"):
        shutil.copyfile(package / name, VENDOR / name)


def axe_source() -> str:
    script = VENDOR / "axe.min.js"
    if not script.exists():
        _fetch()
    return script.read_text(encoding="utf-8")


def violations(driver: Any) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.2 A/AA violations axe finds on the current page."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source())
    driver.set_script_timeout(60)
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        TAGS,
    )
    return [v for v in found if v["impact"] in REFUSED_IMPACTS]
