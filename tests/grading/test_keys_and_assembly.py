"""The grader's pure parts: reading keys without executing them, assembling the notebook to run
from the source (never trusting the submission's locked cells), and refusing to run unsandboxed."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat
import pytest

from course import cli, grading, sandbox

SOURCE = Path(__file__).resolve().parent / "course" / "solutions" / "t1" / "t1.ipynb"


@pytest.fixture
def source():
    return nbformat.read(SOURCE, as_version=4)


def test_keys_are_read_as_literals(source):
    questions, manual = grading.read_questions(source)
    assert [(q.grade_id, q.answer, q.points) for q in questions] == [
        ("test_how_many", "how_many", 2.0),
        ("test_which_docs", "which_docs", 2.0),
    ]
    assert questions[1].key["expected"] == ["001", "004"]
    assert questions[1].form == {"kind": "list", "options": ["000", "001", "002", "003", "004"]}
    assert [q.skill for q in questions] == ["arithmetic", "sourcing"]
    assert manual == [("why_written", 1.0)]


@pytest.mark.parametrize(
    ("visible", "message"),
    [
        ("check(how_many)", "must call check"),
        ('form = check("how_many", how_many, kind=KIND)', "must be literals"),
        ('form = check("how_many", how_many, kind="colour")', "malformed form"),
    ],
)
def test_malformed_forms_are_the_authors_error(source, visible, message):
    hidden = "award(how_many, form, {'method': 'number', 'expected': 42, 'points': 2})"
    source.cells[4].source = f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS\n"
    with pytest.raises(grading.GradingError, match=message):
        grading.read_questions(source)


@pytest.mark.parametrize(
    ("hidden", "message"),
    [
        ("award(how_many, form, KEY)", "the key must be a literal dict"),
        (
            "award(how_many, form, {'method': 'number', 'expected': __import__('os').getpid(), "
            "'points': 2})",
            "the key must be a literal dict",
        ),
        (
            "award(how_many, form, {'method': 'number', 'expected': 1, 'points': 5})",
            "key points 5 != cell points 2",
        ),
        (
            "award(how_many, form, {'method': 'guess', 'expected': 1, 'points': 2})",
            "unknown scoring method 'guess'",
        ),
        (
            "award(how_many, form, {'method': 'number', 'expected': '1', 'points': 2})",
            "breaks its own form",
        ),
        ("award(which_docs, form, {'method': 'number', 'expected': 1, 'points': 2})", "once"),
        ("print('no award')", "must call award(how_many, form, {KEY}) once"),
        ("award(how_many,", "not valid Python"),
    ],
)
def test_malformed_keys_are_the_authors_error(source, hidden, message):
    cell = source.cells[4]
    visible = 'form = check("how_many", how_many, kind="number")'
    cell.source = f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS\n"
    with pytest.raises(
        (grading.GradingError, ValueError),
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("{", r"\{")
        .replace("}", r"\}"),
    ):
        grading.read_questions(source)


def test_assembly_takes_locked_cells_from_the_source(source):
    submitted = copy.deepcopy(source)
    for cell in submitted.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "how_many":
            cell.source = "how_many = 42  # mine"
        elif meta.get("grade") and cell.cell_type == "code":
            cell.source = "print('tampered')"  # tests rewritten
            meta["points"] = 99
    submitted.cells.append(nbformat.v4.new_code_cell("scratch = 1"))
    runnable = grading.assemble(source, submitted)
    text = [c.source for c in runnable.cells]
    assert "how_many = 42  # mine" in text
    assert not any("tampered" in t or "BEGIN HIDDEN" in t or "award(" in t for t in text)
    assert "scratch = 1" in text
    points = [
        c.metadata["nbgrader"].get("points")
        for c in runnable.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    ]
    assert 99 not in points


def test_deleted_answer_cells_become_empty(source):
    submitted = copy.deepcopy(source)
    submitted.cells = [
        c for c in submitted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "which_docs"
    ]
    runnable = grading.assemble(source, submitted)
    cell = next(
        c for c in runnable.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "which_docs"
    )
    assert cell.source == ""


def test_grade_refuses_without_a_sandbox(monkeypatch, tmp_path, capsys):
    shutil.copytree(SOURCE.parents[2], tmp_path, dirs_exist_ok=True)  # the course, unreleased
    monkeypatch.setattr(sandbox, "_bwrap", lambda: None)
    assert cli.main(["grade", "t1", "--root", str(tmp_path)]) == 3
    error = capsys.readouterr().err
    assert "refusing to run student code without a sandbox" in error
    assert "bubblewrap (bwrap) is not installed" in error and "--unsafe" in error
