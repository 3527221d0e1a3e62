"""Benchmark: `course grade` against stock `nbgrader autograde` and against plain execution.

Grades N submissions (default 60) of a real assignment, 01-collapse-and-recovery, built from the
sample submissions under tests/submissions/ (correct, partial, blank, wrong types, raising),
three ways in one run:

1. stock ``nbgrader autograde`` (serial, no sandbox);
2. ``course grade --jobs 2`` (sandboxed, parallel) and ``course grade --jobs 1``;
3. plain execution: each submitted notebook run once in a fresh kernel with nbclient, serially.

Prints wall times, the throughput ratio stock / course-grade-with-2-jobs (target >= 1.7) and
course grade's per-submission cost over plain execution, both serial (target <= 1.3). Run
as any user with a working sandbox: ``python tests/benchmarks/bench_grading.py [N]``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "01-collapse-and-recovery"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def course_dir(base: Path, submissions: int) -> Path:
    root = base / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    run(["generate_assignment", ASSIGNMENT, "--force"], root)
    samples = sorted((ROOT / "tests" / "submissions" / ASSIGNMENT).glob("*.ipynb"))
    for index, sample in zip(range(submissions), itertools.cycle(samples)):
        folder = root / "submitted" / f"student{index:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copy(sample, folder / f"{ASSIGNMENT}.ipynb")
    return root


def run(args: list[str], cwd: Path, module: str = "nbgrader") -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=ENV,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def plain_execution(root: Path) -> float:
    """Each submission executed once, as submitted, in a fresh kernel (nbclient), serially."""
    import nbformat
    from nbclient import NotebookClient

    start = time.perf_counter()
    for path in sorted((root / "submitted").glob(f"*/{ASSIGNMENT}/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3").execute()
    return time.perf_counter() - start


def main(submissions: int = 60) -> None:
    times = {}
    with tempfile.TemporaryDirectory() as base:
        for name in ("stock", "jobs2", "jobs1", "plain"):
            (Path(base) / name).mkdir()
            root = course_dir(Path(base) / name, submissions)
            if name == "stock":
                times[name] = run(["autograde", ASSIGNMENT, "--force"], root)
            elif name == "plain":
                times[name] = plain_execution(root)
            else:
                jobs = name[-1]
                times[name] = run(
                    ["grade", ASSIGNMENT, "--root", str(root), "--jobs", jobs],
                    root,
                    module="course",
                )
    for name, seconds in times.items():
        print(
            f"{name:>6}: {seconds:7.1f} s for {submissions} submissions "
            f"({seconds / submissions:.2f} s each)"
        )
    print(
        f"throughput, course grade --jobs 2 over stock nbgrader autograde: "
        f"{times['stock'] / times['jobs2']:.2f}x (target >= 1.7x)"
    )
    print(
        f"per-submission cost, course grade --jobs 1 over plain execution: "
        f"{times['jobs1'] / times['plain']:.2f}x (target <= 1.3x)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
