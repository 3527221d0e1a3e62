"""`course grade`: sandboxed, tamper-proof, parallel autograding on top of nbgrader.

How a submission is graded:

1. The answer key is read from the instructor's *source* notebook: each autograded test cell's
   hidden block ends with ``award(ANSWER, {KEY})``; the key is read with ``ast.literal_eval``
   (nothing is executed) and its points must equal the cell's nbgrader points.
2. The notebook that runs is assembled from the source, not trusted from the student: every
   locked cell (instructions, visible checks) comes from the source, with its hidden part
   removed; only the student's answer cells, and any scratch cells they added, come from the
   submission. Tampered metadata, deleted or duplicated test cells change nothing.
3. It runs in a bubblewrap sandbox (:mod:`course.sandbox`) that sees only its own copy, here
   or on a Dask cluster's workers (:mod:`course.cluster`); the answers come back as JSON and
   are type-checked strictly (:func:`course.scoring.plain`).
4. Scores are computed here, outside any kernel, and written through nbgrader's gradebook in
   one transaction per submission; manual grades already given are never overwritten. A
   killed run loses at most the submission in progress, and a re-run gives the same grades.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course import sandbox
from course.gradebook import Course, GradingError
from course.scoring import award, diagnose, misconception, validate

__all__ = [
    "Question",
    "read_questions",
    "strip_hidden",
    "assemble",
    "grade",
    "Outcome",
    "Course",
    "GradingError",
    "Job",
    "LocalRunner",
]

log = logging.getLogger("course.grade")

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n?(.*?)### END HIDDEN TESTS\n?", re.S)
NOTEBOOK_LIMIT = 20 * 1024**2  # bytes: a larger submission is refused, not parsed
STUBS = {"", "YOUR ANSWER HERE", "# YOUR ANSWER HERE"}


@dataclass(frozen=True)
class Question:
    """One autograded question: the test cell's id, the answer variable, its form and key."""

    grade_id: str
    answer: str
    form: dict
    key: dict
    points: float
    skill: str = ""


def strip_hidden(source: str) -> str:
    """A test cell's source without its hidden block.

    >>> strip_hidden("check(x)\\n### BEGIN HIDDEN TESTS\\naward(x, {})\\n### END HIDDEN TESTS\\n")
    'check(x)\\n'
    """
    return HIDDEN.sub("", source)


# ast.parse from several threads raised "AST constructor recursion depth mismatch" on 3.11.7.
_PARSING = threading.Lock()


def _calls(source: str, name: str, where: str) -> list[ast.Call]:
    try:
        with _PARSING:
            tree = ast.parse(source)
    except SyntaxError as error:
        raise GradingError(f"{where} is not valid Python ({error})") from None
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == name
    ]


def _form_from(visible: str, where: str) -> tuple[str, dict]:
    """The answer's name and form, from the visible ``check("NAME", NAME, kind=..., ...)``."""
    calls = _calls(visible, "check", where)
    if len(calls) != 1 or len(calls[0].args) != 2:
        raise GradingError(f'{where}: the visible part must call check("NAME", NAME, ...) once')
    try:
        name = ast.literal_eval(calls[0].args[0])
        form = {k.arg: ast.literal_eval(k.value) for k in calls[0].keywords if k.arg != "hints"}
    except ValueError:
        raise GradingError(f"{where}: check's name and form must be literals") from None
    if None in form:
        raise GradingError(f"{where}: check's form must be keyword arguments")
    return name, form


