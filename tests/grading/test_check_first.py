"""`course grade` checks first, then spends: a course that cannot be graded is refused in
seconds, before any submission runs; once grading starts, one student's failure is that
student's alone; and the instructor's terminal shows no library warnings."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

STUDENTS = {"ana": ("42", "['001', '004']"), "ben": ("42", "['001']"), "cai": ("7", "None")}
EXPECTED = {"ana": 4.0, "ben": 3.0, "cai": 0.0}


def _course(root: Path, released_course) -> Path:
    answers = {
        student: {"how_many": f"how_many = {how_many}", "which_docs": f"which_docs = {which_docs}"}
        for student, (how_many, which_docs) in STUDENTS.items()
    }
    return released_course(root, answers)


def _grade(root: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "course", "grade", "t1", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _scores(root: Path) -> dict[str, float]:
    with sqlite3.connect(root / "gradebook.db") as db:
        rows = db.execute(
            "select student.id, sum(coalesce(grade.auto_score, 0)) from grade"
            " join submitted_notebook on grade.notebook_id = submitted_notebook.id"
            " join submitted_assignment on submitted_notebook.assignment_id"
            " = submitted_assignment.id"
            " join student on submitted_assignment.student_id = student.id group by student.id"
        ).fetchall()
    return {student: round(score, 2) for student, score in rows}


def _test_cell(notebook, answer: str):
    return next(c for c in notebook.cells if f"award({answer}," in c.source)


def _nothing_ran(root: Path) -> None:
    assert not (root / "autograded").exists()


def _one_line(message: str) -> str:
    """The one message line of standard error, besides the progress bar."""
    lines = [line for line in message.strip().splitlines() if not line.startswith("grading:")]
    assert len(lines) == 1, message
    return lines[0]


def test_an_assignment_missing_from_the_gradebook_is_entered_then_graded(
    tmp_path, sandbox_ready, released_course
):
    root = _course(tmp_path, released_course)
    (root / "gradebook.db").unlink()  # a fresh gradebook: the release is not recorded in it
    run = _grade(root, "--jobs", "2")
    assert run.returncode == 0, run.stderr
    assert _scores(root) == EXPECTED


def test_a_gradebook_that_disagrees_with_the_source_is_refused_before_running(
    tmp_path, sandbox_ready, released_course
):
    root = _course(tmp_path, released_course)
    source = root / "solutions" / "t1" / "t1.ipynb"
    notebook = nbformat.read(source, as_version=4)
    cell = _test_cell(notebook, "how_many")
    cell.source = cell.source.replace('"points": 2', '"points": 3')
    cell.metadata["nbgrader"]["points"] = 3
    nbformat.write(notebook, source)
    started = time.monotonic()
    run = _grade(root)
    assert run.returncode == 2
    line = _one_line(run.stderr)
    assert "differs from its source" in line and "course release t1" in line
    assert time.monotonic() - started < 30
    _nothing_ran(root)


def test_a_broken_key_is_refused_before_running(tmp_path, sandbox_ready, released_course):
    root = _course(tmp_path, released_course)
    source = root / "solutions" / "t1" / "t1.ipynb"
    notebook = nbformat.read(source, as_version=4)
    cell = _test_cell(notebook, "how_many")
    cell.source = cell.source.replace("award(", "award(how_many, form, {'points': 2,}) + award(")
    nbformat.write(notebook, source)
    run = _grade(root)
    assert run.returncode == 2
    line = _one_line(run.stderr)
    assert str(source) in line and "how_many" in line and "fix the key" in line
    _nothing_ran(root)


def test_an_unreadable_submission_folder_is_refused_before_running(
    tmp_path, sandbox_ready, released_course
):
    root = _course(tmp_path, released_course)
    folder = root / "submitted" / "ben" / "t1"
    folder.chmod(0)
    # root reads any folder; without its two read-overriding capabilities it reads like anyone
    drop = ("setpriv", "--bounding-set=-dac_override,-dac_read_search") if os.geteuid() == 0 else ()
    try:
        run = _grade(root, prefix=drop)
    finally:
        folder.chmod(0o755)
    assert run.returncode == 2, run.stderr
    line = _one_line(run.stderr)
    assert str(folder) in line and "read access" in line
    _nothing_ran(root)


def test_a_failure_recording_one_student_leaves_the_others_graded(
    tmp_path, sandbox_ready, released_course
):
    root = _course(tmp_path, released_course)
    (root / "autograded").mkdir()
    (root / "autograded" / "ben").write_text("a file where ben's folder should be", "utf-8")
    (root / "submitted" / "cai" / "t1" / "timestamp.txt").write_text("not a date", "utf-8")
    run = _grade(root, "--jobs", "2")
    assert run.returncode == 5, run.stdout + run.stderr
    assert "ben" in _one_line(run.stderr) and "--student" in run.stderr
    table = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
    assert "error" in table["ben"] and "not recorded" in table["ben"]
    assert "holds no date" in table["cai"]
    scores = _scores(root)
    assert scores == {"ana": 4.0, "cai": 0.0}  # ben's grades are not invented as zeros
    (root / "autograded" / "ben").unlink()
    assert _grade(root, "--student", "ben").returncode == 0
    assert _scores(root) == EXPECTED


def test_the_terminal_shows_no_library_warnings(tmp_path, sandbox_ready, released_course):
    root = _course(tmp_path, released_course)
    run = _grade(root, "--jobs", "2", "--unsafe")  # --unsafe too: its kernels warn about TCP
    assert run.returncode == 0, run.stderr
    shown = run.stdout.replace(f"Library warnings and full error reports: {root}", "")
    for noise in ("Warning", "warn", "Traceback", "TCP", "sqlalchemy", "encryption"):
        assert noise not in shown + run.stderr, noise
    log = root / "course-grade.log"
    assert f"full error reports: {log}" in run.stdout
    assert "SAWarning" in log.read_text("utf-8")
    assert json.loads(json.dumps(_scores(root))) == EXPECTED
