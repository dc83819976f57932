"""Time the landing page in headless Chromium: first picture (photo and classes) and all renders.

Starts the app on PORT with an empty result cache, opens the landing in a fresh browser (cold), then in
another fresh browser session (warm: the photo was shown before), and prints both with the machine's load.
    python benchmarks/landing_speed.py [--port 8611] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the repository's packages

from ui.headless import AppServer, chromium  # noqa: E402


def _body(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def session(url: str) -> tuple[float, float]:
    """Seconds until the photo and the classes show, and until every render has filled in."""
    driver = chromium(window="1500,1000")
    try:
        start = time.perf_counter()
        driver.get(url)
        WebDriverWait(driver, 900, poll_frequency=0.05).until(
            lambda d: "Egyptian cat" in _body(d) and d.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"] img'))
        first = time.perf_counter() - start
        WebDriverWait(driver, 900, poll_frequency=0.2).until(
            lambda d: "rendering…" not in _body(d) and "Download PNG" in _body(d))
        return first, time.perf_counter() - start
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--threads", type=int, help="OMP_NUM_THREADS for the server (default: torch's own choice)")
    args = parser.parse_args()
    cache = tempfile.mkdtemp(prefix="landing-cache-")
    env = {**os.environ, "VIZ_CACHE_DIR": cache}
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    with AppServer("app.py", port=args.port, env=env) as server:
        for name in ("cold (empty cache, model not loaded yet)", "warm (new session, photo shown before)"):
            first, done = session(server.url)
            load = os.getloadavg()
            print(f"{name}: first picture {first:.1f} s, all renders {done:.1f} s; "
                  f"load average {load[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
