"""One scorer: every sample submission gets the same per-question points from stock
``nbgrader autograde`` (the key runs in the student's kernel) and from ``course grade`` (the key
is read with ``ast`` and scored outside the sandbox), and those points are exactly the ones
written in ``tests/submissions/NN-slug/cases.json``.

Each assignment's cases (at least eight: correct, blank, each foreseen misconception, partial,
extra items, wrong types, select-all, ...) become real submissions of the released student copy.
Then ``course feedback`` must give every student a page that explains each question and shows no
hidden test and no grader's rubric.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import grading, sandbox
from course.manifest import lessons

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SLUGS = [lesson["slug"] for lesson in lessons() if not lesson["slug"].startswith("00-")]
LIMITS = sandbox.Limits(cell_timeout=30, notebook_timeout=180)


def cases(slug: str) -> dict:
    return json.loads((ROOT / "tests" / "submissions" / slug / "cases.json").read_text("utf-8"))


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def submission(slug: str, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The released student copy with each answer cell set to ``NAME = <expression>``."""
    nb = nbformat.read(ROOT / "exercises" / slug / f"{slug}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code" and meta["grade_id"] in answers:
            cell.source = f"{meta['grade_id']} = {answers[meta['grade_id']]}\n"
    return nb


def _questions(slug: str) -> list[tuple[grading.Question, object, list[float]]]:
    """Each question with the solution's value and the numbers its visible cell shows."""
    source = nbformat.read(ROOT / "solutions" / slug / f"{slug}.ipynb", as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in source.cells}
    namespace: dict = {}
    exec(cells["setup"].source, namespace)
    found = []
    for question in grading.read_questions(source)[0]:
        exec(cells[question.answer].source, namespace)
        visible = ast.parse(grading.strip_hidden(cells[question.grade_id].source))
        shown = [
            n.value
            for n in ast.walk(visible)
            if isinstance(n, ast.Constant) and type(n.value) in (int, float)
        ]
        found.append((question, namespace[question.answer], shown))
    return found


def guesses(slug: str) -> dict[str, dict[str, str]]:
    """Students who want points without thinking: every option (and the order shown, the first
    label for every item), the last option (and the reverse order, none picked), the solution
    plus an extra item or key, and the number a visible cell shows times 100."""
    every, last, extra, hinted = {}, {}, {}, {}
    for question, solution, shown in _questions(slug):
        form, method, name = question.form, question.key["method"], question.answer
        options = form.get("options") or []
        if method in ("set", "order"):
            every[name], last[name] = options, ([] if method == "set" else options[::-1])
        elif method == "labels":
            every[name] = {item: options[0] for item in form["keys"]}
            last[name] = {item: options[-1] for item in form["keys"]}
        elif method == "choice":
            every[name], last[name] = options[0], options[-1]
        if method == "set":
            extra[name] = [*solution, next(o for o in options if o not in solution)]
        elif isinstance(solution, dict):
            extra[name] = {**solution, "extra": solution[next(iter(solution))]}
        if method == "number" and shown:
            hinted[name] = shown[0] * 100
    return {
        f"guess_{kind}": {name: repr(value) for name, value in answers.items()}
        for kind, answers in (("every", every), ("last", last), ("extra", extra), ("hint", hinted))
    }


def students(slug: str) -> dict[str, dict[str, str]]:
    """Everyone graded: the sample cases (scores known) and the naive guessers."""
    return {**{name: case["answers"] for name, case in cases(slug).items()}, **guesses(slug)}


def _course(root: Path, slug: str) -> Path:
    root.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / slug, root / "solutions" / slug)
    for student, answers in students(slug).items():
        folder = root / "submitted" / student / slug
        folder.mkdir(parents=True)
        nbformat.write(submission(slug, answers), folder / f"{slug}.ipynb")
    return root


