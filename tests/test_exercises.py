"""The graded exercises: written once in solutions/, generated into exercises/, graded both ways.

Checks, for the six assignments:

- layout and cell conventions (setup cell, question headings, answer and test cells, written
  answers with a mark scheme, nbgrader metadata, grade ids, points);
- every answer key is a literal that ``ast.literal_eval`` reads, and the solution's own answer
  earns full points through :func:`course.scoring.award` without tripping its visible check;
- the visible checks let partial answers through and never state the answer;
- the keys still rest on the datasets (figures, dates, order of events) and the quotations are
  verbatim;
- exercises/ is exactly what ``nbgrader generate_assignment`` makes from solutions/, and holds no
  solution, hidden test or mark scheme;
- the real ``nbgrader validate`` passes every solution and fails every test cell of every blank
  student copy.

Anything nbgrader writes goes to a temporary copy of the course directory.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course.feedback import BROAD
from course.manifest import lessons
from course.scoring import METHODS, award, matches, resolve, score

ROOT = Path(__file__).resolve().parent.parent
# One assignment per lesson 01-06, with the lesson's slug (the manifest is the one list).
SLUGS = [lesson["slug"] for lesson in lessons() if not lesson["slug"].startswith("00-")]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
TEST_LINE = re.compile(r"^# Test: \S.* \((\d+) points?\)$")
QUOTE = re.compile(r"“(.+?)”\s*\(([^()]*?)\bdoc (\d{3})")
HIDDEN = "### BEGIN HIDDEN TESTS"


# ------------------------------------------------------------------------------ reading notebooks


def notebook(kind: str, slug: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / kind / slug / f"{slug}.ipynb", as_version=4)


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_test(cell) -> bool:
    return cell.cell_type == "code" and meta(cell).get("grade") and not meta(cell).get("solution")


def is_written(cell) -> bool:
    return cell.cell_type == "markdown" and meta(cell).get("grade") and meta(cell).get("solution")


@dataclass
class Question:
    slug: str
    grade_id: str
    var: str
    points: int
    form: dict
    key: dict
    hints: list
    skill: str
    heading: str
    answer: str
    test: str
    setup: str

    @property
    def visible(self) -> str:
        return self.test.split(HIDDEN)[0]

    def solution_value(self):
        namespace: dict = {}
        exec(compile(self.setup, f"<setup {self.slug}>", "exec"), namespace)
        exec(compile(self.answer, f"<{self.grade_id}>", "exec"), namespace)
        return namespace[self.var]

    def run_check(self, value) -> str:
        """Run the visible check on ``value``; return what it printed (raises on failure)."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(self.visible, f"<check {self.grade_id}>", "exec"), {self.var: value})
        return out.getvalue()


def parse_test(cell) -> tuple[str, dict, dict, list]:
    """Return (answer variable, form, key, hints) of a test cell, checking its layout."""
    visible, _, rest = cell.source.partition(HIDDEN + "\n")
    hidden, _, tail = rest.partition("### END HIDDEN TESTS")
    assert tail == "", "nothing may follow the hidden tests"
    statements = ast.parse(hidden).body
    assert [type(s) for s in statements] == [ast.ImportFrom, ast.Expr], hidden
    assert ast.unparse(statements[0]) == "from course.scoring import award"
    call = statements[-1].value
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
    assert call.func.id == "award" and len(call.args) == 3 and not call.keywords
    answer, form_name, key = call.args
    assert isinstance(answer, ast.Name), "the answer argument must be the bare variable name"
    assert isinstance(form_name, ast.Name) and form_name.id == "form"
    assert isinstance(key, ast.Dict), "the key must be a dict literal"
    assigns = [s for s in ast.parse(visible).body if isinstance(s, ast.Assign)]
    assert len(assigns) == 1 and ast.unparse(assigns[0].targets[0]) == "form", visible
    check = assigns[0].value
    assert isinstance(check, ast.Call) and check.func.id == "check", visible
    kwargs = {k.arg: ast.literal_eval(k.value) for k in check.keywords}
    assert ast.literal_eval(check.args[0]) == answer.id == check.args[1].id
    hints = kwargs.pop("hints", [])
    return answer.id, kwargs, ast.literal_eval(key), hints


