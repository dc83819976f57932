"""End to end: the real app served by Streamlit, loaded in headless Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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


ARTIFACTS = ROOT / "test-artifacts"  # screenshots of the end-to-end run, kept for people to look at


def _body(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "body").text


def _shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000


def test_landing_shows_the_tiers_a_click_opens_the_unit_and_a_broken_upload_is_an_error(app_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(app_url)
    WebDriverWait(browser, 300).until(lambda d: "Egyptian cat" in _body(d))
    # every tier's renders fill in (captions "layer · unit N · tier" under the pictures)
    WebDriverWait(browser, 600).until(lambda d: "rendering…" not in _body(d) and "Download PNG" in _body(d))
    body = _body(browser)
    assert "What does each layer of a CNN see?" in body
    for tier in ("Edges", "Contours", "Parts", "Output"):
        assert tier in body
    assert len(browser.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"] img')) >= 28
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    _shot(browser, "landing.png")

    link = browser.find_elements(By.CSS_SELECTOR, 'a[href*="unit?"]')[0]
    label = link.text
    link.click()
    WebDriverWait(browser, 300).until(lambda d: "One unit, all the evidence" in _body(d))
    layer, unit = re.search(r"(\S+) · unit (\d+)", label).groups()
    assert f"layer={layer}" in browser.current_url and f"unit={unit}" in browser.current_url
    WebDriverWait(browser, 600).until(lambda d: "top-9" in _body(d))
    _shot(browser, "unit.png")

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    browser.get(app_url)
    WebDriverWait(browser, 300).until(lambda d: "Egyptian cat" in _body(d))
    browser.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(broken))
    WebDriverWait(browser, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="stAlertContentError"]'))
    assert "Sample photo" in _body(browser)  # the page keeps working
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    _shot(browser, "broken-upload.png")
