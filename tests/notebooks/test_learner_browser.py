"""The learner's experience: JupyterLab and the rendered course, driven in headless Chromium.

Runs when Chromium and chromedriver are installed (.ci/run installs them); skipped otherwise.
Every step waits for the page to reach the state it needs (a cell active, the kernel idle, an output
shown), never for a fixed time. Screenshots land in the test's temp dir; a failing step saves one
and names its path in the failure message.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

WAIT_S = 120  # the longest any one page state may take to appear (a cold kernel importing torch on a busy CPU)
KEY_S, KEY_ATTEMPTS = 10, 3  # how long a key press may take to show its effect, and how often an unhandled one is sent again
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


@contextlib.contextmanager
def _screenshot_on_failure(driver, folder: Path, step: str):
    """Run one step of a browser test; if it fails, save a screenshot and the page's HTML and say where they are."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - any failure of the step (timeout, assertion, lost session) is reported
        shot = folder / f"failure_{step.replace(' ', '_')}.png"
        saved = driver.save_screenshot(str(shot))
        (folder / f"failure_{step.replace(' ', '_')}.html").write_text(driver.page_source, encoding="utf-8")
        where = f"screenshot {shot}" if saved else f"no screenshot could be taken; page HTML in {shot.with_suffix('.html')}"
        focus = driver.execute_script("const e = document.activeElement; return e ? `${e.tagName}.${e.className}` : 'nothing';")
        state = f"kernel status: {_kernel_status(driver) or 'not shown'}; outputs: {_outputs_text(driver)[:300]!r}"
        pytest.fail(f"{step}: {type(exc).__name__}: {exc}\nkeyboard focus on: {focus}\n{state}\n{where}", pytrace=True)


def _active_cell(driver) -> int:
    """Index of the notebook's active cell among the rendered cells (-1 when none is active)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).findIndex(c => c.classList.contains('jp-mod-active'));"
    )


def _kernel_status(driver) -> str:
    """The kernel's status as the status bar shows it ("Idle", "Busy", "Initializing", ...; "" before the bar is drawn)."""
    from selenium.webdriver.common.by import By

    bars = driver.find_elements(By.ID, "jp-main-statusbar")
    match = re.search(r"\|\s*(\w+)", bars[0].text) if bars else None
    return match.group(1) if match else ""


def _outputs_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output"))


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
    # Settings and workspaces of this run only: no tab reopened from an earlier session, and no "Jupyter news?" toast, which a
    # fresh machine shows on first start and which can take the keyboard focus from the notebook.
    settings = tmp_path / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}))
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
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={tmp_path / 'lab-workspaces'}",
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
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, token = jupyterlab
    wait = WebDriverWait(browser, WAIT_S)
    with _screenshot_on_failure(browser, tmp_path, "open the notebook"):
        browser.get(f"{base}/lab/tree/notebooks/00_setup.ipynb?token={token}")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
    with _screenshot_on_failure(browser, tmp_path, "wait for the kernel"):
        # The toolbar's execution indicator says 'idle' before any kernel exists (its initial state), and a cell run then is
        # dropped. The status bar says "Idle" only once the kernel has started and its connection is open.
        wait.until(lambda d: _kernel_status(d) == "Idle")
    with _screenshot_on_failure(browser, tmp_path, "select the first cell"):
        first_cell = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
        ActionChains(browser).move_to_element(first_cell).click().send_keys(Keys.ESCAPE).perform()
        wait.until(lambda d: _active_cell(d) == 0)
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook.jp-mod-commandMode")))
    # Run the parameters cell, the introduction and the environment report. Each Shift+Enter moves the active cell down one,
    # and the next key waits for that move. JupyterLab binds its shortcuts only once its settings have loaded, which no
    # element of the page shows: a key that moved nothing within KEY_S (no cell ran, none was selected) is sent again.
    for step in range(3):
        with _screenshot_on_failure(browser, tmp_path, f"run cell {step + 1}"):
            for attempt in range(1, KEY_ATTEMPTS + 1):
                ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
                try:
                    WebDriverWait(browser, KEY_S).until(lambda d, expected=step + 1: _active_cell(d) == expected)
                    print(
                        f"cell {step + 1}: Shift+Enter handled at attempt {attempt}"
                    )  # shown with -rA: how often a key was lost
                    break
                except TimeoutException:
                    assert _active_cell(browser) == step, f"the active cell moved to {_active_cell(browser)}, not {step + 1}"
            else:
                raise AssertionError(f"Shift+Enter sent {KEY_ATTEMPTS} times never moved the active cell from {step}")
    with _screenshot_on_failure(browser, tmp_path, "wait for the environment report"):
        wait.until(lambda d: "transformers" in _outputs_text(d))
        wait.until(lambda d: _kernel_status(d) == "Idle")
        outputs = _outputs_text(browser)
        assert "sentence-transformers" in outputs and "device" in outputs, outputs[:2000]
    browser.save_screenshot(str(tmp_path / "jupyterlab_00_setup.png"))


def test_rendered_course_links_to_lessons(browser, tmp_path, data_dir):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from ftcourse.notebooks import run_course

    run_course([REPO_ROOT / "notebooks" / "00_setup.ipynb"], profile="fast", build_dir=tmp_path / "build")
    wait = WebDriverWait(browser, WAIT_S)
    with _screenshot_on_failure(browser, tmp_path, "open the index"):
        browser.get((tmp_path / "build" / "html" / "index.html").as_uri())
        link = wait.until(ec.element_to_be_clickable((By.LINK_TEXT, "00_setup")))
    with _screenshot_on_failure(browser, tmp_path, "follow the lesson link"):
        link.click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "00 · Setup"))
    # the theme comes from the folder's shared notebook.css: its variables are set only if the page found the file
    theme_font = browser.execute_script(
        "return getComputedStyle(document.documentElement).getPropertyValue('--jp-ui-font-size1')"
    )
    assert theme_font.strip(), "the page did not load notebook.css"
    browser.save_screenshot(str(tmp_path / "html_00_setup.png"))