def questions(slug: str) -> list[Question]:
    cells = notebook("solutions", slug).cells
    setup = next(c.source for c in cells if meta(c).get("grade_id") == "setup")
    found = []
    for index, cell in enumerate(cells):
        if not is_test(cell):
            continue
        answer, heading = cells[index - 1], cells[index - 2]
        var, form, key, hints = parse_test(cell)
        found.append(
            Question(
                slug=slug,
                grade_id=meta(answer).get("grade_id", ""),
                var=var,
                points=meta(cell)["points"],
                form=form,
                key=key,
                hints=hints,
                skill=cell.metadata.get("course", {}).get("skill", ""),
                heading=heading.source,
                answer=answer.source,
                test=cell.source,
                setup=setup,
            )
        )
    return found


ALL = [q for slug in SLUGS for q in questions(slug)]
BY_ID = {q.grade_id: q for q in ALL}


def qid(question: Question) -> str:
    return question.grade_id


# ------------------------------------------------------------------------------------ layout


def test_one_assignment_folder_per_lesson_and_nothing_else():
    for kind in ("solutions", "exercises"):
        folder = ROOT / kind
        assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == SLUGS, kind
        assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["README.md"], kind
        for slug in SLUGS:
            assert [p.name for p in (folder / slug).iterdir()] == [f"{slug}.ipynb"], (kind, slug)


@pytest.mark.parametrize("kind", ["solutions", "exercises"])
@pytest.mark.parametrize("slug", SLUGS)
def test_notebooks_are_clean_and_valid(kind, slug):
    from nbgrader.nbgraderformat import MetadataValidator

    nb = notebook(kind, slug)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    titles = [
        line
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("# ")
    ]
    number = int(slug[:2])
    assert len(titles) == 1 and titles[0].startswith(f"# Assignment {number}: "), titles
    assert nb.cells[0].source.startswith(titles[0])


@pytest.mark.parametrize("slug", SLUGS)
def test_the_first_code_cell_is_a_locked_setup_cell(slug):
    for kind in ("solutions", "exercises"):
        first = next(c for c in notebook(kind, slug).cells if c.cell_type == "code")
        assert meta(first)["locked"] and not meta(first)["grade"] and not meta(first)["solution"]
        assert first.source.startswith("# Run this cell, no changes needed.\nimport course\n")


@pytest.mark.parametrize("slug", SLUGS)
def test_question_cells_follow_the_conventions(slug):
    cells = notebook("solutions", slug).cells
    ids = [meta(c)["grade_id"] for c in cells if meta(c).get("grade_id")]
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    assert all(SNAKE.match(i) for i in ids), ids
    number = 0
    for index, cell in enumerate(cells):
        if is_written(cell):
            number += 1
            points = meta(cell)["points"]
            heading = cells[index - 1].source
            unit = "point" if points == 1 else "points"
            assert heading.startswith(f"**Question {number} ({points} {unit}, written answer).**")
            assert "### BEGIN MARK SCHEME" in cell.source and "### END MARK SCHEME" in cell.source
            assert "BEGIN SOLUTION" not in cell.source, "the whole cell is the model answer"
            assert cell.source.index("BEGIN MARK SCHEME") > cell.source.index("**Model answer.**")
            continue
        if not is_test(cell):
            continue
        number += 1
        answer, heading = cells[index - 1], cells[index - 2]
        var, _, key, _ = parse_test(cell)
        grade_id, points = meta(answer)["grade_id"], meta(cell)["points"]
        assert meta(answer)["solution"] and not meta(answer)["grade"] and not meta(answer)["locked"]
        assert meta(cell)["locked"] and meta(cell)["grade_id"] == f"test_{grade_id}"
        assert answer.source.startswith(f"{var} = None\n### BEGIN SOLUTION\n")
        assert answer.source.endswith("\n### END SOLUTION")
        first = cell.source.splitlines()[0]
        match = TEST_LINE.match(first)
        assert match and int(match.group(1)) == points, first
        unit = "point" if points == 1 else "points"
        assert heading.cell_type == "markdown"
        assert heading.source.startswith(f"**Question {number} ({points} {unit}).**")
        assert isinstance(points, int) and points > 0
        assert key["method"] in METHODS and key["points"] == points and type(key["points"]) is int
        assert set(key) <= {
            "method",
            "expected",
            "tolerance",
            "points",
            "explain",
            "misconceptions",
        }
        assert "stderr" not in cell.source and "warn" not in cell.source


