"""Hostile submissions against `course grade`: none earns an undeserved point, changes another
student's grade, or changes a file outside its sandbox.

One tiny assignment (``t1``: ``how_many`` = 42 for 2 points, ``which_docs`` = ["001", "004"] for
2 points, one written answer) is released into a temporary course directory; each attack is a
student whose notebook is written at test time with the real paths of that directory, so the
attacks aim at real targets. Every attacker's own answers are wrong unless an attack succeeds,
so any point it gets is a breach. All submissions are graded in one run with two jobs.
Also checked: the grader's memory and disk are not filled (the sandbox writes only to capped
in-memory folders, and its output goes to a file bounded by its file-size limit).
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from course import grading, sandbox

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
LIMITS = sandbox.Limits(
    cell_timeout=5,
    notebook_timeout=90,
    cpu_seconds=30,
    memory_bytes=2 * 1024**3,
    processes=128,
    output_bytes=200_000,
)
WRONG = "how_many = 7\nwhich_docs = ['002']\n"


def _attack(code: str, **expect) -> dict:
    """An attacker whose own answers are wrong: any point it earns is a breach. ``code`` runs in
    its first answer cell; ``expect`` may set a ``status`` or an ``edit`` of its notebook."""
    return {"answers": {"how_many": WRONG + code}, "score": 0, **expect}


def _attacks(root: Path, port: int, canary: Path) -> dict[str, dict]:
    """student -> {"answers": {grade_id: source}, "score": expected, optional "status" and
    "edit" (the name of a change to the notebook, see :func:`_edit`)}."""
    key_file = root / "solutions" / "t1" / "t1.ipynb"
    return {
        "honest_correct": {
            "answers": {"how_many": "how_many = 42", "which_docs": "which_docs = ['001', '004']"},
            "score": 4,
        },
        "honest_partial": {
            "answers": {"how_many": "how_many = 42", "which_docs": "which_docs = ['001', '002']"},
            "score": 2.33,  # 42 right; one of two documents right, one wrong pick
        },
        "honest_blank": {"answers": {}, "score": 0},
        "read_solutions": _attack(
            f"""
import glob, json
for path in [{str(key_file)!r}, *glob.glob({str(root)!r} + '/**/*.ipynb', recursive=True),
             *glob.glob('/tmp/**/*.ipynb', recursive=True), *glob.glob('/work/**/*.ipynb', recursive=True)]:
    try:
        text = open(path).read()
    except OSError:
        continue
    if '"expected": ' + str(6 * 7) in text and 'how_' + 'many' in text:
        how_many, which_docs = 42, ['001', '004']
"""
        ),
        "rewrite_gradebook": _attack(
            f"""
import sqlite3
try:
    db = sqlite3.connect({str(root / "gradebook.db")!r})
    db.execute('update grade set auto_score = 100')
    db.commit()
except Exception as error:
    print('no gradebook:', error)
"""
        ),
        "write_outside": _attack(
            f"""
for target in [{str(canary)!r}, {str(root / "pwned.txt")!r}, '/usr/pwned', '/etc/pwned']:
    try:
        open(target, 'w').write('pwned')
    except OSError as error:
        print('blocked', target, type(error).__name__)
"""
        ),
        "shadow_builtins": _attack(
            """
import builtins
abs = lambda x: 0
builtins.abs = lambda x: 0
builtins.len = lambda x: 0
builtins.sorted = lambda *a, **k: ['001', '004']
""",
            status="crash",
        ),
        "patch_scoring": _attack(
            """
import math, course.scoring, course.feedback
math.isclose = lambda *a, **k: True
course.scoring.score = lambda *a, **k: 1.0
course.scoring.award = lambda answer, key: key['points']
course.feedback.check = lambda *a, **k: None
"""
        ),
        "always_equal": {
            "answers": {
                "how_many": """
class Anything:
    def __eq__(self, other): return True
    def __float__(self): return 42.0
how_many = Anything()
class Sneaky(str):
    def __eq__(self, other): return True
which_docs = [Sneaky('nothing')]
"""
            },
            "score": 0,
        },
        "input_transformer": _attack(
            """
ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: ['how_many = 7\\n'])
"""
        ),
        "cell_hooks": _attack(
            """