def _key_from(cell_source: str, grade_id: str, points: float, skill: str = "") -> Question:
    match = HIDDEN.search(cell_source)
    where = f"test cell {grade_id!r}"
    if not match:
        raise GradingError(f"{where} has no hidden test block")
    name, form = _form_from(strip_hidden(cell_source), where)
    calls = _calls(match.group(1), "award", f"{where}: the hidden block")
    if (
        len(calls) != 1
        or len(calls[0].args) != 3
        or not isinstance(calls[0].args[0], ast.Name)
        or calls[0].args[0].id != name
    ):
        raise GradingError(f"{where}: the hidden block must call award({name}, form, {{KEY}}) once")
    try:
        key = ast.literal_eval(calls[0].args[2])
    except ValueError:
        raise GradingError(f"{where}: the key must be a literal dict") from None
    if not isinstance(key, dict) or float(key.get("points", -1)) != float(points):
        raise GradingError(f"{where}: key points {key.get('points')} != cell points {points}")
    try:
        validate(key, form)
    except ValueError as error:  # the author's mistake, caught before anything runs
        raise GradingError(f"{where}: {error}") from None
    return Question(grade_id, name, form, key, float(points), skill)


def read_questions(source) -> tuple[list[Question], list[tuple[str, float]]]:
    """The autograded questions and the manual (written) answers of a source notebook.

    Returns:
        ``(questions, manual)`` where manual lists ``(grade_id, points)``.
    """
    questions, manual = [], []
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        if meta.get("solution"):
            manual.append((meta["grade_id"], float(meta["points"])))
        elif cell.cell_type == "code":
            skill = cell.metadata.get("course", {}).get("skill", "")
            questions.append(_key_from(cell.source, meta["grade_id"], meta["points"], skill))
    return questions, manual


