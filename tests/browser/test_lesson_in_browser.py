"""A real browser runs every lesson in JupyterLab, and every explorer's figure answers its controls.

One JupyterLab server is started on localhost for the module, with a private copy of every lesson
notebook in its root (so nothing the browser saves touches the repository), and one Debian
headless Chromium is driven by Playwright. For each lesson in the manifest the test opens the
notebook in a fresh workspace, runs all its cells, waits until the kernel is idle and every code
cell has an execution count, and fails on any error output (cells tagged ``raises-exception``
excepted) or traceback written to stderr. Then, for each widget explorer the lesson shows (a
widget output holding an image or canvas and at least one control), it moves the explorer's first
control and waits for the figure's pixels to change. A screenshot per lesson is kept in
tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course.manifest import lesson_path, lessons

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TOKEN = "course-browser-test"
SLUGS = [lesson["slug"] for lesson in lessons()]

# Bounded waits (milliseconds for Playwright, seconds for the polling loops).
OPEN_TIMEOUT = 60_000
KERNEL_TIMEOUT = 120_000
RUN_ALL_SECONDS = 180
WIDGETS_SECONDS = 30
FIGURE_TIMEOUT = 30_000

# The controls an explorer may have, most specific first (ToggleButtons' buttons are also
# .widget-toggle-button; a SelectMultiple is also a .widget-select).
CONTROLS = {
    "slider": ".widget-slider",
    "dropdown": ".widget-dropdown",
    "select-multiple": ".widget-select-multiple",
    "select": ".widget-select",
    "toggle-buttons": ".widget-toggle-buttons",
    "toggle-button": ".widget-toggle-button",
    "checkbox": ".widget-checkbox",
    "radio": ".widget-radio-box",
}

NOTEBOOK_STATE = """(path) => {
    const app = window.jupyterapp;
    const panel = Array.from(app.shell.widgets('main')).find(w => w.context?.path === path);
    if (!panel) return {found: false};
    const kernel = panel.sessionContext?.session?.kernel;
    const cells = [];
    panel.content.widgets.forEach((cell, index) => {
        const model = cell.model;
        if (model.type !== 'code') return;
        const outputs = [];
        for (let i = 0; i < model.outputs.length; i++) outputs.push(model.outputs.get(i).toJSON());
        const prompt = cell.node.querySelector('.jp-InputPrompt')?.textContent || '';
        cells.push({
            index,
            empty: !model.sharedModel.getSource().trim(),
            count: model.executionCount,
            running: model.executionState === 'running' || prompt.includes('*'),
            tags: model.getMetadata('tags') || [],
            outputs,
        });
    });
    return {
        found: true,
        connection: kernel?.connectionStatus,
        status: kernel?.status,
        cells,
    };
}"""

# Marks each rendered explorer (a widget output with a figure and a control) and returns, for
# each, what its first control is and what its figure is.
FIND_EXPLORERS = """([path, controls]) => {
    const app = window.jupyterapp;
    const panel = Array.from(app.shell.widgets('main')).find(w => w.context?.path === path);
    const union = Object.values(controls).join(',');
    const figures = '.widget-image, img, canvas';
    const found = [];
    const unknown = [];
    panel.node.querySelectorAll('.jp-OutputArea-output').forEach(output => {
        if (!output.querySelector('.jupyter-widgets')) return;
        const figure = output.querySelector(figures);
        const control = output.querySelector(union);
        if (!figure) return;
        if (!control) {
            if (output.querySelector('input, select, button, textarea')) unknown.push(
                Array.from(panel.content.widgets).findIndex(c => c.node.contains(output)));
            return;
        }
        // An explorer inside an Output widget: keep the innermost output only.
        const inner = Array.from(output.querySelectorAll('.jp-OutputArea-output'));
        if (inner.some(o => o.querySelector(figures) && o.querySelector(union))) return;
        const k = found.length;
        output.setAttribute('data-browser-test-explorer', String(k));
        figure.setAttribute('data-browser-test-figure', String(k));
        control.setAttribute('data-browser-test-control', String(k));
        const kind = Object.keys(controls).find(name => control.matches(controls[name]));
        const cell = output.closest('.jp-Cell');
        found.push({
            kind,
            figure: figure.tagName.toLowerCase(),
            label: (control.querySelector('.widget-label')?.textContent
                    || control.textContent || '').trim().slice(0, 40),
            cell: Array.from(panel.content.widgets).findIndex(c => c.node === cell),
        });
    });
    return {found, unknown};
}"""

# For each code cell that displayed widgets: how many the kernel sent, how many rendered.
WIDGET_OUTPUTS = """(path) => {
    const app = window.jupyterapp;
    const panel = Array.from(app.shell.widgets('main')).find(w => w.context?.path === path);
    const cells = [];
    panel.content.widgets.forEach((cell, index) => {
        if (cell.model.type !== 'code') return;
        let sent = 0;
        for (let i = 0; i < cell.model.outputs.length; i++) {
            const data = cell.model.outputs.get(i).toJSON().data || {};
            if ('application/vnd.jupyter.widget-view+json' in data) sent++;
        }
        if (!sent) return;
        const outputs = Array.from(cell.node.querySelectorAll('.jp-OutputArea-output'));
        const rendered = outputs.filter(o => o.querySelector('.jupyter-widgets')).length;
        cells.push({index, sent, rendered,
                    text: (cell.node.querySelector('.jp-OutputArea')?.textContent || '')
                          .trim().slice(0, 200)});
    });
    return cells;
}"""

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    for slug in SLUGS:
        if lesson_path(slug).exists():  # a missing notebook fails its own test, not the module
            shutil.copy(lesson_path(slug), root / f"{slug}.ipynb")
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
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path_factory.mktemp("workspaces")),
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
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
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
        yield browser
        browser.close()
    finally:
        playwright.stop()


def _shut_down_kernels(lab: str) -> None:
    """Free the two cores for the next lesson: delete every session and kernel on the server."""
    for kind in ("sessions", "kernels"):
        try:
            with urllib.request.urlopen(f"{lab}/api/{kind}?token={TOKEN}", timeout=10) as answer:
                items = json.load(answer)
            for item in items:
                request = urllib.request.Request(
                    f"{lab}/api/{kind}/{item['id']}?token={TOKEN}", method="DELETE"
                )
                urllib.request.urlopen(request, timeout=20).close()
        except OSError:
            pass


def _cell_problems(state: dict) -> list[str]:
    """Error outputs and stderr tracebacks, outside cells tagged raises-exception."""
    problems = []
    for cell in state["cells"]:
        if "raises-exception" in cell["tags"]:
            continue
        for output in cell["outputs"]:
            if output.get("output_type") == "error":
                trace = ANSI.sub("", "\n".join(output.get("traceback") or []))
                problems.append(
                    f"cell {cell['index']} raised {output.get('ename')}: "
                    f"{output.get('evalue')}\n{trace}"
                )
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text")
                text = "".join(text) if isinstance(text, list) else (text or "")
                if "Traceback" in text:
                    problems.append(
                        f"cell {cell['index']} wrote a traceback:\n{ANSI.sub('', text)}"
                    )
    return problems


def _run_all(page, path: str) -> dict:
    """Run all cells; return the notebook's state once it has settled (or fail, bounded)."""
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + RUN_ALL_SECONDS
    settled = 0
    state: dict = {}
    while time.monotonic() < deadline:
        time.sleep(0.5)
        state = page.evaluate(NOTEBOOK_STATE, path)
        code = [c for c in state["cells"] if not c["empty"]]
        done = (
            state["status"] == "idle"
            and not any(c["running"] for c in code)
            and (all(c["count"] is not None for c in code) or _cell_problems(state))
        )
        settled = settled + 1 if done else 0
        if settled >= 2:  # idle on two polls in a row: not a gap between two cells
            return state
    pending = [c["index"] for c in state.get("cells", []) if not c["empty"] and c["count"] is None]
    pytest.fail(
        f"{path}: cells still not run after {RUN_ALL_SECONDS}s (kernel {state.get('status')}); "
        f"cells without an execution count: {pending}\n" + "\n".join(_cell_problems(state))
    )


