"""The instructor's path, end to end, with the real nbgrader commands, in a temporary course dir.

``nbgrader generate_assignment`` -> five sample submissions (tests/submissions/) under
``submitted/<student>/`` -> ``nbgrader autograde`` -> ``nbgrader generate_feedback`` ->
``nbgrader export``. The expected scores were worked out by hand from the answer keys; the
feedback handed back to students must not show hidden tests or answer keys.
"""

from __future__ import annotations

import csv
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SLUG = "01-collapse-and-recovery"
FIXTURES = Path(__file__).resolve().parent / "submissions" / SLUG

# Autograded points only: the two written answers (2 + 4 points) wait for the formgrader and
# count 0 until an instructor marks them, so the maximum is 20 autograded + 6 written = 26.
MAX_SCORE = 26.0
EXPECTED_TOTALS = {
    "correct": 20.0,  # every answer right
    "blank": 0.0,  # the student copy as released
    # 2 + 2 + 1.71 (3 of 4 claims, F1 0.8571) + 1.5 (one reading of two) + 0 (a foreseen
    # mistake: no compounding) + 1.5 (one end of the range) + 0 + 1.33 (2 of 3 fields)
    # + 1.87 (14 of 15 pairs in order)
    "partial": 11.91,
    # a string for a number, True, a Python set, a list for a dict, NaN, a tuple, a str
    # subclass that equals anything, ints where strings are asked, an always-equal object;
    # it also runs `%xmode Context`, hoping its feedback will show the code around each failure
    "wrong_types": 0.0,
    # the first answer cell raises before assigning (0), the second raises after assigning (2)
    "raises": 18.0,
}
EXPECTED_PARTIAL = {
    "test_recovery_1920_1922": 2.0,
    "test_scissors_ratio": 2.0,
    "test_output_claims": 1.71,
    "test_reading_250_percent": 1.5,
    "test_official_annual_rate": 0.0,
    "test_western_multiple_1937": 1.5,
    "test_reading_inside_reference": 0.0,
    "test_depression_dating_error": 1.33,
    "test_economic_events_order": 1.87,
}
LEAKS = (
    "BEGIN HIDDEN",
    "END HIDDEN",
    "award(",
    "course.scoring",
    "expected",
    "BEGIN SOLUTION",
    "MARK SCHEME",
    "Model answer",
)


def _nbgrader(course: Path, *args: str) -> str:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stderr[-4000:]}"
    assert "ERROR" not in run.stderr, run.stderr[-4000:]
    return run.stderr


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / SLUG, course / "solutions" / SLUG)
    _nbgrader(course, "generate_assignment", SLUG)
    for fixture in sorted(FIXTURES.glob("*.ipynb")):
        folder = course / "submitted" / fixture.stem / SLUG
        folder.mkdir(parents=True)
        shutil.copy(fixture, folder / f"{SLUG}.ipynb")
    _nbgrader(course, "autograde", SLUG)
    _nbgrader(course, "generate_feedback", SLUG)
    _nbgrader(course, "export")
    return course


def test_the_fixtures_are_the_five_expected_students():
    assert sorted(p.stem for p in FIXTURES.glob("*.ipynb")) == sorted(EXPECTED_TOTALS)


def test_exported_scores_are_exactly_as_expected(graded):
    with open(graded / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(EXPECTED_TOTALS)
    for student, total in EXPECTED_TOTALS.items():
        assert rows[student]["assignment"] == SLUG
        assert float(rows[student]["max_score"]) == MAX_SCORE
        assert float(rows[student]["score"]) == pytest.approx(total, abs=1e-6), student


def test_partial_credit_is_recorded_per_question(graded):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(SLUG, SLUG, "partial")
        scores = {grade.name: grade.score for grade in submission.grades}
        written = [g for g in submission.grades if g.cell.cell_type == "markdown"]
        assert [g.name for g in written if g.needs_manual_grade] == ["recovery_series_caveat"]
    auto = {name: score for name, score in scores.items() if name.startswith("test_")}
    assert auto == pytest.approx(EXPECTED_PARTIAL, abs=1e-6)


def test_feedback_shows_no_hidden_test_or_answer_key(graded):
    import nbformat

    solution = nbformat.read(ROOT / "solutions" / SLUG / f"{SLUG}.ipynb", as_version=4)
    keys = [
        line.split(", ", 1)[1][:40]
        for cell in solution.cells
        for line in cell.source.splitlines()
        if line.startswith("award(")
    ]
    assert len(keys) == 9
    for student in EXPECTED_TOTALS:
        page = (graded / "feedback" / student / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", page))  # what the student reads
        assert text.count("from course.feedback import check") == 9, student
        assert text.count("# Test: ") == 9, student
        for leak in (*LEAKS, *keys):
            assert leak not in text and leak not in page, (student, leak)
        if student == "correct":
            assert text.count(" is well formed: ") == 9
        else:  # failed checks show their message, never the code around them
            assert "most recent call last" not in text and "---->" not in text
