"""The ``course`` command: look at the data, and (for instructors) release and grade work.

Run ``course --help`` for the list of commands.
"""

from __future__ import annotations

import argparse
import sys


def _data_list(args: argparse.Namespace) -> int:
    from course import data

    counts = data.check_all()
    width = max(map(len, counts))
    for name, rows in counts.items():
        print(f"{name:<{width}}  {rows:>4} rows")
    return 0


def _data_show(args: argparse.Namespace) -> int:
    import pandas as pd

    from course import data

    table = data.load(args.name)
    columns = args.columns.split(",") if args.columns else list(table.columns)
    unknown = [c for c in columns if c not in table.columns]
    if unknown:
        print(
            f"course: unknown column(s) {unknown}; columns are {list(table.columns)}",
            file=sys.stderr,
        )
        return 2
    with pd.option_context(
        "display.max_rows", None, "display.max_colwidth", args.width, "display.width", 200
    ):
        print(table[columns].to_string(index=False))
    return 0


def _nbgrader(root: str, *args: str) -> int:
    """Run an nbgrader command in the course directory ``root``."""
    import os
    import subprocess
    from pathlib import Path

    # nbgrader runs `alembic` from PATH when it creates a gradebook
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=root, env={**os.environ, "PATH": path}
    ).returncode


def _release(args: argparse.Namespace) -> int:
    return _nbgrader(args.root, "generate_assignment", args.assignment, "--force")


def _grade_log(root: str):
    """Where `course grade` writes library warnings and full error reports."""
    import os
    import tempfile
    from pathlib import Path

    folder = Path(root)
    if not (folder.is_dir() and os.access(folder, os.W_OK)):
        folder = Path(tempfile.gettempdir())
    return (folder / "course-grade.log").resolve()


def _grade(args: argparse.Namespace) -> int:
    from course import grading, logfile, sandbox

    log = _grade_log(args.root)
    try:
        with logfile.to_file(log):
            results = grading.grade(
                args.assignment,
                args.root,
                args.student or None,
                args.jobs,
                args.unsafe,
                progress=True,
                cluster=args.cluster,
                executor="kernel" if args.kernel else "shell",
            )
    except sandbox.SandboxUnavailable as error:
        print(
            f"course grade: refusing to run student code without a sandbox: {error}. "
            "Fix that, or pass --unsafe to run submissions with your own rights.",
            file=sys.stderr,
        )
        return 3
    except grading.GradingError as error:
        print(f"course grade: {error}", file=sys.stderr)
        return 2
    if not results:
        print(
            f"course grade: no submissions of {args.assignment} under {args.root}", file=sys.stderr
        )
        return 1
    print(f"Library warnings and full error reports: {log}")
    not_graded = [s for s, outs in results.items() if any(o.status == "error" for o in outs)]
    if not_graded:
        print(
            f"course grade: {len(not_graded)} submission(s) not graded: {', '.join(not_graded)}; "
            f"see the problems above and {log}, then run again with --student NAME",
            file=sys.stderr,
        )
        return 5
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from pathlib import Path

    import nbformat

    from course import grading

    code = _nbgrader(args.root, "generate_feedback", args.assignment, "--force")
    course = grading.Course(args.root)
    schemes = {
        k: v
        for nb in course.sources(args.assignment).values()
        for k, v in grading.mark_schemes(nb).items()
    }
    feedback = Path(course.dirs.format_path(course.dirs.feedback_directory, ".", "."))
    withheld = []
    for page in sorted(feedback.glob(f"*/{args.assignment}/*.html")):
        student = page.parent.parent.name
        notebook = course.path("autograded", student, args.assignment) / f"{page.stem}.ipynb"
        try:
            autograded = nbformat.read(notebook, as_version=4)
        except (OSError, ValueError) as error:
            found = [f"its autograded notebook could not be read ({type(error).__name__})"]
        else:
            found = grading.leaks(page.read_text("utf-8"), autograded, schemes)
        if found:
            page.unlink()
            withheld.append(f"  {student}: {page.name}: {'; '.join(found)}")
    if withheld:
        print(
            f"course feedback: withheld {len(withheld)} page(s) that would show hidden tests or "
            "rubrics; check these students' autograded notebooks, then run course feedback again:\n"
            + "\n".join(withheld),
            file=sys.stderr,
        )
        return 4
    return code


def _export(args: argparse.Namespace) -> int:
    return _nbgrader(args.root, "export", f"--to={args.to}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="course",
        description="A source-based course on the Russian Revolution and Stalinism, 1917-1940.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    data = commands.add_parser("data", help="list, show and check the datasets")
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    listing = data_commands.add_parser("list", help="validate every table and print its row count")
    listing.set_defaults(run=_data_list)
    show = data_commands.add_parser("show", help="print one table")
    show.add_argument("name", help="table name, as listed by 'course data list'")
    show.add_argument("--columns", help="comma-separated columns to show (default: all)")
    show.add_argument("--width", type=int, default=60, help="widest cell, in characters")
    show.set_defaults(run=_data_show)

    def assignment_command(name: str, help: str, run) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help, description=help)
        command.add_argument("assignment", help="assignment name, e.g. 01-collapse-and-recovery")
        command.add_argument("--root", default=".", help="the nbgrader course directory")
        command.set_defaults(run=run)
        return command

    assignment_command(
        "release", "generate the student copy (nbgrader generate_assignment)", _release
    )
    grade = assignment_command(
        "grade", "autograde submissions in a sandbox, never letting the key into the kernel", _grade
    )
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--jobs", type=int, default=1, help="submissions executed in parallel")
    grade.add_argument(
        "--unsafe",
        action="store_true",
        help="run without the bubblewrap sandbox (student code gets your rights)",
    )
    grade.add_argument(
        "--kernel",
        action="store_true",
        help="run each submission in a Jupyter kernel, as nbgrader does (slower; for notebooks "
        "that need one, such as widgets talking to the kernel)",
    )
    grade.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run the sandboxed executions on this Dask scheduler's workers (tcp://host:8786)",
    )
    assignment_command("feedback", "generate feedback pages (no hidden tests, checked)", _feedback)
    export = commands.add_parser("export", help="export all grades as CSV (nbgrader export)")
    export.add_argument("--root", default=".", help="the nbgrader course directory")
    export.add_argument("--to", default="grades.csv", help="the CSV file to write")
    export.set_defaults(run=_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``course`` command with ``argv`` (default ``sys.argv[1:]``); return its status."""
    from course.data import DataError

    # jsonschema's optional IRI format checker builds a grammar on import (1.6 s measured
    # here); nothing this command validates uses it.
    sys.modules.setdefault("rfc3987_syntax", None)
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (DataError, KeyError) as error:
        print(f"course: {error}", file=sys.stderr)
        return 1