def test_enough_questions():
    autograded = {slug: 0 for slug in SLUGS}
    written = {slug: 0 for slug in SLUGS}
    for slug in SLUGS:
        for cell in notebook("solutions", slug).cells:
            autograded[slug] += bool(is_test(cell))
            written[slug] += bool(is_written(cell))
    assert sum(autograded.values()) >= 42 and sum(written.values()) >= 6
    assert all(n >= 7 for n in autograded.values()), autograded
    assert all(n >= 1 for n in written.values()), written
    assert len(ALL) == sum(autograded.values())


# --------------------------------------------------------------------------- keys and checks

SKILLS = {
    "sourcing",
    "contextualisation",
    "corroboration",
    "close_reading",
    "historiography",
    "counterfactual_reasoning",
}


def _numbers(expected) -> list[float]:
    if isinstance(expected, bool):
        return []
    if isinstance(expected, int | float):
        return [expected]
    if isinstance(expected, dict):
        return [n for v in expected.values() for n in _numbers(v)]
    return []


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_the_solution_earns_full_points_and_passes_its_check(question):
    value = question.solution_value()
    assert award(value, question.form, question.key) == question.points
    assert "well formed" in question.run_check(value)


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_each_key_explains_and_foresees_two_reasoning_mistakes(question):
    assert question.skill in SKILLS | {"arithmetic"}, question.skill
    assert len(question.key.get("explain", "")) >= 80, "explain the reasoning, for feedback"
    misconceptions = question.key.get("misconceptions", [])
    assert len(misconceptions) >= 2
    for condition, message in misconceptions:
        assert condition and len(message) >= 30, message
        assert not matches(question.solution_value(), resolve(condition, question.form)), (
            "fires on the right answer"
        )


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_visible_hints_are_broad_and_never_show_the_key(question):
    visible = ast.parse(question.visible)
    shown = [
        n.value
        for n in ast.walk(visible)
        if isinstance(n, ast.Constant) and type(n.value) in (int, float)
    ]
    for key in _numbers(question.key["expected"]):
        for number in shown:
            for power in range(-6, 7):
                scaled = key * 10**power
                assert not (key and abs(number - scaled) <= abs(scaled) * 1e-3), (
                    f"the visible number {number} is the key {key} x 10^{power}"
                )
    for condition, _ in question.hints:
        assert set(condition) <= set(BROAD), condition


def _naive_guesses(question: Question) -> list:
    form, method = question.form, question.key["method"]
    options = form.get("options") or []
    if method == "set":
        return [options, []]
    if method == "order":  # the options are listed in the order the question shows them
        return [options, options[::-1]]
    if method == "labels":
        return [{item: label for item in form["keys"]} for label in options]
    return []


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_guessing_earns_nothing(question):
    for guess in _naive_guesses(question):
        assert award(guess, question.form, question.key) == 0, guess
    if question.key["method"] == "choice":
        assert len(question.form["options"]) >= 4
    right = question.solution_value()
    if question.key["method"] == "set":  # one extra, wrong pick costs credit
        wrong = next(o for o in question.form["options"] if o not in right)
        assert award([*right, wrong], question.form, question.key) < question.points
    if isinstance(right, dict):  # an extra key breaks the form
        assert award({**right, "extra": right[next(iter(right))]}, question.form, question.key) == 0


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_numeric_questions_state_their_precision(question):
    if not _numbers(question.key["expected"]):
        return
    words = ("decimal place", "nearest", "significant", "whole number", "exactly")
    assert any(w in question.heading.lower() for w in words), question.heading
    tolerance = question.key.get("tolerance", 0)
    assert tolerance < max(map(abs, _numbers(question.key["expected"])) or [1])


