"""Benchmark: `course grade` against stock `nbgrader autograde` and against plain execution.

On the same N submissions of one assignment (the sample cases of tests/submissions, cycled),
each way in a fresh copy of the course:

1. stock ``nbgrader autograde`` (serial, no sandbox, a kernel per notebook);
2. ``course grade --jobs 2`` and ``--jobs 1`` (sandboxed; cells run in the sandbox's Python),
   through :func:`course.grading.grade`, which the command calls;
3. ``course grade --jobs 1 --kernel`` (sandboxed, a kernel per notebook: the way before);
4. plain nbclient execution of each submission in a fresh kernel, serially, no grading.

Prints wall and CPU seconds (CPU: the run's processes and all their children; for a sandbox,
which is not the grader's to wait for, the CPU time its runner reports), the throughput
ratio stock / ``--jobs 2`` (target >= 4), the CPU cost of ``--jobs 1`` over plain execution
(target <= 0.5), whether every way gave the same grades, and the medians of each phase of one
submission under ``--jobs 1``: sandbox set-up and interpreter start (each timed on its own, 20
times), the runner's imports, the cells, scoring, and writing the autograded notebook and the
gradebook. Run as any user with a working sandbox (``make bench``)::

    python tests/benchmarks/bench_grading.py [N]
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "01-collapse-and-recovery"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
GRADE = """
import json, sys
from course import grading
assignment, root, jobs, executor = sys.argv[1:]
results = grading.grade(assignment, root, jobs=int(jobs), progress=False, executor=executor)
print(json.dumps([o.timings for outcomes in results.values() for o in outcomes]))
"""
PLAIN = """
import glob, sys
import nbformat
from nbclient import NotebookClient
for path in sorted(glob.glob(sys.argv[1] + '/submitted/*/*/*.ipynb')):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name='python3').execute()
"""


def course_dir(base: Path, submissions: int) -> Path:
    """A course with ``submissions`` students, each answering as one of the sample cases."""
    root = base / "course"
    root.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    _run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force"], root)
    cases = json.loads((ROOT / "tests/submissions" / ASSIGNMENT / "cases.json").read_text())
    released = ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for index, case in zip(range(submissions), itertools.cycle(cases.values())):
        notebook = nbformat.read(released, as_version=4)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in case["answers"]:
                cell.source = f"{grade_id} = {case['answers'][grade_id]}\n"
        folder = root / "submitted" / f"student{index:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    return root


def _run(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (with children) and standard output of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=ENV, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _grades(root: Path) -> list[tuple]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return sorted(
            (s.student.id, g.name, round(g.auto_score or 0, 9))
            for s in gradebook.assignment_submissions(ASSIGNMENT)
            for n in s.notebooks
            for g in n.grades
            if g.auto_score is not None
        )


def startup_medians(times: int = 20) -> dict[str, float]:
    """Median wall seconds of an empty sandbox, and of the sandbox's Python starting in one."""
    from course import sandbox

    sandbox.check_sandbox()
    found = {}
    with tempfile.TemporaryDirectory() as work:
        for phase, runner in (
            ("sandbox set-up", ["/bin/true"]),
            ("interpreter start", [sys.executable, "-I", "-c", "pass"]),
        ):
            command, env, fds = sandbox._sandboxed(
                sandbox._bwrap(), Path(work), runner, sandbox.DEFAULT_LIMITS, 0
            )
            seconds = []
            for _ in range(times):
                start = time.perf_counter()
                subprocess.run(command, env=env, pass_fds=fds, check=True, capture_output=True)
                seconds.append(time.perf_counter() - start)
            found[phase] = statistics.median(seconds)
    found["interpreter start"] -= found["sandbox set-up"]
    return found


def main(submissions: int = 60) -> None:
    def course(jobs: int, executor: str = "shell"):
        return lambda r: [sys.executable, "-c", GRADE, ASSIGNMENT, str(r), str(jobs), executor]

    ways = {
        "stock nbgrader autograde": lambda r: [
            sys.executable,
            "-m",
            "nbgrader",
            "autograde",
            ASSIGNMENT,
            "--force",
        ],  # fmt: skip
        "course grade --jobs 2": course(2),
        "course grade --jobs 1": course(1),
        "course grade --jobs 1 --kernel": course(1, "kernel"),
        "plain nbclient execution": lambda r: [sys.executable, "-c", PLAIN, str(r)],
    }
    measured, grades, timings = {}, {}, {}
    with tempfile.TemporaryDirectory() as base:
        for index, (way, command) in enumerate(ways.items()):
            root = course_dir(Path(base) / str(index), submissions)
            wall, cpu, out = _run(command(root), root)
            if way.startswith("course grade"):
                # the sandboxes' CPU, which they report: their processes are not ours to wait for
                timings[way] = json.loads(out.strip().splitlines()[-1])
                cpu += sum(t.get("cpu", 0.0) for t in timings[way])
            measured[way] = (wall, cpu)
            if way != "plain nbclient execution":
                grades[way] = _grades(root)
    print(f"{submissions} submissions of {ASSIGNMENT}, one run of each way:\n")
    print("| way | wall s | CPU s | CPU s each |\n|---|---|---|---|")
    for way, (wall, cpu) in measured.items():
        print(f"| {way} | {wall:.1f} | {cpu:.1f} | {cpu / submissions:.2f} |")
    stock, fast = measured["stock nbgrader autograde"][0], measured["course grade --jobs 2"][0]
    cost = measured["course grade --jobs 1"][1] / measured["plain nbclient execution"][1]
    same = len({json.dumps(g) for g in grades.values()}) == 1
    print(f"\nthroughput, course grade --jobs 2 over stock: {stock / fast:.2f}x (target >= 4x)")
    print(f"CPU per submission, course grade --jobs 1 over plain execution: {cost:.2f}x "
          "(target <= 0.5x)")  # fmt: skip
    print(f"every way gave the same grades: {'yes' if same else 'NO'}")
    phases = startup_medians()
    serial = timings["course grade --jobs 1"]
    for phase in ("imports", "cells", "scoring", "gradebook"):
        values = [t[phase] for t in serial if phase in t]
        phases[phase] = statistics.median(values) if values else float("nan")
    startup = statistics.median(t["startup"] for t in serial if "startup" in t)
    print(
        f"\nmedian seconds per submission, course grade --jobs 1 (startup in all: {startup:.3f}):"
    )
    print("| phase | median s |\n|---|---|")
    for phase, seconds in phases.items():
        print(f"| {phase} | {seconds:.3f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
