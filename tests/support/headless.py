"""The app served on localhost and opened in headless Chromium: shared by the end-to-end tests and benchmarks.

Chromium and its driver are Debian's packages (`make test` installs them); the flags keep it from reaching
for the network, which this machine does not have.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


# A session's first picture: an image in the page's main area that the browser has loaded.
PICTURE = '[data-testid="stMain"] [data-testid="stImage"] img, [data-testid="stMain"] img[src*="media"]'
# The browser's own share of a page: a Streamlit page that shows one small picture and computes nothing.
TRIVIAL_PAGE = 'import streamlit as st\nfrom PIL import Image\nst.image(Image.new("RGB", (64, 64), "teal"))\n'


def have_chromium() -> bool:
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`streamlit run SCRIPT` on 127.0.0.1 (a free port unless given), ready when constructed; `close()` stops it."""

    def __init__(self, script: str | os.PathLike = "app.py", log: str | os.PathLike | None = None,
                 port: int | None = None, env: dict | None = None, timeout: float = 120):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "a") if log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + timeout
        while True:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                if time.time() > deadline or self.process.poll() is not None:
                    self.close()
                    raise RuntimeError(f"the app did not start; see {log or 'its output'}") from None
                time.sleep(0.3)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def chromium(window: str = "1400,1000"):
    """A headless Chromium driven by Selenium; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--window-size={window}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def zoom(driver, width: int, height: int, factor: float) -> None:
    """Lay the page out as a `width` x `height` screen shows it at browser zoom `factor` (150% on a 1920x1080
    projector: a 1280x720 CSS-pixel viewport drawn at 1.5 device pixels per CSS pixel)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": round(width / factor), "height": round(height / factor), "deviceScaleFactor": factor,
        "mobile": False})


def time_to_picture(driver, url: str, timeout: float) -> tuple[float, str]:
    """Seconds from opening `url` to the first loaded picture in the main area, and "ok", "exception" or "timeout"."""
    from selenium.webdriver.common.by import By

    start = time.perf_counter()
    driver.get(url)
    while time.perf_counter() - start < timeout:
        if driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]'):
            return time.perf_counter() - start, "exception"
        if any(img.get_attribute("naturalWidth") not in (None, "0") for img in
               driver.find_elements(By.CSS_SELECTOR, PICTURE)):
            return time.perf_counter() - start, "ok"
        time.sleep(0.05)
    return time.perf_counter() - start, "timeout"


def lower_priority(driver, niceness: int = 19) -> None:
    """Renice a Chromium's whole process tree (driver, browser, zygote: later renderers inherit it) on Linux.

    Benchmarks use it so that browsers sharing the server's cores take only the CPU the server leaves, the
    closest one machine comes to students' browsers running on their own laptops.
    """
    pending, seen = [driver.service.process.pid], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, niceness)
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