def _chance(question: Question) -> float:
    """A naive guesser's expected share of a question: one option at random for a choice,
    the best constant or listed answer elsewhere (0 for the chance-corrected methods)."""
    if question.key["method"] == "choice":
        accepted = question.key["expected"]
        accepted = accepted if isinstance(accepted, list) else [accepted]
        return len(accepted) / len(question.form["options"])
    guesses = _naive_guesses(question)
    return max((score(g, question.key, question.form) for g in guesses), default=0.0)


@pytest.mark.parametrize("slug", SLUGS)
def test_most_points_test_historical_thinking_and_guessing_earns_little(slug):
    found = questions(slug)
    total = sum(q.points for q in found)
    historical = sum(q.points for q in found if q.skill in SKILLS)
    assert historical >= 0.7 * total, f"{historical} of {total} autograded points"
    guessed = sum(q.points * _chance(q) for q in found)
    assert guessed <= 0.2 * total, f"a guesser expects {guessed:.2f} of {total}"


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_blank_and_malformed_answers_fail_the_check(question):
    for bad in (None, {1, 2}, float("nan")):
        with pytest.raises(AssertionError):
            question.run_check(bad)


def _same_item(form: dict, key: dict, other_form: dict, other_key: dict) -> bool:
    """Whether two questions share an answer: the same expected value over the same options
    (letters such as ["A", "B"] name different claims in different questions)."""
    same = json.dumps(key["expected"], sort_keys=True) == json.dumps(
        other_key["expected"], sort_keys=True
    )
    numeric = bool(_numbers(key["expected"]))
    return same and (numeric or form.get("options") == other_form.get("options"))


def test_lesson_self_checks_never_reuse_a_graded_key():
    from course.feedback import _self_checks

    checks = _self_checks()
    assert len(checks) >= 20
    for check_id, entry in checks.items():
        assert entry["key"].get("explain"), check_id
        for q in ALL:
            assert not _same_item(entry["form"], entry["key"], q.form, q.key), (
                check_id,
                q.grade_id,
            )
    for lesson in sorted((ROOT / "course" / "lessons").glob("*.ipynb")):
        text = lesson.read_text("utf-8")
        assert '\\"expected\\"' not in text, f"{lesson.name} shows a self-check key"


@pytest.mark.parametrize("slug", SLUGS)
def test_written_answers_have_rubrics_with_levels_and_exemplars(slug):
    cells = notebook("solutions", slug).cells
    for index, cell in enumerate(cells):
        if not is_written(cell):
            continue
        scheme = cell.source.split("### BEGIN MARK SCHEME")[1].lower()
        for word in ("full", "partial", "none", "strong exemplar", "weak exemplar"):
            assert word in scheme, (meta(cell)["grade_id"], word)
        assert "criteria" in cells[index - 1].source.lower(), "students see the criteria"


@pytest.mark.parametrize("slug", SLUGS)
def test_quotations_are_verbatim(slug, seeds):
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in seeds.glob("*.txt")}
    found = 0
    for kind in ("solutions", "exercises"):
        for cell in notebook(kind, slug).cells:
            for match in QUOTE.finditer(cell.source):
                found += 1
                assert match.group(1) in texts[match.group(3)], match.group(0)
    assert found >= 5


# ------------------------------------------------------------------------ the student copies


def _solution_text(slug: str) -> list[str]:
    """Lines that only the instructor may see: solution blocks, hidden tests, model answers."""
    secret, public = [], []
    for cell in notebook("solutions", slug).cells:
        inside = False
        for line in cell.source.splitlines():
            if re.search(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)", line):
                inside = "BEGIN" in line
                continue
            (secret if inside or is_written(cell) else public).append(line.strip())
    shared = "\n".join(public)  # e.g. an option list the question itself shows
    return [line for line in secret if len(line) >= 8 and line not in shared]


@pytest.mark.parametrize("slug", SLUGS)
def test_exercises_hold_no_solution_hidden_test_or_mark_scheme(slug):
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "exercises").rglob("*") if p.is_file()
    )
    for marker in (
        "BEGIN HIDDEN",
        "END HIDDEN",
        "BEGIN SOLUTION",
        "END SOLUTION",
        "MARK SCHEME",
        "award(",
        "course.scoring",
        "Model answer",
    ):
        assert marker not in text, marker
    exercise = notebook("exercises", slug)
    sources = "\n".join(cell.source for cell in exercise.cells)
    for line in _solution_text(slug):
        assert line not in sources, line
    for question in questions(slug):
        assert repr(question.key) not in text
    for cell in exercise.cells:
        if meta(cell).get("solution"):
            stub = "YOUR ANSWER HERE" if cell.cell_type == "markdown" else "# YOUR ANSWER HERE"
            assert cell.source.endswith(stub), cell.source