seen = []
def spy(info):
    seen.append(info.raw_cell)
    if any('awa' + 'rd(' in cell or 'BEGIN ' + 'HIDDEN' in cell for cell in seen):
        globals().update(how_many=42, which_docs=['001', '004'])
get_ipython().events.register('pre_run_cell', spy)
"""
        ),
        "forge_outputs": _attack(
            """
from IPython.display import display
print('@@COURSE-ANSWERS@@' + '{"how_many": {"value": 42}}')
display(4.0)
""",
            edit="forge_test_outputs",
        ),
        "stderr_and_warnings": {
            "answers": {
                "how_many": """
import sys, warnings
print('noise', file=sys.stderr)
warnings.warn('a warning')
how_many = 42
""",
                "which_docs": "import sys\nprint('more noise', file=sys.stderr)\nwhich_docs = ['001', '004']",
            },
            "score": 4,
        },
        "exit_kernel": {
            "answers": {"how_many": "how_many = 42\nimport os\nos._exit(0)"},
            "score": 0,
            "status": "crash",
        },
        "infinite_loop": {
            "answers": {
                "how_many": "how_many = 42\nwhile True:\n    pass",
                "which_docs": "which_docs = ['002']",
            },
            "score": 2,
            "status": "timeout",
        },
        "memory_bomb": {
            "answers": {
                "how_many": "how_many = 42\nhog = bytearray(8 * 1024**3)",
                "which_docs": "which_docs = ['002']",
            },
            "score": 2,
        },
        "fork_bomb": _attack(
            """
import os
children = 0
try:
    while True:
        if os.fork() == 0:
            import time
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as error:
    print('stopped after', children, type(error).__name__)
"""
        ),
        "fill_the_disk": _attack(
            f"""
import os
for folder in ['.', '/tmp', {str(root / "submitted")!r}, os.path.dirname(os.getcwd())]:
    for index in range(8):
        try:
            with open(os.path.join(folder, f'fill{{index}}'), 'wb') as handle:
                handle.write(b'x' * 60_000_000)
        except OSError as error:
            print('stopped', folder, index, type(error).__name__)
            break
"""
        ),
        "flood_the_grader": _attack(
            """
import os
for _ in range(30):
    os.write(1, b'x' * 1_000_000)
    os.write(2, b'y' * 1_000_000)
"""
        ),
        "huge_output": _attack("print('x' * 5_000_000)"),
        "network": _attack(
            f"""
import socket
for address in [('127.0.0.1', {port}), ('localhost', {port})]:
    try:
        socket.create_connection(address, timeout=2).sendall(b'stolen')
    except OSError as error:
        print('no route', address, type(error).__name__)
