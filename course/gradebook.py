"""The nbgrader course directory and its gradebook, as `course grade` reads and writes them.

The gradebook is nbgrader's: SQLite by default (``gradebook.db`` in the course folder), or any
SQLAlchemy URL in ``c.CourseDirectory.db_url``, such as a PostgreSQL server that several
graders share. Every write is one short transaction, retried when another writer holds the
database (SQLite's lock, or two processes adding the same student at once); manual grades are
never overwritten, and the grade rows being written are locked on servers that can lock rows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["Course", "GradingError"]

ATTEMPTS = 6  # tries of one transaction before its error is reported


class GradingError(RuntimeError):
    """The instructor's course is not set up as `course grade` expects (never the student's)."""


def _with_tools_on_path() -> None:
    """nbgrader runs ``alembic`` from PATH when it creates a gradebook: the one beside Python."""
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")


def retried(transaction, attempts: int = ATTEMPTS):
    """Run ``transaction()``; when the database is busy or a concurrent insert won, try again."""
    from nbgrader.api import InvalidEntry  # nbgrader's wrapping of a lost concurrent insert
    from sqlalchemy.exc import DBAPIError

    for attempt in range(attempts):
        try:
            return transaction()
        except (DBAPIError, InvalidEntry):
            if attempt == attempts - 1:
                raise
            time.sleep(min(0.1 * 2**attempt, 2.0))
    return None


def _submitted(folder: Path) -> bool:
    """Whether ``folder`` is there; one this account may not even look into counts as there."""
    try:
        return folder.is_dir()
    except PermissionError:
        return True


class Course:
    """An nbgrader course directory: its paths, and its gradebook."""

    def __init__(self, root: Path | str = ".") -> None:
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise GradingError(f"{self.root} is not a folder; pass the course folder as --root")
        config = Config()
        if (self.root / "nbgrader_config.py").exists():
            try:
                config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
            except Exception as error:
                raise GradingError(
                    f"{self.root / 'nbgrader_config.py'} does not load ({type(error).__name__}: "
                    f"{error}); fix it and run again"
                ) from None
        self.dirs = CourseDirectory(config=config)
        self.dirs.root = str(self.root)
        self.db_url = config.get("CourseDirectory", {}).get("db_url") or (
            f"sqlite:///{self.root / 'gradebook.db'}"
        )
        self.course_id = self.dirs.course_id  # as nbgrader's own commands open the gradebook
        if not self.course_id and not self.db_url.startswith("sqlite"):
            # nbgrader files assignments under the course id; a database server enforces that
            # the course exists, and nbgrader creates no course for an empty id
            raise GradingError(
                f"a gradebook on {self.database} needs a course id: set "
                'c.CourseDirectory.course_id = "..." in nbgrader_config.py'
            )

    def path(self, kind: str, student: str, assignment: str) -> Path:
        folder = getattr(self.dirs, f"{kind}_directory")
        return Path(self.dirs.format_path(folder, student, assignment))

    @property
    def database(self) -> str:
        """The gradebook's URL without any password, for messages."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.db_url).render_as_string(hide_password=True)
        except Exception:
            return "the configured db_url"

    @contextmanager
    def gradebook(self):
        from nbgrader.api import Gradebook

        _with_tools_on_path()
        with Gradebook(self.db_url, self.course_id) as gradebook:
            yield gradebook

    def sources(self, assignment: str) -> dict[str, Any]:
        import nbformat

        folder = self.path("source", ".", assignment)
        notebooks = sorted(folder.glob("*.ipynb"))
        if not notebooks:
            raise GradingError(f"no source notebooks in {folder}")
        sources = {}
        for notebook in notebooks:
            try:
                sources[notebook.stem] = nbformat.read(notebook, as_version=4)
            except Exception as error:
                raise GradingError(
                    f"source notebook {notebook} does not read ({type(error).__name__}); fix it"
                ) from None
        return sources

    def students(self, assignment: str) -> list[str]:
        base = self.path("submitted", ".", ".").resolve()
        if not base.is_dir():
            return []
        try:
            names = os.listdir(base)
        except OSError:
            raise GradingError(
                f"cannot read {base}; give this account read access and run again"
            ) from None
        return sorted(name for name in names if _submitted(base / name / assignment))

    def unreadable(self, assignment: str, students: list[str], notebooks: list[str]) -> list[str]:
        """Submitted folders or notebooks that exist but that this account cannot read."""
        found = []
        for student in students:
            folder = self.path("submitted", student, assignment)
            try:
                present = set(os.listdir(folder))
            except OSError:
                found.append(str(folder))
                continue
            for name in notebooks:
                if f"{name}.ipynb" in present:
                    try:
                        with open(folder / f"{name}.ipynb", "rb") as notebook:
                            notebook.read(1)
                    except OSError:
                        found.append(str(folder / f"{name}.ipynb"))
        return found

    def ensure_assignment(self, assignment: str, sources: dict[str, Any]) -> str:
        """Make the gradebook hold ``assignment`` exactly as its source defines it.

        An assignment missing from the gradebook is entered the way ``nbgrader
        generate_assignment`` enters it (its student copies go to a throwaway folder, so the
        released ones are untouched). An entry that disagrees with the source is refused.

        Returns:
            What was done, for the log.
        """
        expected = {
            name: {
                cell.metadata["nbgrader"]["grade_id"]: float(cell.metadata["nbgrader"]["points"])
                for cell in source.cells
                if cell.metadata.get("nbgrader", {}).get("grade")
            }
            for name, source in sources.items()
        }
        found = retried(lambda: self._entered(assignment))
        if found == expected:
            return f"{assignment} is in the gradebook"
        if found and any(found.get(name) not in (None, cells) for name, cells in expected.items()):
            differs = sorted(n for n, c in expected.items() if found.get(n) not in (None, c))
            raise GradingError(
                f"the gradebook's {assignment} differs from its source in {', '.join(differs)} "
                f"(cells or points changed since release); run `course release {assignment}` "
                "to update it, then grade again"
            )
        self._enter(assignment)
        if retried(lambda: self._entered(assignment)) != expected:
            raise GradingError(f"could not enter {assignment} in the gradebook {self.database}")
        return f"entered {assignment} in the gradebook {self.database} from its source"

    def _entered(self, assignment: str) -> dict[str, dict[str, float]] | None:
        from nbgrader.api import MissingEntry

        with self.gradebook() as gradebook:
            try:
                entry = gradebook.find_assignment(assignment)
            except MissingEntry:
                return None
            return {
                notebook.name: {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
                for notebook in entry.notebooks
            }

    def _enter(self, assignment: str) -> None:
        _with_tools_on_path()
        with tempfile.TemporaryDirectory(prefix="course-release-") as throwaway:
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "nbgrader",
                    "generate_assignment",
                    assignment,
                    "--force",
                    f"--CourseDirectory.release_directory={throwaway}",
                    f"--CourseDirectory.root={self.root}",
                ],  # fmt: skip
                cwd=self.root,
                capture_output=True,
                text=True,
                check=False,
            )
        if run.returncode != 0:
            lines = run.stderr.strip().splitlines() or ["no message"]
            errors = [line for line in lines if re.match(r"\w+(\.\w+)*(Error|Exception): ", line)]
            last = (errors or lines)[-1][:300]
            raise GradingError(
                f"{assignment} is not in the gradebook and nbgrader could not enter it: {last}"
            )

    def record(self, assignment: str, outcomes: list) -> None:
        """Write one student's grades in one transaction (retried); keep manual grades."""
        retried(lambda: self._record(assignment, outcomes))

    def _record(self, assignment: str, outcomes: list) -> None:
        from nbgrader.api import Grade, MissingEntry
        from sqlalchemy import select

        student = outcomes[0].student
        with self.gradebook() as gradebook:
            session = gradebook.db
            try:
                try:
                    gradebook.find_student(student)
                except MissingEntry:
                    gradebook.add_student(student)
                try:
                    submission = gradebook.find_submission(assignment, student)
                except MissingEntry:
                    submission = gradebook.add_submission(assignment, student)
                stamp = self.path("submitted", student, assignment) / "timestamp.txt"
                if stamp.is_file():
                    submission.timestamp = _timestamp(stamp, outcomes[0])
                for outcome in outcomes:
                    notebook = gradebook.find_submission_notebook(
                        outcome.notebook.removesuffix(".ipynb"), assignment, student
                    )
                    # locked until commit, so a grader's manual score cannot slip in between
                    rows = select(Grade).where(Grade.notebook_id == notebook.id).with_for_update()
                    for cell_grade in session.execute(rows).scalars():
                        name = cell_grade.cell.name
                        if name in outcome.scores:
                            cell_grade.auto_score = outcome.scores[name]
                            cell_grade.needs_manual_grade = False
                        elif name in outcome.manual_blank:
                            blank = outcome.manual_blank[name]
                            cell_grade.auto_score = 0.0 if blank else None
                            cell_grade.needs_manual_grade = not blank and (
                                cell_grade.manual_score is None
                            )
                session.commit()
            except Exception:
                session.rollback()
                raise


def _timestamp(stamp: Path, outcome):
    """The submission time nbgrader wrote beside the submission, or None if it is not a date."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(stamp.read_text("utf-8", "replace").strip()[:64])
    except (ValueError, OverflowError):
        problem = f"{stamp.name} holds no date; submission time not recorded"
        if problem not in outcome.problems:
            outcome.problems.append(problem)
        return None