# ------------------------------------------------------------------------- running nbgrader


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


GENERATE = """
import sys
from nbgrader.apps import NbGraderAPI
from traitlets.config.loader import PyFileConfigLoader
config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
api = NbGraderAPI(config=config)
for slug in sys.argv[1:]:
    result = api.generate_assignment(slug, force=True)
    if not result["success"]:
        sys.exit(f"{slug}: {result['error']}")
"""


HALVES = (SLUGS[: len(SLUGS) // 2], SLUGS[len(SLUGS) // 2 :])


@pytest.fixture(scope="module")
def nbgrader_runs(tmp_path_factory):
    """Start every nbgrader run at once (they mostly wait on kernels), in temporary copies."""
    generated = tmp_path_factory.mktemp("generated")
    checked = tmp_path_factory.mktemp("validated")
    for folder in (generated, checked):
        shutil.copy(ROOT / "nbgrader_config.py", folder)
        shutil.copytree(ROOT / "solutions", folder / "solutions")
    shutil.copytree(ROOT / "exercises", checked / "exercises")
    runs = {
        "generate": subprocess.Popen(
            [sys.executable, "-c", GENERATE, *SLUGS],
            cwd=generated,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
    }
    nbgrader = [sys.executable, "-m", "nbgrader", "validate"]
    for half, slugs in enumerate(HALVES):
        for kind, flags in (("solutions", []), ("exercises", ["--invert"])):
            paths = [str(checked / kind / s / f"{s}.ipynb") for s in slugs]
            runs[f"{kind}{half}"] = subprocess.Popen(
                [*nbgrader, *flags, *paths],
                cwd=checked,
                env=_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
    results = {}

    def result(name):
        if name not in results:
            out, err = runs[name].communicate(timeout=300)
            results[name] = (runs[name].returncode, out, err)
        return results[name]

    yield generated, result
    for process in runs.values():
        if process.poll() is None:
            process.kill()


def _comparable(nb: nbformat.NotebookNode) -> list:
    return [
        (
            cell.cell_type,
            cell.get("id"),
            cell.source,
            cell.metadata.get("nbgrader"),
            cell.metadata.get("editable"),
            cell.metadata.get("deletable"),
        )
        for cell in nb.cells
    ]


def test_exercises_are_exactly_what_nbgrader_generates_from_solutions(nbgrader_runs):
    generated, result = nbgrader_runs
    code, out, err = result("generate")
    assert code == 0, err[-3000:]
    for slug in SLUGS:
        fresh = nbformat.read(generated / "exercises" / slug / f"{slug}.ipynb", as_version=4)
        committed = notebook("exercises", slug)
        assert fresh.metadata == committed.metadata, slug
        assert _comparable(fresh) == _comparable(committed), (
            f"exercises/{slug} is out of date: run `nbgrader generate_assignment {slug} --force`"
        )
    assert sorted(p.name for p in (generated / "exercises").iterdir()) == SLUGS


@pytest.mark.parametrize("kind", ["solutions", "exercises"])
def test_nbgrader_validate_passes_solutions_and_fails_blank_copies(nbgrader_runs, kind):
    _, result = nbgrader_runs
    success = {
        "solutions": "Success! Your notebook passes all the tests.",
        "exercises": "Success! The notebook does not pass any tests.",
    }[kind]
    for half in (0, 1):
        code, out, err = result(f"{kind}{half}")
        assert code == 0, err[-3000:]
        # `nbgrader validate` exits 0 even when validation fails: read what it printed.
        assert out.count(success) == len(HALVES[half]), out[-5000:]
        for failure in ("VALIDATION FAILED", "NOTEBOOK PASSED ON", "has changed", "Traceback"):
            assert failure not in out, out[-5000:]
