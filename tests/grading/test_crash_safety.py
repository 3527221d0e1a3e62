"""Killing `course grade` with SIGKILL mid-batch loses nothing: the re-run's gradebook equals an
uninterrupted run's, and running it again changes nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
ANSWERS = {  # student -> (how_many, which_docs)
    "ana": ("42", "['001', '004']"),
    "ben": ("42", "['001']"),
    "cai": ("7", "['001', '004']"),
    "dee": ("None", "None"),
    "eli": ("42.0", "['004', '001', '002']"),
}


def _course(root: Path, released_course) -> Path:
    answers = {
        student: {"how_many": f"how_many = {how_many}", "which_docs": f"which_docs = {which_docs}"}
        for student, (how_many, which_docs) in ANSWERS.items()
    }
    return released_course(root, answers)


def _grade(root: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "course", "grade", "t1", "--root", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **popen,
    )


def _recorded(root: Path) -> int:
    try:
        with sqlite3.connect(f"file:{root / 'gradebook.db'}?mode=ro", uri=True) as db:
            return db.execute(
                "select count(distinct notebook_id) from grade where auto_score is not null"
            ).fetchone()[0]
    except sqlite3.Error:
        return 0


def test_sigkill_mid_batch_then_rerun_equals_an_uninterrupted_run(
    tmp_path, sandbox_ready, released_course, gradebook_rows
):
    _grades = gradebook_rows
    clean = _course(tmp_path / "clean", released_course)
    killed = _course(tmp_path / "killed", released_course)
    assert _grade(clean).wait(timeout=300) == 0

    run = _grade(killed, start_new_session=True)
    deadline = time.monotonic() + 240
    while _recorded(killed) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    done = _recorded(killed)
    assert 0 < done < len(ANSWERS), f"the kill should land mid-batch; {done} were recorded"

    assert _grade(killed).wait(timeout=300) == 0
    assert _grades(killed) == _grades(clean)
    assert _grade(killed).wait(timeout=300) == 0  # idempotent
    assert _grades(killed) == _grades(clean)
    scores = {}
    for student, _cell, score, _ in _grades(clean):
        scores[student] = scores.get(student, 0) + (score or 0)
    # ben names one of two documents (half of 2 points); eli both and one wrong of three (2 - 2/3)
    assert scores == pytest.approx({"ana": 4, "ben": 3, "cai": 2, "dee": 0, "eli": 3.33})