def _move(page, control, kind: str) -> str:
    """Change a control's value the way a student would; return a description of the change."""
    if kind == "slider":
        readout = control.locator(".widget-readout").first
        before = readout.inner_text() if readout.count() else None
        handle = control.locator(".noUi-handle").first
        for key in ("ArrowRight", "ArrowLeft"):  # left when the handle is already at the end
            handle.focus()
            for _ in range(10):
                page.keyboard.press(key)
            handle.blur()
            after = readout.inner_text() if readout.count() else None
            if after != before:
                break
        return f"slider {before} -> {after}"
    if kind in ("dropdown", "select", "select-multiple"):
        select = control.locator("select").first
        options = select.evaluate(
            "s => Array.from(s.options).map((o, i) => [i, o.selected, o.textContent])"
        )
        chosen = [i for i, selected, _ in options if selected]
        if kind == "select-multiple":
            if len(chosen) > 1:
                new = chosen[1:]
            else:
                new = [i for i, _, _ in options if i not in chosen]
        else:
            new = [next(i for i, _, _ in options if i not in chosen)]
        select.select_option(index=new)
        return f"{kind} {[options[i][2] for i in chosen]} -> {[options[i][2] for i in new]}"
    if kind == "toggle-buttons":
        button = control.locator("button:not(.mod-active)").first
        text = button.inner_text()
        button.click()
        return f"toggle-buttons -> {text}"
    if kind == "radio":
        radio = control.locator("input:not(:checked)").first
        radio.check()
        return "radio -> another option"
    if kind == "checkbox":
        control.locator("input").first.click()
        return "checkbox toggled"
    control.click()  # toggle-button
    return f"{kind} clicked"


