"""The learner's experience: JupyterLab and the rendered course, driven in headless Chromium.

Runs when Chromium and chromedriver are installed (.ci/run installs them); skipped otherwise.
Screenshots land in the test's temp dir.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import REPO_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.notebook,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver (apt-get install chromium chromium-driver)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # No sandbox as root in CI; no background networking on a closed network.
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chrome'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab on localhost over a copy of the lessons (running cells must not touch the repo's notebooks)."""
    workdir = tmp_path / "course"
    shutil.copytree(REPO_ROOT / "notebooks", workdir / "notebooks")
    port, token = _free_port(), secrets.token_hex(16)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--ServerApp.root_dir={workdir}",
            f"--IdentityProvider.token={token}",
            "--ServerApp.open_browser=False",
            "--allow-root",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("JupyterLab did not start within 90 s")
    yield base, token
    process.terminate()
    process.wait(timeout=30)


def test_setup_notebook_runs_in_jupyterlab(jupyterlab, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, token = jupyterlab
    browser.get(f"{base}/lab/tree/notebooks/00_setup.ipynb?token={token}")
    wait = WebDriverWait(browser, 120)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator[data-status='idle']")))
    first_cell = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")[0]
    ActionChains(browser).move_to_element(first_cell).click().send_keys(Keys.ESCAPE).perform()
    # Run the parameters cell, the introduction and the environment report.
    for _ in range(3):
        ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        time.sleep(0.5)
    wait.until(lambda d: "transformers" in " ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")))
    browser.save_screenshot(str(tmp_path / "jupyterlab_00_setup.png"))
    outputs = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output"))
    assert "sentence-transformers" in outputs and "device" in outputs


def test_rendered_course_links_to_lessons(browser, tmp_path, data_dir):
    from selenium.webdriver.common.by import By

    from ftcourse.notebooks import run_course

    run_course([REPO_ROOT / "notebooks" / "00_setup.ipynb"], profile="fast", build_dir=tmp_path / "build")
    browser.get((tmp_path / "build" / "html" / "index.html").as_uri())
    link = browser.find_element(By.LINK_TEXT, "00_setup")
    link.click()
    assert "00 · Setup" in browser.find_element(By.TAG_NAME, "h1").text
    browser.save_screenshot(str(tmp_path / "html_00_setup.png"))