def assemble(source, submitted):
    """The notebook to execute: the source's cells, with the student's answer cells.

    Locked cells come from the source (test cells without their hidden block); answer cells
    are matched by ``grade_id``; cells the student added are kept after the answer cell they
    follow, stripped of any nbgrader metadata. Outputs are cleared.
    """
    import copy

    import nbformat

    answer_ids = {
        c.metadata["nbgrader"]["grade_id"]
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    known_ids = {c.get("id") for c in source.cells} | {
        c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells
    } - {None}
    answers: dict[str, str] = {}
    extras: dict[str | None, list] = {}
    anchor = None
    for cell in submitted.cells:
        if not isinstance(cell.get("source"), str):
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answer_ids:
            if grade_id not in answers:
                answers[grade_id] = cell["source"]
                anchor = grade_id
        elif (
            cell.get("id") not in known_ids
            and grade_id not in known_ids
            and (cell.get("cell_type") in ("code", "markdown"))
        ):
            # the student's own scratch cell: kept, as plain cell with no nbgrader role
            maker = (
                nbformat.v4.new_code_cell
                if cell["cell_type"] == "code"
                else nbformat.v4.new_markdown_cell
            )
            extras.setdefault(anchor, []).append(maker(cell["source"]))
    cells = list(extras.get(None, []))
    for cell in source.cells:
        cell = copy.deepcopy(cell)
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = answers.get(meta["grade_id"], "")
        elif meta.get("grade") and cell.cell_type == "code":
            cell.source = strip_hidden(cell.source)
        cells.append(cell)
        cells += extras.get(meta.get("grade_id"), []) if meta.get("solution") else []
    out = copy.deepcopy(source)
    out.cells = cells
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return out


@dataclass
class Outcome:
    """One student's result for one notebook."""

    student: str
    notebook: str
    scores: dict[str, float] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    manual_blank: dict[str, bool] = field(default_factory=dict)
    status: str = "ok"
    problems: list[str] = field(default_factory=list)
    executed: Any = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks

    @property
    def total(self) -> float:
        return round(sum(self.scores.values()), 2)


def _read_submission(path: Path):
    import nbformat

    if not path.is_file() or path.is_symlink():
        raise ValueError(f"missing notebook {path.name}")
    if path.stat().st_size > NOTEBOOK_LIMIT:
        raise ValueError(f"{path.name} is larger than {NOTEBOOK_LIMIT} bytes")
    try:
        notebook = nbformat.reads(path.read_text("utf-8"), as_version=4)
    except Exception as error:  # any parse failure is the student's, reported, never raised
        raise ValueError(
            f"{path.name} is not a readable notebook ({type(error).__name__})"
        ) from None
    if not isinstance(notebook.get("cells"), list):
        raise ValueError(f"{path.name} has no list of cells")
    return notebook


def _executed(run: sandbox.Run, fallback):
    """The executed notebook, re-read from untrusted bytes; the unexecuted one if unusable."""
    import nbformat

    if run.notebook is not None and len(run.notebook) <= NOTEBOOK_LIMIT:
        try:
            executed = nbformat.reads(run.notebook, as_version=4)
            if len(executed.cells) == len(fallback.cells):
                for mine, theirs in zip(fallback.cells, executed.cells, strict=True):
                    if mine.cell_type == "code" and isinstance(theirs.get("outputs"), list):
                        mine.outputs = theirs["outputs"]
        except Exception:  # the sandbox's file is untrusted; fall back to no outputs
            pass
    return fallback


def write_autograded(
    course: Course, assignment: str, outcome: Outcome, source, questions: list[Question]
) -> None:
    """Save the executed notebook (no hidden tests) for the formgrader and feedback.

    Each test cell gains its score, the misconception the answer shows (if any) and the
    explanation from the source; each written answer is followed by its rubric for graders
    (a cell that ``course feedback`` leaves out of the students' pages). The captured answers
    go beside it as ``NOTEBOOK.answers.json``, for ``course report``.
    """
    import nbformat

    if outcome.executed is None:
        return
    questions = {q.grade_id: q for q in questions}
    schemes = mark_schemes(source)
    cells = []
    for cell in outcome.executed.cells:
        cells.append(cell)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in questions and cell.cell_type == "code":
            note = explanation(questions[grade_id], outcome, grade_id)
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=note))
        elif grade_id in schemes and cell.cell_type == "markdown":
            rubric = nbformat.v4.new_markdown_cell(
                f"**For graders: the rubric for `{grade_id}`** (not shown to students)\n\n"
                + schemes[grade_id]
            )
            rubric.metadata["course"] = {"grader_only": True}
            cells.append(rubric)
    outcome.executed.cells = cells
    folder = course.path("autograded", outcome.student, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / outcome.notebook
    partial = target.with_suffix(".partial")
    nbformat.write(outcome.executed, partial)
    os.replace(partial, target)
    record = {
        q.grade_id: {
            "answer": outcome.answers.get(q.grade_id),
            "points": outcome.scores.get(q.grade_id, 0.0),
            "max_points": q.points,
            "skill": q.skill,
            "misconception": misconception(outcome.answers.get(q.grade_id), q.key, q.form),
        }
        for q in questions.values()
    }
    answers = target.with_suffix(".answers.json")
    answers.with_suffix(".partial").write_text(json.dumps(record, indent=1), "utf-8")
    os.replace(answers.with_suffix(".partial"), answers)


def explanation(question: Question, outcome: Outcome, grade_id: str) -> str:
    """The feedback under one test cell: points, the misconception shown, and the reasoning."""
    earned = outcome.scores.get(grade_id, 0.0)
    lines = [f"Autograded: {earned:g} of {question.points:g} points."]
    note = diagnose(outcome.answers.get(grade_id), question.key, question.form)
    if earned < question.points and note:
        lines.append(f"About your answer: {note}")
    if question.key.get("explain"):
        lines.append(f"Why: {question.key['explain']}")
    return "\n".join(lines) + "\n"


MARK_SCHEME = re.compile(r"### BEGIN MARK SCHEME\n?(.*?)### END MARK SCHEME", re.S)


def mark_schemes(source) -> dict[str, str]:
    """Written answer grade_id -> its mark scheme (criteria, levels, exemplars) in the source."""
    found = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade") and (m := MARK_SCHEME.search(cell.source)):
            found[meta["grade_id"]] = m.group(1).strip()
    return found


def _prepare(source, keys, path: Path, student: str) -> tuple[Outcome, Any]:
    """The student's outcome so far, and the notebook to run (None if there is nothing to run)."""
    questions, manual = keys
    outcome = Outcome(student, path.name, scores={q.grade_id: 0.0 for q in questions})
    try:
        submitted = _read_submission(path)
    except ValueError as error:
        outcome.status, outcome.problems = "unreadable", [str(error)]
        outcome.manual_blank = {grade_id: True for grade_id, _ in manual}
        return outcome, None
    runnable = assemble(source, submitted)
    written = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in runnable.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    outcome.manual_blank = {g: written.get(g, "").strip() in STUBS for g, _ in manual}
    return outcome, runnable


def _score(outcome: Outcome, run: sandbox.Run, questions: list[Question], runnable) -> None:
    """Score the answers that came back from one execution (all of them untrusted data)."""
    started = time.perf_counter()
    outcome.status = run.status
    if run.message:
        outcome.problems.append(run.message)
    for question in questions:
        captured = run.answers.get(question.answer)
        if not isinstance(captured, dict) or "value" not in captured:
            reason = captured.get("error") if isinstance(captured, dict) else "no answer"
            if run.status == "ok" and reason not in (None, "not defined"):
                outcome.problems.append(f"{question.answer}: {str(reason)[:80]}")
            continue
        outcome.answers[question.grade_id] = captured["value"]
        outcome.scores[question.grade_id] = award(captured["value"], question.form, question.key)
    outcome.executed = _executed(run, runnable)
    outcome.timings = {**run.timings, "scoring": time.perf_counter() - started}


@dataclass(frozen=True)
class Job:
    """One notebook to execute: whose, which, the assembled notebook (JSON) and answer names."""

    student: str
    notebook: str
    text: str
    names: tuple[str, ...]


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of an error's message, for a one-line report (the log has the rest)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:limit]


def failed_run(job: Job, error: BaseException) -> sandbox.Run:
    """The grader's own failure to execute ``job`` (logged in full), as a run with no answers."""
    log.error("executing %s/%s failed", job.student, job.notebook, exc_info=error)
    return sandbox.Run(
        "error", f"not executed: {type(error).__name__}: {first_line(error)}", {}, None
    )


class LocalRunner:
    """Executes jobs in sandboxes on this machine, ``jobs`` at a time."""

    def __init__(
        self, jobs: int, limits: sandbox.Limits, unsafe: bool, executor: str = "shell"
    ) -> None:
        self.jobs, self.limits, self.unsafe, self.executor = max(1, jobs), limits, unsafe, executor

    def check(self) -> None:
        """Raise :class:`sandbox.SandboxUnavailable` if no sandbox can run here."""
        if not self.unsafe:
            sandbox.check_sandbox()

    def run(self, work: list[Job]) -> Iterator[tuple[Job, sandbox.Run]]:
        """Each job with its run, in the order they finish."""
        slots: queue.Queue[int] = queue.Queue()
        for slot in range(self.jobs):
            slots.put(slot)

        def execute(job: Job) -> sandbox.Run:
            slot = slots.get()
            try:
                return sandbox.run_source(
                    job.text, list(job.names), slot, self.limits, self.unsafe, self.executor
                )
            finally:
                slots.put(slot)

        pool = ThreadPoolExecutor(max_workers=self.jobs)
        try:
            futures = {pool.submit(execute, job): job for job in work}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    yield job, future.result()
                except Exception as error:
                    yield job, failed_run(job, error)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pass


def _students(course: Course, assignment: str, named: list[str] | None, notebooks) -> list[str]:
    """The students to grade, after checking that each one's submission can be read."""
    found = course.students(assignment)
    if named:
        missing = [student for student in named if student not in found]
        if missing:
            folder = course.path("submitted", ".", ".").resolve()
            raise GradingError(
                f"no submission of {assignment} from {', '.join(missing)} in {folder}; "
                "check the names (course grade --student NAME)"
            )
        found = list(dict.fromkeys(named))
    unreadable = course.unreadable(assignment, found, notebooks)
    if unreadable:
        more = f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
        raise GradingError(
            f"cannot read {', '.join(unreadable[:3])}{more}; give this account read access "
            "(for example chmod -R g+rX on the submitted folder) and run again"
        )
    return found


def _enter(course: Course, assignment: str, sources: dict[str, Any]) -> None:
    from nbgrader.api import InvalidEntry
    from sqlalchemy.exc import DBAPIError

    try:
        log.info(course.ensure_assignment(assignment, sources))
    except (DBAPIError, InvalidEntry) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
        raise GradingError(
            f"cannot use the gradebook {course.database}: {reason}; check db_url in "
            "nbgrader_config.py and that the database server is running"
        ) from None


def _finish(course: Course, assignment: str, outcomes: list[Outcome], sources, keys) -> None:
    """Save one student's autograded notebooks and grades; a failure marks only this student."""
    student = outcomes[0].student
    if any(o.status == "error" for o in outcomes):
        for outcome in outcomes:
            outcome.problems.append(f"nothing recorded; run again with --student {student}")
        return
    try:
        started = time.perf_counter()
        for outcome in outcomes:
            name = outcome.notebook.removesuffix(".ipynb")
            write_autograded(course, assignment, outcome, sources[name], keys[name][0])
        course.record(assignment, outcomes)
        for outcome in outcomes:
            outcome.timings["gradebook"] = (time.perf_counter() - started) / len(outcomes)
    except Exception as error:
        log.error("recording %s failed", student, exc_info=error)
        for outcome in outcomes:
            outcome.status = "error"
            outcome.problems.append(
                f"not recorded: {type(error).__name__}: {first_line(error, 160)}; "
                f"run again with --student {student}"
            )


def grade(
    assignment: str,
    root: Path | str = ".",
    students: list[str] | None = None,
    jobs: int = 1,
    unsafe: bool = False,
    limits: sandbox.Limits = sandbox.DEFAULT_LIMITS,
    progress: bool = True,
    cluster: str | None = None,
    executor: str = "shell",
) -> dict[str, list[Outcome]]:
    """Grade every (or the named) student's submission of ``assignment``.

    Everything that could stop the run is checked before any submission executes: the
    source notebooks and their keys, that each submission can be read, the sandbox, and the
    gradebook (an assignment missing from it is entered from its source). After that, a
    failure while grading or recording one student is that student's (status ``error``, with
    the reason) and never stops the others.

    Args:
        cluster: a Dask scheduler's address: run the sandboxed executions on its workers.
            Scoring and gradebook writes stay in this process.
        executor: ``shell`` (cells run in the sandbox's own Python) or ``kernel`` (in a
            Jupyter kernel, as nbgrader runs them; slower). See :mod:`course.execute`.

    Returns:
        ``{student: [Outcome per notebook]}``; every outcome without status ``error`` is in
        the gradebook.

    Raises:
        SandboxUnavailable: no working sandbox and ``unsafe`` not given.
        GradingError: the course, its keys, its submissions or its gradebook cannot be used.
    """
    import nbformat

    started = time.monotonic()
    course = Course(root)
    sources = course.sources(assignment)
    keys = {}
    for name, source in sources.items():
        try:
            keys[name] = read_questions(source)
        except GradingError as error:
            where = course.path("source", ".", assignment) / f"{name}.ipynb"
            raise GradingError(f"{where}: {error}; fix the key, then grade again") from None
    students = _students(course, assignment, students, list(sources))
    if cluster is not None:
        from course.cluster import ClusterRunner

        runner = ClusterRunner(cluster, limits, unsafe, executor)
    else:
        runner = LocalRunner(jobs, limits, unsafe, executor)
    try:
        runner.check()
        if students:
            _enter(course, assignment, sources)
        results: dict[str, list[Outcome]] = {}
        waiting: dict[str, int] = {}
        work, runnables = [], {}
        for student in students:
            folder = course.path("submitted", student, assignment)
            results[student], queued = [], len(work)
            for name, source in sources.items():
                outcome, runnable = _prepare(source, keys[name], folder / f"{name}.ipynb", student)
                results[student].append(outcome)
                if runnable is not None:
                    names = tuple(q.answer for q in keys[name][0])
                    work.append(Job(student, name, nbformat.writes(runnable), names))
                    runnables[student, name] = (outcome, runnable)
            waiting[student] = len(work) - queued
        bar = _progress(len(students), progress)
        failed = 0

        def done(student: str) -> None:
            nonlocal failed
            _finish(course, assignment, results[student], sources, keys)
            failed += any(o.status != "ok" for o in results[student])
            bar.update(1)
            bar.set_postfix(failed=failed, refresh=False)

        for student in [s for s in students if not waiting[s]]:
            done(student)
        for job, run in runner.run(work):
            outcome, runnable = runnables.pop((job.student, job.notebook))
            try:
                _score(outcome, run, keys[job.notebook][0], runnable)
            except Exception as error:
                outcome.status = "error"
                outcome.problems.append(failed_run(job, error).message)
            waiting[job.student] -= 1
            if not waiting[job.student]:
                done(job.student)
        bar.close()
    finally:
        runner.close()
    if progress:
        print(summary(results, time.monotonic() - started))
    return dict(sorted(results.items()))


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total, unit="submission", desc="grading", disable=not enabled, dynamic_ncols=True
    )