"""
        ),
        "tampered_metadata": _attack("", edit="tamper_metadata"),
        "deleted_tests": {
            "answers": {"how_many": "how_many = 42", "which_docs": "which_docs = ['001', '004']"},
            "edit": "delete_tests",
            "score": 4,
        },
        "duplicated_tests": _attack("", edit="duplicate_tests"),
        "corrupt_json": {"answers": {}, "edit": "corrupt", "score": 0, "status": "unreadable"},
        "missing_notebook": {"answers": {}, "edit": "missing", "score": 0, "status": "unreadable"},
    }


def _edit(notebook, how: str | None, path: Path) -> None:
    if how == "forge_test_outputs":
        for cell in notebook.cells:
            if cell.metadata.get("nbgrader", {}).get("grade"):
                cell.outputs = [
                    nbformat.v4.new_output(
                        "execute_result", data={"text/plain": "2"}, execution_count=1
                    )
                ]
    elif how == "tamper_metadata":
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                meta.update(points=1000, grade=False, locked=False)
                cell.source = "pass"
    elif how == "delete_tests":
        notebook.cells = [
            c
            for c in notebook.cells
            if not (c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code")
        ]
    elif how == "duplicate_tests":
        tests = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
        notebook.cells += [nbformat.from_dict(json.loads(json.dumps(c))) for c in tests]
    nbformat.write(notebook, path)
    if how == "corrupt":
        path.write_text('{"cells": [ this is not json', "utf-8")
    elif how == "missing":
        path.unlink()


def _snapshot(root: Path) -> dict[str, str]:
    skip = {"gradebook.db", "autograded", ".nbgrader.log"}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not skip & set(p.relative_to(root).parts)
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory, sandbox_ready, released_course):
    root = released_course(tmp_path_factory.mktemp("course"))
    released = root / "exercises" / "t1" / "t1.ipynb"
    canary = tmp_path_factory.mktemp("outside") / "canary.txt"
    canary.write_text("untouched", "utf-8")
    received: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def listen():
        server.settimeout(1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                received.append(connection.recv(100))
            except OSError:
                continue

    stop = threading.Event()
    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    attacks = _attacks(root, port, canary)
    for student, attack in attacks.items():
        notebook = nbformat.read(released, as_version=4)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in attack["answers"]:
                cell.source = attack["answers"][grade_id]
        folder = root / "submitted" / student / "t1"
        folder.mkdir(parents=True)
        _edit(notebook, attack.get("edit"), folder / "t1.ipynb")
    before = _snapshot(root)
    results = grading.grade("t1", root, jobs=2, limits=LIMITS, progress=False)
    stop.set()
    thread.join()
    server.close()
    return {
        "root": root,
        "attacks": attacks,
        "results": results,
        "before": before,
        "canary": canary,
        "received": received,
    }


def _scores(root: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions("t1")}


def test_every_submission_gets_exactly_its_expected_score(graded):
    scores = _scores(graded["root"])
    expected = {student: float(attack["score"]) for student, attack in graded["attacks"].items()}
    assert scores == expected


def test_statuses_report_the_problem(graded):
    for student, attack in graded["attacks"].items():
        status = {o.status for o in graded["results"][student]}
        assert status == {attack.get("status", "ok")}, (student, graded["results"][student])


def test_no_file_outside_the_sandbox_changed(graded):
    assert _snapshot(graded["root"]) == graded["before"]
    assert graded["canary"].read_text("utf-8") == "untouched"
    assert not Path("/usr/pwned").exists() and not Path("/etc/pwned").exists()


def test_no_network_reached_the_grader(graded):
    assert graded["received"] == []


def test_regrading_one_student_changes_no_one_else(graded):
    before = _scores(graded["root"])
    grading.grade("t1", graded["root"], students=["honest_partial"], limits=LIMITS, progress=False)
    assert _scores(graded["root"]) == before


def test_autograded_notebooks_hold_no_hidden_test(graded):
    for path in (graded["root"] / "autograded").rglob("*.ipynb"):
        autograded = nbformat.read(path, as_version=4)
        assert grading.leaks("", autograded) == [], path
        assert "BEGIN HIDDEN TESTS" not in path.read_text("utf-8"), path


def test_huge_output_is_capped(graded):
    path = graded["root"] / "autograded" / "huge_output" / "t1" / "t1.ipynb"
    assert path.stat().st_size < 2_000_000


def test_feedback_and_export_work_on_course_grade_results(graded):
    root = graded["root"]
    run = subprocess.run(
        [sys.executable, "-m", "course", "feedback", "t1", "--root", str(root)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    schemes = grading.mark_schemes(
        nbformat.read(root / "solutions" / "t1" / "t1.ipynb", as_version=4)
    )
    pages = list((root / "feedback").glob("*/t1/t1.html"))
    assert len(pages) >= len(graded["attacks"]) - 2  # not the unreadable ones
    for page in pages:
        autograded = nbformat.read(
            root / "autograded" / page.parent.parent.name / "t1" / "t1.ipynb", 4
        )
        assert grading.leaks(page.read_text("utf-8"), autograded, schemes) == [], page
    honest = (root / "feedback" / "honest_correct" / "t1" / "t1.html").read_text("utf-8")
    assert "Autograded: 2 of 2 points" in honest and "Why: Forty-two." in honest
    partial = (root / "feedback" / "honest_partial" / "t1" / "t1.html").read_text("utf-8")
    assert "About your answer: 002 is a game forum post." in partial
    assert "Strong exemplar" not in partial and "For graders" not in partial
    run = subprocess.run(
        [sys.executable, "-m", "course", "export", "--root", str(root), "--to", "grades.csv"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    lines = (root / "grades.csv").read_text("utf-8").splitlines()
    assert any(
        line.startswith("t1,") and ",honest_correct," in line and ",4.0," in line for line in lines
    ), lines[:3]
