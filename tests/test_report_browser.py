"""The report page rendered in headless Chromium: every figure loads, the tables
are there, nothing is fetched from a network. Keeps a screenshot of the page in
``test-artifacts/``."""

import os
import shutil
from pathlib import Path

import pytest

from bench.cli import main
from bench.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SUITE = """
description = "browser test: <b>not bold</b> & escaped"
strategies = ["random", "tpe"]
objectives = ["branin", "mlp-sgd"]
seeds = 2
budget = 4
"""

if not (CHROMIUM and CHROMEDRIVER):
    reason = "Chromium and ChromeDriver not found (Debian: apt install chromium chromium-driver; .ci/run installs them)"
    if os.environ.get("CI"):
        raise RuntimeError(f"CI must run the browser test: {reason}")
    pytest.skip(reason, allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    suite = root / "browser.toml"
    suite.write_text(SUITE)
    assert main(["run", str(suite), "--results", str(root / "r"), "--jobs", "1"]) == 0
    write_report(root / "r" / "browser")
    return root / "r" / "browser" / "report" / "index.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_every_figure_loads_and_every_table_is_present(page, browser):
    browser.get(page.as_uri())
    images = browser.execute_script(
        "return Array.from(document.images, i => [i.alt, i.complete, i.naturalWidth]);"
    )
    assert {alt for alt, _, _ in images} == {
        "Best found against budget",
        "Best found against wall time",
        "Average rank against budget",
        "Final regret per seed",
        "Validation and test error of the final incumbents",
        "Optimizer time per trial",
        "Fraction of targets reached against budget (data profile)",
        "Critical-difference diagrams of mean ranks",
    }
    assert all(complete and width > 0 for _, complete, width in images), images

    captions = browser.execute_script(
        "return Array.from(document.querySelectorAll('table caption'), c => c.textContent);"
    )
    for caption in (
        "How regret is measured, per objective",
        "Overall at the final budget",
        "branin",
        "mlp-sgd",
        "Incumbents' median error at the final budget",
        "Ask + tell per trial (ms)",
    ):
        assert caption in captions
    summary = browser.execute_script(
        "return Array.from(document.querySelectorAll('section')[0].querySelectorAll('li'),"
        " li => li.textContent);"
    )
    assert any(s.startswith("branin (budget 4, 2 seeds)") for s in summary), summary
    assert not browser.execute_script("return document.querySelector('b:not(figcaption b)');")
    assert "<b>not bold</b> & escaped" in browser.find_element("tag name", "body").text

    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);"
    )
    assert all(name.startswith("data:") for name in fetched), fetched

    ARTIFACTS.mkdir(exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight;")
    browser.set_window_size(1400, min(int(height) + 100, 16000))
    shot = ARTIFACTS / "report-index.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
