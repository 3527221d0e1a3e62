"""A real browser runs lesson 01 in JupyterLab, moves a slider and sees the figure change.

JupyterLab is started on localhost with a private copy of the lesson (so nothing the browser
saves touches the repository), and Debian's headless Chromium is driven by Playwright. The
screenshot is kept in tests/artifacts/ for a human to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course.manifest import lesson_path

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LESSON = "01-collapse-and-recovery"
TOKEN = "course-browser-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(lesson_path(LESSON), root / f"{LESSON}.ipynb")
    # Render every cell (JupyterLab 4 otherwise renders only the cells in view) and do not
    # ask about news: both are user settings, kept outside the served folder.
    settings = tmp_path_factory.mktemp("settings")
    for plugin, values in {
        "notebook-extension/tracker": {"windowingMode": "none"},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        package, name = plugin.split("/")
        folder = settings / "@jupyterlab" / package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    port = _free_port()
    log = open(settings / "lab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}",
            "--allow-root",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTER_CONFIG_DIR": str(tmp_path_factory.mktemp("config")),
        },
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start: " + (settings / "lab.log").read_text())
    yield url
    server.terminate()
    server.wait(timeout=20)


def test_run_all_then_move_a_slider_changes_the_figure(lab):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{lab}/lab/tree/{LESSON}.ipynb?token={TOKEN}")
        page.wait_for_function(
            "window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000
        )
        page.wait_for_function(
            """() => {
            const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
            return kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
        }""",
            timeout=120_000,
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        slider = page.locator(".widget-slider", has_text="% a year").first
        try:
            slider.wait_for(state="attached", timeout=90_000)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "lesson-01-browser-failure.png"))
            raise
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000
        )
        slider.scroll_into_view_if_needed()
        box = slider.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")
        image = box.locator("img").first
        before = image.get_attribute("src")
        readout = slider.locator(".widget-readout")
        value_before = readout.inner_text()
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        for _ in range(20):
            page.keyboard.press("ArrowRight")
        handle.blur()
        page.wait_for_function(
            "([img, src]) => img.getAttribute('src') !== src",
            arg=[image.element_handle(), before],
            timeout=30_000,
        )
        after = image.get_attribute("src")
        value_after = readout.inner_text()
        slider.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "lesson-01-browser.png"), full_page=False)
        cell_errors = page.locator(".jp-OutputArea-output[data-mime-type*='error']").count()
        browser.close()
    assert value_after != value_before, "the slider did not move"
    assert after != before, "the figure did not change after the slider moved"
    assert cell_errors == 0, "a cell raised an error while running all cells"
    assert not errors, f"browser console errors: {errors}"
