"""The public register page in a real browser: how long it takes to load with many
deployments (headless Chromium, the navigation timing the browser itself records).

    python -m bench.public_page [--deployments 1000] [--loads 5] [--smoke]

Target (DESIGN.md): the public page loads in under 1 s with 1,000 deployments. The first
load also catches the read models up; the figure is the median of the warm loads.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from runtime.bootstrap import open_services  # noqa: E402
from runtime.settings import Settings  # noqa: E402
from tests.scenario import start_clock  # noqa: E402
from tests.web.browser import Served  # noqa: E402
from tests.web.register_data import fill_register  # noqa: E402

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
TIMING = (
    "const n = performance.getEntriesByType('navigation')[0];"
    "return {load: n.loadEventEnd - n.startTime, response: n.responseEnd - n.startTime,"
    " bytes: n.transferSize};"
)


def browser(profile: Path):  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1366,900", f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="50 deployments, 2 loads")
    args = parser.parse_args()
    if args.smoke:
        args.deployments, args.loads = 50, 2
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url="memory:", data_dir=Path(folder))
        clock = start_clock()
        services = open_services(settings, clock=clock)
        fill_register(services.lfr, clock, args.deployments, live_every=5)
        driver = browser(Path(folder) / "chromium")
        try:
            with Served(create_app(settings, services)) as served:
                timings = []
                for n in range(args.loads):
                    driver.get(served.url("/web/register"))
                    timings.append(driver.execute_script(TIMING))
                    print(f"  load {n + 1}/{args.loads}: {timings[-1]['load']:.0f} ms",
                          file=sys.stderr)  # fmt: skip
                driver.get("about:blank")  # leave the page before the server stops
        finally:
            driver.quit()
    warm = [t["load"] for t in timings[1:]] or [timings[0]["load"]]
    print(f"public register page, {args.deployments:,} deployments, headless Chromium 1366x900")
    print(f"  first load (catching up)  {timings[0]['load']:8.0f} ms")
    print(f"  warm load, median of {len(warm)}  {statistics.median(warm):8.0f} ms (target < 1000)")
    print(f"  page size                 {timings[-1]['bytes'] / 1024:8.0f} kB")


if __name__ == "__main__":
    main()
