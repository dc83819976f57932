"""End to end: the real app served by Streamlit, loaded in headless Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from support.helpers import APP_STEPS

from tests.support.headless import AppServer, chromium, have_chromium, zoom

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(not have_chromium(), reason="needs Debian's chromium and chromium-driver (`make test` installs them)"),
    pytest.mark.slow,  # a real app server and browser each
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    env = {**os.environ, **APP_STEPS}  # a module fixture: tests/app/conftest.py's per-test setting comes too late
    with AppServer("app.py", log=tmp_path_factory.mktemp("app") / "streamlit.log", env=env, timeout=90) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
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
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(app_url)
    WebDriverWait(browser, 300).until(lambda d: "Egyptian cat" in _body(d))
    # every tier's renders fill in (captions "layer · unit N · tier" under the pictures)
    WebDriverWait(browser, 600).until(lambda d: "rendering…" not in _body(d) and "Download PNG" in _body(d))
    body = _body(browser)
    assert "What does each layer of a CNN see?" in body
    rows = ("Visible layer: the photo", "Hidden layer 1: edges", "Hidden layer 2: contours", "Hidden layer 3: parts",
            "Output: the class")
    assert all(row in body for row in rows)
    assert [body.index(row) for row in rows] == sorted(body.index(row) for row in rows)  # top to bottom
    assert len(browser.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"] img')) >= 28
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    # The pictures really rendered: every <img> finished loading with a real size; the first is the photo as
    # the network sees it (squashed to its square 224-px input).
    loaded = """return [...document.querySelectorAll('[data-testid="stImage"] img')]
                .filter(i => i.complete && i.naturalWidth > 0).map(i => [i.naturalWidth, i.naturalHeight])"""
    WebDriverWait(browser, 60).until(lambda d: len(d.execute_script(loaded)) >= 28)
    (width, height), *_ = browser.execute_script(loaded)
    assert (width, height) == (224, 224)
    _shot(browser, "landing.png")

    picture = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"] a[href*="unit?"] img')[0]  # a render
    label = picture.find_element(By.XPATH, "ancestor::*[@data-testid='stImage'][1]").text  # its caption
    # A real click, off the image's centre: on a 50-px picture the hover toolbar (fullscreen) covers the centre.
    # Streamlit opens an image's link in a new tab; the card must load there.
    landing = browser.current_window_handle
    ActionChains(browser).move_to_element_with_offset(picture, -picture.size["width"] // 4,
                                                      picture.size["height"] // 4).click().perform()
    WebDriverWait(browser, 30).until(lambda d: len(d.window_handles) == 2)
    browser.switch_to.window(next(h for h in browser.window_handles if h != landing))
    WebDriverWait(browser, 300).until(lambda d: "One unit, all the evidence" in _body(d))
    layer, unit = re.search(r"(\S+) · unit (\d+) · (edges|contours|parts)", label).groups()[:2]
    assert f"layer={layer}" in browser.current_url and f"unit={unit}" in browser.current_url
    WebDriverWait(browser, 600).until(lambda d: "top-9" in _body(d))
    _shot(browser, "unit.png")

    browser.close()
    browser.switch_to.window(landing)

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    browser.get(app_url)
    WebDriverWait(browser, 300).until(lambda d: "Egyptian cat" in _body(d))
    browser.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(broken))
    WebDriverWait(browser, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="stAlertContentError"]'))
    assert "Sample photo" in _body(browser)  # the page keeps working
    assert "broken.png is not a readable image; accepted: PNG, JPEG" in _body(browser)
    assert "object at 0x" not in _body(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    _shot(browser, "broken-upload.png")


def test_a_folder_outside_the_allowed_ones_is_refused_and_none_of_its_pictures_shown(app_url, browser, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    private = tmp_path / "private"  # outside the server's roots (by default the bundled gallery only)
    private.mkdir()
    Image.new("RGB", (64, 48), "magenta").save(private / "private-photo.png")
    browser.get(f"{app_url}/unit?layer=_blocks.0&unit=0")
    WebDriverWait(browser, 600).until(lambda d: "top-9" in _body(d))  # the gallery's top-9 first
    radio = browser.find_element(By.XPATH, '//*[@data-testid="stRadio"]//label[normalize-space()="a folder"]')
    radio.click()
    field = WebDriverWait(browser, 300).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, 'input[aria-label="Folder on the server"]'))[0]
    field.send_keys(str(private), Keys.ENTER)
    WebDriverWait(browser, 300).until(lambda d: "cannot open that folder" in _body(d) and "top-9" not in _body(d))
    body = _body(browser)
    assert "VIZ_IMAGE_ROOTS" in body and "private-photo" not in body and str(private) not in body
    captions = [e.text for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"]')]
    assert not [c for c in captions if "top-9" in c]
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    _shot(browser, "folder-refused.png")


# The landing's unit pictures, by their captions (ui/pages/layers.py); the "built from" inputs are smaller on purpose.
UNIT_PICTURES = r"^(\S+ · unit \d+ · (edges|contours|parts)|best probe stimulus.*|top (photo )?patches.*|what in this " \
                r"photo drove it|where it fires)$"
# Every caption's words (split at spaces and hyphens), each checked to lie on one line: a word the browser broke
# ("stimul/us") has two boxes.
BROKEN_WORDS = """
const broken = [];
for (const box of document.querySelectorAll('[data-testid="stMain"] [data-testid="stImageCaption"], '
                                          + '[data-testid="stMain"] [data-testid="stCaptionContainer"]')) {
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.textContent.matchAll(/[^\\s-]+/g)) {  // a break after a hyphen is allowed
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
}
return broken;"""


@pytest.mark.parametrize("screen", [(1280, 800, 1.0), (1920, 1080, 1.5)], ids=["laptop-1280x800", "projector-150%"])
def test_landing_unit_pictures_are_wide_enough_to_point_at_and_no_caption_breaks_a_word(app_url, screen):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    width, height, factor = screen
    driver = chromium(window=f"{width},{height}")
    try:
        zoom(driver, width, height, factor)
        driver.get(app_url)
        WebDriverWait(driver, 600).until(lambda d: "rendering…" not in _body(d) and "Download PNG" in _body(d)
                                         and "naming the unit" not in _body(d))
        assert driver.execute_script("return window.innerWidth") == round(width / factor)
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        shown = driver.execute_script("""return [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"]')]
            .map(e => [e.innerText.trim(), e.querySelector('img').getBoundingClientRect().width])""")
        units = [(caption, w) for caption, w in shown if re.match(UNIT_PICTURES, caption)]
        assert len(units) >= 9 * 4  # 3 tiers x 3 units: render, (stimulus,) patches, in the photo, where
        narrow = [(caption, round(w)) for caption, w in units if w < 160]
        assert not narrow, narrow
        assert driver.execute_script(BROKEN_WORDS) == []
        _shot(driver, f"landing-{width}x{height}-{factor:g}.png")
    finally:
        driver.quit()
