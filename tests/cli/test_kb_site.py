"""The exported help site in a real headless Chromium: it lists, searches, renders, and
loads nothing from outside its folder (every request the browser makes is ``file://``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from helpdesk_tui.desk.actors import SYSTEM
from helpdesk_tui.desk.facade import Desk
from helpdesk_tui.desk.kb_service import ArticleData
from helpdesk_tui.desk.kb_site import build_site
from helpdesk_tui.storage.database import Database
from tests.conftest import need, sqlite_url
from tests.desk.kb_fixture import ARTICLES

WAIT_SECONDS = 30
HOSTILE_BODY = (
    "Steps:\n\n1. Open **Settings**\n2. Choose *Network*\n\n"
    "<script>document.title='owned'</script>\n\n"
    "![logo](https://cdn.example.com/logo.png) and `code`\n"
)


@pytest.fixture
def site(tmp_path: Path, _migrated_sqlite: Path) -> Path:
    """The site of 31 published articles, built from a copy of the worker's migrated desk
    (every migration run again was a fifth of this test's own CPU)."""
    shutil.copy(_migrated_sqlite, tmp_path / "helpdesk.db")
    db = Database(sqlite_url(tmp_path))
    desk = Desk(db, SYSTEM)
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    data = [
        ArticleData(
            a.slug, a.title, a.body, a.category, a.tags, "published", "public", "ada", when, when
        )
        for a in ARTICLES[:30]
    ]
    data.append(
        ArticleData(
            "hostile",
            "Markup <b>test</b>",
            HOSTILE_BODY,
            "Security",
            ("test",),
            "published",
            "public",
            "ada",
            when,
            when,
        )
    )
    desk.kb_import(data)
    out = tmp_path / "site"
    build_site(desk.kb_list(limit=None), out)
    db.dispose()
    return out


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        need("Chromium and chromedriver (Debian: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def _requested_urls(driver: webdriver.Chrome) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_the_site_lists_searches_renders_and_stays_local(
    site: Path, browser: webdriver.Chrome
) -> None:
    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get((site / "index.html").as_uri())
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "ul.articles a")]
    assert len(titles) == 31
    assert "Reset your network password" in titles

    box = browser.find_element(By.ID, "search")
    box.send_keys("vpn disconnecting")
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "#results a")))
    results = browser.find_elements(By.CSS_SELECTOR, "#results a")
    assert results[0].text == "VPN keeps disconnecting every few minutes"
    results[0].click()
    wait.until(expected_conditions.title_is("VPN keeps disconnecting every few minutes"))
    assert browser.find_element(By.TAG_NAME, "h1").text == browser.title

    browser.get((site / "article" / "hostile.html").as_uri())
    article = browser.find_element(By.TAG_NAME, "article")
    assert [e.text for e in article.find_elements(By.TAG_NAME, "strong")] == ["Settings"]
    assert [e.text for e in article.find_elements(By.CSS_SELECTOR, "ol li")] == [
        "Open Settings",
        "Choose Network",
    ]
    assert browser.find_element(By.TAG_NAME, "h1").text == "Markup <b>test</b>"
    assert browser.title == "Markup <b>test</b>"  # the article's script never ran
    assert article.find_elements(By.TAG_NAME, "img") == []
    assert "[logo]" in article.text

    urls = _requested_urls(browser)
    assert urls, "the performance log recorded no requests"
    inside = site.as_uri() + "/"
    assert [u for u in urls if not u.startswith(inside)] == []  # nothing leaves the folder