def _scores(root: Path, slug: str) -> dict[tuple[str, str], float]:
    """(student, test cell) -> points, as the gradebook holds them."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for student in students(slug):
            notebook = gradebook.find_submission_notebook(slug, slug, student)
            for grade in notebook.grades:
                if grade.cell.cell_type == "code":
                    found[student, grade.name] = grade.score
    return found


def _expected(slug: str) -> dict[tuple[str, str], float]:
    return {
        (student, grade_id): points
        for student, case in cases(slug).items()
        for grade_id, points in case["scores"].items()
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory, sandbox_ready):
    """Grade every assignment's cases both ways; stock nbgrader runs while course grade runs.
    course grade runs twice: in the sandbox's own Python (its default) and in a kernel."""
    base = tmp_path_factory.mktemp("two-scorers")
    stock, ours, kernel = {}, {}, {}
    runs = []
    for slug in SLUGS:
        stock[slug] = _course(base / "stock" / slug, slug)
        ours[slug] = _course(base / "ours" / slug, slug)
        kernel[slug] = _course(base / "kernel" / slug, slug)
        for root in (stock[slug], ours[slug], kernel[slug]):
            subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--force"],
                cwd=root,
                env=_env(),
                check=True,
                capture_output=True,
            )
        runs.append(
            subprocess.Popen(
                [sys.executable, "-m", "nbgrader", "autograde", slug],
                cwd=stock[slug],
                env=_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        if len(runs) > 1:  # at most two stock runs alongside course grade
            runs.pop(0).communicate(timeout=900)
    outcomes = {
        slug: grading.grade(slug, ours[slug], jobs=2, limits=LIMITS, progress=False)
        for slug in SLUGS
    }
    in_kernel = {
        slug: grading.grade(
            slug, kernel[slug], jobs=2, limits=LIMITS, progress=False, executor="kernel"
        )
        for slug in SLUGS
    }
    for run in runs:
        run.communicate(timeout=900)
    return {
        "stock": stock,
        "ours": ours,
        "outcomes": outcomes,
        "kernel": kernel,
        "in_kernel": in_kernel,
    }


@pytest.mark.parametrize("slug", SLUGS)
def test_each_assignment_has_eight_varied_cases(slug):
    found = cases(slug)
    assert len(found) >= 8 and {"correct", "blank"} <= set(found), sorted(found)
    source = nbformat.read(ROOT / "solutions" / slug / f"{slug}.ipynb", as_version=4)
    ids = {q.grade_id for q in grading.read_questions(source)[0]}
    for name, case in found.items():
        assert set(case["scores"]) == ids, name


@pytest.mark.parametrize("slug", SLUGS)
def test_stock_nbgrader_gives_exactly_the_expected_points(graded, slug):
    stock = _scores(graded["stock"][slug], slug)
    assert {k: v for k, v in stock.items() if k[0] in cases(slug)} == pytest.approx(
        _expected(slug), abs=1e-9
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_course_grade_gives_exactly_the_expected_points(graded, slug):
    ours = _scores(graded["ours"][slug], slug)
    assert {k: v for k, v in ours.items() if k[0] in cases(slug)} == pytest.approx(
        _expected(slug), abs=1e-9
    )
    for student, outcomes in graded["outcomes"][slug].items():
        assert [o.status for o in outcomes] == ["ok"], (student, outcomes[0].problems)


@pytest.mark.parametrize("slug", SLUGS)
def test_running_cells_without_a_kernel_grades_exactly_as_a_kernel(graded, slug):
    """The fast path (cells run in the sandbox's Python) against a Jupyter kernel, nbgrader's
    way: the same points for every question of every student, the same statuses and answers."""
    assert _scores(graded["ours"][slug], slug) == _scores(graded["kernel"][slug], slug)
    for student, outcomes in graded["outcomes"][slug].items():
        theirs = graded["in_kernel"][slug][student]
        assert [(o.status, o.answers) for o in outcomes] == [
            (o.status, o.answers) for o in theirs
        ], student


@pytest.mark.parametrize("slug", SLUGS)
def test_naive_guessers_earn_no_more_than_chance_on_both_scorers(graded, slug):
    stock, ours = _scores(graded["stock"][slug], slug), _scores(graded["ours"][slug], slug)
    guessers = guesses(slug)
    for student in guessers:
        for key in [k for k in ours if k[0] == student]:
            assert stock[key] == pytest.approx(ours[key], abs=1e-9), key
    questions = {q.grade_id: (q, solution) for q, solution, _ in _questions(slug)}
    total = sum(q.points for q, _ in questions.values())
    for student in ("guess_every", "guess_last"):
        earned = 0.0
        for grade_id, (question, _) in questions.items():
            points = ours[student, grade_id]
            earned += points
            if question.key["method"] in ("set", "labels", "order"):
                assert points == 0, (student, grade_id, points)
        assert earned <= 0.2 * total, (student, earned, total)
    for grade_id, (question, _) in questions.items():
        if question.answer in guessers["guess_extra"]:
            assert ours["guess_extra", grade_id] < question.points, grade_id
        if question.answer in guessers["guess_hint"]:
            assert ours["guess_hint", grade_id] == 0, grade_id


@pytest.mark.parametrize("slug", SLUGS)
def test_answers_are_kept_beside_the_autograded_notebook(graded, slug):
    record = json.loads(
        (
            graded["ours"][slug] / "autograded" / "correct" / slug / f"{slug}.answers.json"
        ).read_text()
    )
    for grade_id, entry in record.items():
        assert entry["points"] == entry["max_points"] == cases(slug)["correct"]["scores"][grade_id]
        assert entry["skill"]


def test_feedback_explains_every_question_and_withholds_nothing(graded):
    slug = SLUGS[0]
    root = graded["ours"][slug]
    run = subprocess.run(
        [sys.executable, "-m", "course", "feedback", slug, "--root", str(root)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    source = nbformat.read(ROOT / "solutions" / slug / f"{slug}.ipynb", as_version=4)
    questions = grading.read_questions(source)[0]
    schemes = grading.mark_schemes(source)
    for student in cases(slug):
        page = root / "feedback" / student / slug / f"{slug}.html"
        assert page.is_file(), f"{student}'s feedback page was withheld: {run.stderr[-2000:]}"
        text = page.read_text("utf-8")
        assert text.count("Why: ") == len(questions), student
        autograded = nbformat.read(root / "autograded" / student / slug / f"{slug}.ipynb", 4)
        assert grading.leaks(text, autograded, schemes) == [], student
        graders = [c for c in autograded.cells if c.metadata.get("course", {}).get("grader_only")]
        assert len(graders) == len(schemes), "graders see each written answer's rubric"