def summary(results: dict[str, list[Outcome]], seconds: float) -> str:
    """The closing table: each student's score and any problem."""
    lines = [f"{'student':<20} {'score':>8}  status      problems"]
    for student, outcomes in sorted(results.items()):
        total = sum(o.total for o in outcomes)
        status = ",".join(sorted({o.status for o in outcomes}))
        problems = "; ".join(p for o in outcomes for p in o.problems)[:160]
        lines.append(f"{student:<20} {total:>8g}  {status:<10}  {problems}")
    errors = sum(any(o.status == "error" for o in outcomes) for outcomes in results.values())
    lines.append(
        f"{len(results) - errors} of {len(results)} submissions graded in {seconds:.1f} s"
        + (f"; {errors} not graded (see problems)" if errors else "")
    )
    return "\n".join(lines)


def leaks(page: str, autograded=None, schemes: dict[str, str] | None = None) -> list[str]:
    """What of the hidden tests or the graders' rubrics a feedback page would show.

    A page may show the student's own answers and, after grading, each question's explanation.
    It must never show a hidden test (the ``award`` call and its key literal) outside the
    student's own answer cells, nor a mark scheme or its exemplars.

    Args:
        page: the feedback page (HTML).
        autograded: the notebook the page was made from, to look for hidden tests in every
            cell but the student's answers (what the student typed is theirs to see).
        schemes: written answer grade_id -> mark scheme, from :func:`mark_schemes`.
    """
    import html

    text = html.unescape(page)
    found = [m for m in ("BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "For graders:") if m in text]
    for grade_id, scheme in (schemes or {}).items():
        lines = [line.strip() for line in scheme.splitlines() if len(line.strip()) > 40]
        if any(line in text for line in lines):
            found.append(f"the mark scheme of {grade_id}")
    for index, cell in enumerate(autograded.cells if autograded is not None else []):
        meta = cell.metadata
        if meta.get("nbgrader", {}).get("solution") or meta.get("course", {}).get("grader_only"):
            continue
        shown = strip_hidden(cell.source) + "".join(
            str(out.get("text", "")) + json.dumps(out.get("data", {}))
            for out in cell.get("outputs", [])
        )
        if "award(" in shown or '"misconceptions"' in shown:
            found.append(f"a hidden test in cell {index}")
    return found
