"""Shared set-up for the `course grade` tests: a released tiny course (assignment t1:
``how_many`` = 42 for 2 points, ``which_docs`` = ["001", "004"] for 2 points, one written
answer ``why_written``), students' submissions to it, and its gradebook read back as rows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

HERE = Path(__file__).resolve().parent


def _submit(root: Path, assignment: str, student: str, cells: dict[str, str]) -> None:
    """Write ``student``'s submission: the released notebook with ``cells`` (grade_id -> source)."""
    notebook = nbformat.read(root / "exercises" / assignment / f"{assignment}.ipynb", 4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell.source = cells[grade_id]
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{assignment}.ipynb")


@pytest.fixture(scope="session")
def submit():
    """A function that writes one student's submission (see :func:`_submit`)."""
    return _submit


@pytest.fixture(scope="session")
def released_course():
    """A function that copies the tiny course to a folder, releases t1 and writes each student's
    submission given as ``{student: {grade_id: source}}``."""

    def release(root: Path, answers: dict[str, dict[str, str]] | None = None) -> Path:
        shutil.copytree(HERE / "course", root, dirs_exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", "t1", "--force"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        for student, cells in (answers or {}).items():
            _submit(root, "t1", student, cells)
        return root

    return release


@pytest.fixture(scope="session")
def gradebook_rows():
    """A function: every cell grade of every t1 submission in a course's SQLite gradebook, as
    sorted (student, cell, auto_score, needs_manual_grade) rows."""

    def rows(root: Path) -> list[tuple]:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
            return sorted(
                (submission.student.id, grade.name, grade.auto_score, grade.needs_manual_grade)
                for submission in gradebook.assignment_submissions("t1")
                for notebook in submission.notebooks
                for grade in notebook.grades
            )

    return rows
