"""End to end: the real app served by Streamlit, loaded in headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from viz.images import gallery_dir

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver (`make test` installs them)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = _free_port()
    log = open(tmp_path_factory.mktemp("app") / "streamlit.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError(f"the app did not start; see {log.name}") from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_page_loads_and_shows_the_prediction(app_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(app_url)
    WebDriverWait(browser, 120).until(lambda d: "Egyptian cat" in d.find_element(By.TAG_NAME, "body").text)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "What does a CNN see?" in body
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    # The photo really rendered: its <img> finished loading with a real size and the sample's aspect ratio.
    loaded = """return [...document.querySelectorAll('[data-testid="stImage"] img')]
                .filter(i => i.complete && i.naturalWidth > 0).map(i => [i.naturalWidth, i.naturalHeight])"""
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(loaded))
    (width, height), *others = browser.execute_script(loaded)
    assert not others
    with Image.open(gallery_dir() / "chelsea.png") as photo:
        assert width >= 100 and abs(width / height - photo.width / photo.height) < 0.02
    assert "chelsea.png" in body  # its caption
    shot = tmp_path / "app.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
