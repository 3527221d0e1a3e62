"""A PostgreSQL gradebook (``c.CourseDirectory.db_url``) shared by two `course grade` runs and a
hand-grader at once loses nothing; an unreachable one stops `course grade` before anything runs.

The server is real and private (see ``postgres_server.py``): started once per session on a Unix
socket in a temporary folder, stopped and deleted at the end. Without PostgreSQL the tests skip
with the reason (under CI they fail instead).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
# tests/ is no package (and pytest imports with importlib): load the fixture module by its path
_spec = importlib.util.spec_from_file_location("postgres_server", HERE / "postgres_server.py")
postgres_server = sys.modules.setdefault("postgres_server", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(postgres_server)

# assignment -> student -> (how_many, which_docs); t2 has t1's cells, and other answers
ANSWERS = {
    "t1": {
        "ana": (42, ["001", "004"]),
        "ben": (42, ["001"]),
        "cai": (7, ["001", "004"]),
        "dee": (None, None),
        "eli": (42.0, ["004", "001", "002"]),
        "fay": (41, ["000", "002", "003"]),
    },
    "t2": {
        "ana": (7, None),
        "ben": (42, ["001", "004"]),
        "cai": (42.0, ["004"]),
        "dee": (42, ["001", "003"]),
        "eli": (None, ["001", "004"]),
        "fay": (42, ["000", "001", "002", "003", "004"]),
    },
}
STUDENTS = sorted(ANSWERS["t1"])
AUTO = ("test_how_many", "test_which_docs")
WRITTEN = "why_written"  # the written answer (1 point), graded by hand
# The hand-grader's two marks for each submission: a first look as soon as the submission is
# in the gradebook, then its final mark once the autograder's scores are in.
FIRST_LOOK = 0.1
FINAL = {"t1": [1.0, 0.25, 0.75, 0.0, 0.5, 1.0], "t2": [0.5, 1.0, 0.0, 0.75, 0.25, 0.5]}


def expected_auto(how_many, which_docs) -> dict[str, float]:
    """The autograded points, worked out here from the key, not by course.scoring.

    how_many: 42 exactly (tolerance 0), 2 points. which_docs: 001 and 004 of five options, 2
    points times (right picks / 2 - wrong picks / 3), never below 0.
    """
    number = 2.0 if isinstance(how_many, int | float) and how_many == 42 else 0.0
    docs = 0.0
    if which_docs is not None:
        right, picked = {"001", "004"}, set(which_docs)
        docs = round(2 * max(0.0, len(picked & right) / 2 - len(picked - right) / 3), 2)
    return {"test_how_many": number, "test_which_docs": docs}


HAND_GRADER = f"""
import json, sys, time
from pathlib import Path
from nbgrader.api import Gradebook, MissingEntry

url, course_id, stop, record = sys.argv[1:5]
students, final = {STUDENTS!r}, {FINAL!r}
written = {{}}  # "assignment/student" -> [[score, autograded when written, time], ...]
with Gradebook(url, course_id) as gradebook:
    while True:
        last = Path(stop).exists()  # the graders have exited: one last round
        for assignment in final:
            for index, student in enumerate(students):
                marks = written.setdefault(f"{{assignment}}/{{student}}", [])
                if len(marks) == 2:
                    continue
                try:
                    grade = gradebook.find_grade({WRITTEN!r}, assignment, assignment, student)
                    autograded = all(
                        gradebook.find_grade(name, assignment, assignment, student).auto_score
                        is not None
                        for name in {AUTO!r}
                    )
                except MissingEntry:
                    continue
                for score in [{FIRST_LOOK}, final[assignment][index]][len(marks):]:
                    if score != {FIRST_LOOK} and not autograded:
                        break
                    grade.manual_score = score  # as the formgrader saves a hand grade
                    grade.needs_manual_grade = False
                    gradebook.db.commit()
                    marks.append([score, autograded, time.time()])
        gradebook.db.commit()  # end this round's reading transaction
        if last:
            break
        time.sleep(0.01)
Path(record).write_text(json.dumps(written))
"""


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL server for this session (skipped, or under CI failed, without one)."""
    reason = postgres_server.unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL gradebook tests cannot run in CI: {reason}")
        pytest.skip(f"PostgreSQL gradebook tests need a PostgreSQL server: {reason}")
    with postgres_server.server() as server:
        yield server


def _use_database(root: Path, url: str) -> None:
    """Point the course's gradebook at ``url``. A course id is needed there: nbgrader enters the
    course's row only for a non-empty id, and PostgreSQL (unlike SQLite) enforces the key."""
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(f'c.CourseDirectory.course_id = "tiny"\nc.CourseDirectory.db_url = {url!r}\n')


def _nbgrader(root: Path, *args: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=root, capture_output=True, text=True
    )
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stderr[-3000:]}"


def _two_assignment_course(root: Path, released_course, submit, url: str) -> Path:
    """The tiny course, with t2 (a copy of t1), its gradebook on ``url``, both released."""
    released_course(root)
    shutil.copytree(root / "solutions" / "t1", root / "solutions" / "t2")
    (root / "solutions" / "t2" / "t1.ipynb").rename(root / "solutions" / "t2" / "t2.ipynb")
    (root / "gradebook.db").unlink()  # the SQLite gradebook of the first release
    _use_database(root, url)
    for assignment in ANSWERS:
        _nbgrader(root, "generate_assignment", assignment, "--force")
        for student, (how_many, which_docs) in ANSWERS[assignment].items():
            cells = {
                "how_many": f"how_many = {how_many!r}",
                "which_docs": f"which_docs = {which_docs!r}",
                WRITTEN: f"{student} on {assignment}: both appear on Trotskyist sites.",
            }
            submit(root, assignment, student, cells)
    return root