def _exercise(page, k: int, explorer: dict) -> str:
    """Move explorer k's first control and wait until its figure's pixels change."""
    control = page.locator(f"[data-browser-test-control='{k}']")
    figure = page.locator(f"[data-browser-test-figure='{k}']")
    control.scroll_into_view_if_needed()
    figure.scroll_into_view_if_needed()
    src_before = figure.get_attribute("src")
    pixels_before = figure.screenshot()
    moved = _move(page, control, explorer["kind"])
    unchanged = (
        f"explorer {k} (cell {explorer['cell']}, {explorer['label']!r}): the figure did not "
        f"change within {FIGURE_TIMEOUT // 1000}s after {moved}"
    )
    if explorer["figure"] == "img":
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            page.wait_for_function(
                "([img, src]) => img.getAttribute('src') !== src && img.complete"
                " && img.naturalWidth > 0",
                arg=[figure.element_handle(), src_before],
                timeout=FIGURE_TIMEOUT,
            )
        except PlaywrightTimeout:
            raise AssertionError(unchanged) from None
    deadline = time.monotonic() + FIGURE_TIMEOUT / 1000
    while True:  # the new image is decoded and painted: compare what is on the screen
        figure.scroll_into_view_if_needed()
        if figure.screenshot() != pixels_before:
            return moved
        if time.monotonic() > deadline:
            raise AssertionError(unchanged)
        time.sleep(0.25)


@pytest.mark.parametrize("slug", SLUGS)
def test_lesson_runs_in_jupyterlab_and_its_explorers_respond(lab, browser, slug):
    path = f"{slug}.ipynb"
    assert lesson_path(slug).exists(), f"the manifest lists {slug} but {path} is missing"
    ARTIFACTS.mkdir(exist_ok=True)
    number = slug.split("-")[0]
    shot = ARTIFACTS / f"lesson-{number}-browser.png"
    failure_shot = ARTIFACTS / f"lesson-{number}-browser-failure.png"
    failure_shot.unlink(missing_ok=True)  # a stale one would mislead
    console: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    started = time.monotonic()
    try:
        # A workspace of its own, so no other lesson's tabs are restored beside it.
        page.goto(f"{lab}/lab/workspaces/test-{number}/tree/{path}?reset&token={TOKEN}")
        page.wait_for_function(
            "(path) => window.jupyterapp && Array.from(window.jupyterapp.shell.widgets('main'))"
            ".some(w => w.context?.path === path && w.node.querySelector('.jp-Notebook'))",
            arg=path,
            timeout=OPEN_TIMEOUT,
        )
        page.wait_for_function(
            f"(path) => {{ const s = ({NOTEBOOK_STATE})(path);"
            " return s.connection === 'connected' && s.status === 'idle'; }",
            arg=path,
            timeout=KERNEL_TIMEOUT,
        )
        opened = time.monotonic()
        state = _run_all(page, path)
        ran = time.monotonic()
        problems = _cell_problems(state)
        assert not problems, f"{slug}: cells failed in JupyterLab:\n" + "\n\n".join(problems)
        unrun = [c["index"] for c in state["cells"] if not c["empty"] and c["count"] is None]
        assert not unrun, f"{slug}: cells {unrun} have no execution count after Run All"

        # Every widget output renders (no "Error displaying widget", no missing model).
        deadline = time.monotonic() + WIDGETS_SECONDS
        while True:
            widgets = page.evaluate(WIDGET_OUTPUTS, path)
            if all(w["rendered"] >= w["sent"] for w in widgets) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        broken = [f"cell {w['index']}: {w['text']!r}" for w in widgets if w["rendered"] < w["sent"]]
        assert not broken, f"{slug}: widget outputs did not render: {broken}"

        marked = page.evaluate(FIND_EXPLORERS, [path, CONTROLS])
        assert not marked["unknown"], (
            f"{slug}: cells {marked['unknown']} show a figure whose controls are none of "
            f"{sorted(CONTROLS)}: teach this test to move them"
        )
        explorers = marked["found"]
        moves = [_exercise(page, k, explorer) for k, explorer in enumerate(explorers)]
        if explorers:
            page.locator("[data-browser-test-explorer='0']").scroll_into_view_if_needed()
        page.screenshot(path=str(shot))
        finished = time.monotonic()
        print(
            f"{slug}: open {opened - started:.1f}s, run all {ran - opened:.1f}s, "
            f"{len(explorers)} explorer(s) {finished - ran:.1f}s: {moves}"
        )
        assert not console, f"{slug}: browser console errors: {console}"
    except BaseException:
        try:
            page.screenshot(path=str(failure_shot))
        except Exception:
            pass
        raise
    finally:
        context.close()
        _shut_down_kernels(lab)
