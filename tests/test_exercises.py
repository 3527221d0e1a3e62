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
import copy
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course import data
from course.manifest import lessons
from course.scoring import METHODS, award, score

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
    key: dict
    hints: list
    check_kwargs: dict
    heading: str
    answer: str
    test: str

    @property
    def visible(self) -> str:
        return self.test.split(HIDDEN)[0]

    def solution_value(self):
        namespace: dict = {}
        exec(compile(self.answer, f"<{self.grade_id}>", "exec"), namespace)  # literals only
        return namespace[self.var]

    def run_check(self, value) -> str:
        """Run the visible check on ``value``; return what it printed (raises on failure)."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(self.visible, f"<check {self.grade_id}>", "exec"), {self.var: value})
        return out.getvalue()


def parse_test(cell) -> tuple[str, dict, dict]:
    """Return (answer variable, key, check keyword arguments) of a test cell, checking its form."""
    visible, _, rest = cell.source.partition(HIDDEN + "\n")
    hidden, _, tail = rest.partition("### END HIDDEN TESTS")
    assert tail == "", "nothing may follow the hidden tests"
    statements = ast.parse(hidden).body
    assert [type(s) for s in statements] == [ast.ImportFrom, ast.Expr], hidden
    assert ast.unparse(statements[0]) == "from course.scoring import award"
    call = statements[-1].value
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
    assert call.func.id == "award" and len(call.args) == 2 and not call.keywords
    answer, key = call.args
    assert isinstance(answer, ast.Name), "the answer argument must be the bare variable name"
    assert isinstance(key, ast.Dict), "the key must be a dict literal"
    checks = [s.value for s in ast.parse(visible).body if isinstance(s, ast.Expr)]
    assert len(checks) == 1 and checks[0].func.id == "check", visible
    kwargs = {k.arg: ast.literal_eval(k.value) for k in checks[0].keywords}
    assert ast.literal_eval(checks[0].args[0]) == answer.id == checks[0].args[1].id
    return answer.id, ast.literal_eval(key), kwargs


def questions(slug: str) -> list[Question]:
    cells = notebook("solutions", slug).cells
    found = []
    for index, cell in enumerate(cells):
        if not is_test(cell):
            continue
        answer, heading = cells[index - 1], cells[index - 2]
        var, key, kwargs = parse_test(cell)
        found.append(
            Question(
                slug=slug,
                grade_id=meta(answer).get("grade_id", ""),
                var=var,
                points=meta(cell)["points"],
                key=key,
                hints=kwargs.pop("hints", []),
                check_kwargs=kwargs,
                heading=heading.source,
                answer=answer.source,
                test=cell.source,
            )
        )
    return found


ALL = [q for slug in SLUGS for q in questions(slug)]
BY_ID = {q.grade_id: q for q in ALL}


def qid(question: Question) -> str:
    return question.grade_id


# ------------------------------------------------------------------------------------ layout


def test_six_assignment_folders_and_nothing_else():
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
        var, key, _ = parse_test(cell)
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
        assert set(key) <= {"method", "expected", "tolerance", "points"}
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


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_the_solution_earns_full_points_and_passes_its_check(question):
    value = question.solution_value()
    assert award(value, question.key) == question.points
    assert "well formed" in question.run_check(value)


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_hints_name_wrong_answers_without_giving_the_answer_away(question):
    expected = question.key["expected"]
    for wrong, message in question.hints:
        assert score(wrong, question.key) < 1.0, f"hint value {wrong!r} is a right answer"
        with pytest.raises(AssertionError, match=re.escape(message[:30])):
            question.run_check(wrong)
        if question.key["method"] == "number":
            for digits in (1, 2, 3):
                assert f"{round(expected, digits):g}" not in message, message
        elif isinstance(expected, str):
            assert expected.lower() not in message.lower(), message


def _foreseen(answer, wrong) -> bool:
    return abs(answer - wrong) <= abs(wrong) * 0.011


def _partial(question: Question):
    """A well-formed answer that is partly (or wholly) wrong, or None if there is none to make."""
    value = copy.deepcopy(question.solution_value())
    method, options = question.key["method"], question.check_kwargs.get("options")
    if method == "number":
        for offset in (3.7, 17.3, -0.37 * value, 1000.1):
            guess = value + 100 * question.key.get("tolerance", 0) + offset
            if not any(_foreseen(guess, wrong) for wrong, _ in question.hints):
                return guess
    if method == "choice":
        return next(o for o in options if o != value)
    if method == "set":
        return value[:-1] if len(value) > 1 else [o for o in options if o not in value][:1]
    if method == "order":
        value[0], value[1] = value[1], value[0]
        return value
    first = next(iter(value))
    if method == "labels":
        value[first] = next(o for o in options if o != value[first])
    elif isinstance(value[first], str):
        value[first] = value[first] + "x"
    else:
        value[first] = value[first] * 2 + 1
    return value


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_partial_answers_pass_the_check_and_reach_the_hidden_award(question):
    partial = _partial(question)
    assert "well formed" in question.run_check(partial)
    assert award(partial, question.key) < question.points


@pytest.mark.parametrize("question", ALL, ids=qid)
def test_blank_and_malformed_answers_fail_the_check(question):
    for bad in (None, {1, 2}, float("nan")):
        with pytest.raises(AssertionError):
            question.run_check(bad)


# ------------------------------------------------------------------- keys rest on the datasets


def rows(table: str, **where):
    frame = data.load(table)
    for column, wanted in where.items():
        if column.endswith("_has"):
            frame = frame[frame[column[:-4]].str.contains(wanted, regex=False)]
        else:
            frame = frame[frame[column] == wanted]
    assert len(frame), (table, where)
    return frame


def figure(table: str, **where) -> float:
    """The single value (low == high) of the rows matching ``where``; all must agree."""
    frame = rows(table, **where)
    values = set(frame["low"].tolist()) | set(frame["high"].tolist())
    assert len(values) == 1, (table, where, values)
    return float(values.pop())


def bounds(table: str, **where) -> tuple:
    frame = rows(table, **where)
    assert len(frame) == 1, (table, where)
    import pandas as pd

    low, high = frame.iloc[0][["low", "high"]]
    return (None if pd.isna(low) else float(low), None if pd.isna(high) else float(high))


def ordered_labels(events: dict[str, str]) -> list[str]:
    """Labels sorted by the date of the one timeline row whose quotation contains each phrase."""
    timeline = data.load("timeline")
    years = {}
    for label, phrase in events.items():
        match = timeline[timeline["quote"].str.contains(phrase, regex=False)]
        assert len(match) == 1, (phrase, match["id"].tolist())
        years[label] = float(match.iloc[0]["year"])
    assert len(set(years.values())) == len(years), f"ties make the order ambiguous: {years}"
    return sorted(years, key=years.get)


def dating_error(doc: str, quote_has: str) -> dict:
    row = rows("timeline", doc=doc, quote_has=quote_has)
    assert len(row) == 1 and bool(row.iloc[0]["dating_error"])
    return {"doc": doc, "stated": row.iloc[0]["date"], "correct": row.iloc[0]["correct_date"]}


def close(a, b, tol):
    return abs(a - b) <= tol


def test_number_keys_follow_from_the_data():
    """Each key is recomputed from the rows it rests on, found by their verbatim quotations."""
    k = {q.grade_id: q.key for q in ALL}

    def expected(grade_id):
        return k[grade_id]["expected"]

    # 01: industry 1920-1922, scissors, R18, R19, the two readings of '250 percent'
    industry = "industrial_output"
    large_1920 = figure(industry, doc="001", quote_has="large-scale industry was down to 14")
    all_1922 = figure(industry, doc="001", quote_has="By 1922 industrial output had risen")
    assert close(expected("recovery_1920_1922"), (all_1922 - large_1920) / large_1920 * 100, 0.01)
    industrial = figure(industry, doc="001", quote_has="industrial prices had reached")
    agricultural = bounds(industry, doc="001", quote_has="agricultural prices had dropped")
    assert agricultural[0] is None, "agricultural prices are an upper bound"
    assert close(expected("scissors_ratio"), industrial / agricultural[1], 0.001)
    multiple = figure("reference", measure="gross_output_multiple_1928_base", period="1928/1941-06")
    assert close(expected("official_annual_rate"), (multiple ** (1 / 13) - 1) * 100, 0.01)
    low, high = bounds("reference", measure="annual_growth", period="1928/1937")
    western = expected("western_multiple_1937")
    assert close(western["low"], (1 + low / 100) ** 9, 0.001)
    assert close(western["high"], (1 + high / 100) ** 9, 0.001)
    claimed = figure(industry, doc="001", quote_has="leaped ahead by 250 percent")
    readings = expected("reading_250_percent")
    assert readings == {"rise_of_250": 1 + claimed / 100, "level_of_250": claimed / 100}
    inside = [name for name, x in readings.items() if western["low"] <= x <= western["high"]]
    assert [expected("reading_inside_reference")] == inside

    # 02: membership
    members = "party_membership"
    feb_1917 = figure(members, doc="001", quote_has="23,600 in February 1917")
    mar_1922 = figure(members, doc="001", quote_has="650,000 in March 1922")
    oct_1917 = figure("reference", measure="members_and_candidates", period="1917-10")
    jan_1924 = figure("reference", measure="members_and_candidates", period="1924-01-01")
    levy = figure(members, doc="001", quote_has="240,000 workers were admitted")
    assert close(expected("growth_feb1917_mar1922"), mar_1922 / feb_1917, 0.005)
    assert expected("growth_feb_oct_1917") == oct_1917 - feb_1917
    assert close(expected("lenin_levy_share"), levy / jan_1924 * 100, 0.01)
    doc_1939 = figure(members, doc="001", quote_has="1,558,852 CP members")
    ref_1939 = figure("reference", id="R08")
    assert expected("membership_1939") == {
        "doc_001": doc_1939,
        "reference": ref_1939,
        "difference": ref_1939 - doc_1939,
    }
    shares = data.load(members)
    shares = shares[(shares["low"] == 15) & shares["quote"].str.contains("worker")]
    assert sorted(expected("workers_share_documents")) == sorted(set(shares["doc"]))

    # 03: counting the dead
    affected = figure("mortality", doc="003", quote_has="number affected had climbed")
    died = figure("mortality", doc="001", quote_has="killing five million people")
    assert close(expected("famine_1921_death_share"), died / affected * 100, 0.01)
    arrested = figure("mortality", doc="001", quote_has="1,108 had been arrested")
    delegates = figure(members, doc="001", quote_has="Of the 1,966 delegates")
    assert close(expected("congress_arrest_share"), arrested / delegates * 100, 0.01)
    famine = rows("reference", measure="excess_deaths", period="1932/1934")
    assert expected("famine_1930s_range") == {
        "low": float(famine["low"].sum()),
        "high": float(famine["high"].sum()),
    }
    sentences = [rows("reference", measure="death_sentences", period=p) for p in ("1937", "1938")]
    memorial = rows("reference", measure="executions_gugb_cases", period="1936-10/1938-11")
    assert float(memorial["low"].item()) > sum(float(s["low"].item()) for s in sentences)
    kravchenko = rows("mortality", doc="003", quote_has="nine or ten million")
    assert "Kravchenko" in kravchenko["attributed_to"].item()
    assert "Hansen" in kravchenko["attributed_to"].item()

    # 04: provenance and corroboration
    doc_001 = rows("documents", id="001").iloc[0]
    card = expected("provenance_card_001")
    assert (card["author"], card["genre"]) == (doc_001["author"], doc_001["genre"])
    assert doc_001["date"].startswith(str(card["date"]))
    days = figure("society", doc="004", quote_has="lasted 132 days")
    months = figure("society", doc="001", quote_has="After four months")
    assert expected("vorkuta_corroboration") == "agree" and close(days / 30.4, months, 0.5)

    # 06: the fiction's arithmetic
    fiction = "counterfactual"
    gdp_1928 = figure(fiction, doc="000", quote_has="overall GDP reached 103%")
    gdp_rate = figure(fiction, doc="000", quote_has="averaged 6.4% yearly growth")
    ind_rate = figure(fiction, doc="000", quote_has="10.1% industrial growth")
    ind_1940 = figure(fiction, doc="000", quote_has="factor of x4.1")
    assert close(
        expected("gdp_1940_compounded"), gdp_1928 / 100 * (1 + gdp_rate / 100) ** 12, 0.001
    )
    assert close(
        expected("industry_1928_needed"), ind_1940 / (1 + ind_rate / 100) ** 12 * 100, 0.05
    )
    yearly = [
        figure(fiction, doc="000", quote_has=quote)
        for quote in (
            "In 1928 Industrial production factors rose by 15%",
            "In 1929 they rose by 12%",
            "1930 saw a drop down to only 7%",
        )
    ]
    total = (1 + yearly[0] / 100) * (1 + yearly[1] / 100) * (1 + yearly[2] / 100)
    assert close(expected("growth_1928_1930"), (total - 1) * 100, 0.01)
    assert bool(rows("documents", id="000").iloc[0]["is_fiction"])


def test_dating_and_order_keys_follow_from_the_timeline():
    k = {q.grade_id: q.key["expected"] for q in ALL}
    assert k["depression_dating_error"] == dating_error("003", "international depression")
    congress = dating_error("001", "17th CP congress")
    assert congress["stated"] == k["congress_dating_error"]["stated"]
    assert congress["correct"].startswith(k["congress_dating_error"]["correct"])
    assert k["trial_dating_error"] == dating_error("001", "February 1938")
    assert k["foundations_dating_error"] == dating_error("001", "As late as February 1924")
    assert k["economic_events_order"] == ordered_labels(
        {
            "nep": "The tenth party congress of March 1921",
            "scissors": "By March 1923, industrial prices",
            "five_year_plan": "half-heartedly adopted a five-year plan",
            "crash": "collapse of the New York Stock Exchange",
            "collectivisation": "55 percent of peasant land",
            "labour_books": "'Labour Books'",
        }
    )
    assert k["party_events_order"] == ordered_labels(
        {
            "eighth_congress": "the eighth party congress recognized the danger",
            "faction_ban": "congress of 1921 recognized that workers",
            "general_secretary": "that of general secretary",
            "lenin_levy": "240,000 workers were admitted",
            "fifteenth_congress": "At the fifteenth congress",
            "first_trial": "in August 1936 (Zinoviev",
        }
    )
    assert k["succession_order"] == ordered_labels(
        {
            "testament": "Lenin wrote on December 25, 1922",
            "postscript": "Ten days later he added",
            "trotsky_letter": "Trotsky wrote to the Central Committee on October 8",
            "lenin_death": "until his death in January 1924",
            "socialism_one_country": "Stalin in December 1924 put forward",
            "united_opposition": "joined forces with Trotsky and the Opposition in 1926",
            "trotsky_deported": "deported from the Soviet Union early in 1929",
        }
    )


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
    for half, slugs in enumerate((SLUGS[:3], SLUGS[3:])):
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
        assert out.count(success) == 3, out[-5000:]
        for failure in ("VALIDATION FAILED", "NOTEBOOK PASSED ON", "has changed", "Traceback"):
            assert failure not in out, out[-5000:]