def test_two_graders_and_a_hand_grader_at_once_lose_nothing(
    tmp_path, sandbox_ready, released_course, submit, postgres
):
    from nbgrader.api import Gradebook
    from sqlalchemy import create_engine, text

    from course.gradebook import Course

    url = postgres.database("concurrent")
    root = _two_assignment_course(tmp_path / "course", released_course, submit, url)
    course_id = Course(root).course_id
    stop, record = tmp_path / "graders-exited", tmp_path / "hand-grades.json"
    hand = subprocess.Popen(
        [sys.executable, "-c", HAND_GRADER, url, course_id, str(stop), str(record)],
        stderr=subprocess.PIPE,
        text=True,
    )
    graders, logs = {}, {}
    for assignment in ANSWERS:
        logs[assignment] = open(tmp_path / f"grade-{assignment}.out", "w+", encoding="utf-8")
        graders[assignment] = subprocess.Popen(
            [sys.executable, "-m", "course", "grade", assignment, "--root", str(root)]
            + ["--jobs", "1"],
            stdout=logs[assignment],
            stderr=subprocess.STDOUT,
        )
    try:
        codes = {a: grader.wait(timeout=180) for a, grader in graders.items()}
        exited = time.time()
    finally:
        for grader in graders.values():
            if grader.poll() is None:
                grader.kill()
        stop.touch()
        _, hand_errors = hand.communicate(timeout=60)
    output = {}
    for assignment, log in logs.items():
        log.seek(0)
        output[assignment] = log.read()
        log.close()
    for assignment, code in codes.items():
        assert code == 0, f"course grade {assignment} exited {code}:\n{output[assignment][-3000:]}"
        assert "6 of 6 submissions graded" in output[assignment], output[assignment][-3000:]
    assert hand.returncode == 0, f"the hand-grader failed:\n{hand_errors[-3000:]}"
    written = json.loads(record.read_text("utf-8"))
    during = [key for key, marks in written.items() if marks and marks[0][2] < exited]
    # each grader records a submission about every second; the hand-grader looks every 10 ms
    assert len(during) >= 6, f"only {during} were hand-graded while the graders ran"

    with Gradebook(url, course_id) as gradebook:
        for assignment, answers in ANSWERS.items():
            submissions = gradebook.assignment_submissions(assignment)
            assert sorted(s.student.id for s in submissions) == STUDENTS
            for submission in submissions:
                student = submission.student.id
                where = f"{assignment}/{student}"
                assert [n.name for n in submission.notebooks] == [assignment], where
                grades = {g.name: g for g in submission.notebooks[0].grades}
                assert sorted(grades) == sorted([*AUTO, WRITTEN]), where
                assert len(submission.notebooks[0].grades) == 3, f"{where}: duplicated grades"
                auto = expected_auto(*answers[student])
                for name, points in auto.items():
                    assert grades[name].auto_score == pytest.approx(points), f"{where} {name}"
                    assert grades[name].manual_score is None, f"{where} {name}"
                    assert not grades[name].needs_manual_grade, f"{where} {name}"
                marks = written[where]
                final = FINAL[assignment][STUDENTS.index(student)]
                assert [m[0] for m in marks] == [FIRST_LOOK, final], where
                assert grades[WRITTEN].manual_score == pytest.approx(final), f"{where}: hand grade"
                assert not grades[WRITTEN].needs_manual_grade, where
                total = sum(auto.values()) + final
                assert submission.score == pytest.approx(total), f"{where}: total"
                assert submission.max_score == pytest.approx(5), where

    engine = create_engine(url)
    try:
        with engine.connect() as db:
            counts = {
                table: db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("assignment", "student", "submitted_assignment", "grade")
            }
    finally:
        engine.dispose()
    assert counts == {"assignment": 2, "student": 6, "submitted_assignment": 12, "grade": 36}
    assert not (root / "gradebook.db").exists(), "a SQLite gradebook was made beside PostgreSQL"


def test_a_server_that_is_not_running_stops_grading_before_anything_runs(
    tmp_path, sandbox_ready, released_course, submit
):
    reason = postgres_server.unavailable()
    if reason and "psycopg2" in reason:  # the server binaries are not needed here
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    nowhere = tmp_path / "no-server"  # a socket folder that no server listens in
    nowhere.mkdir()
    url = f"postgresql+psycopg2://postgres@/offline_gradebook?host={nowhere}&port=5432"
    root = released_course(tmp_path / "course")
    _use_database(root, url)
    # executed, this answer would keep the run going for a minute
    submit(root, "t1", "ana", {"how_many": "import time\ntime.sleep(60)\nhow_many = 42"})
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "course", "grade", "t1", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    seconds = time.monotonic() - started
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 2, run.stdout + run.stderr
    assert seconds < 20, f"took {seconds:.1f} s to give up on a server that is not there"
    assert len(lines) == 1, run.stderr
    assert "offline_gradebook" in lines[0] and "db_url" in lines[0], lines[0]
    assert "check" in lines[0].lower(), lines[0]
    assert not (root / "autograded").exists(), "something ran or was recorded"
