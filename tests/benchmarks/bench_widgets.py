"""Benchmark: widget update latency, lesson run-all time and `import course` time.

Run with ``make bench`` (or ``python tests/benchmarks/bench_widgets.py``). Prints medians; not
a test, so machine load never fails the suite. The widget figures are measured in this
process, which is the kernel's situation: the time from setting a control's value to the
image widget holding the re-rendered figure.
"""

from __future__ import annotations

import itertools
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def widget_latencies(interactions: int = 60, new_views: bool = False) -> dict[str, float]:
    """Median time from a control's move to the re-rendered image, per explorer.

    An explorer keeps the rendered axes of the last views it showed; ``new_views=True`` keeps
    only the view on show before each move, so that every move to another view renders that
    view's axes anew, as on a learner's first visit of each view.
    """
    from course import widgets

    plans = {
        "MembershipExplorer": lambda e: [
            (e.log, [True, False]),
            (e.years, [(1917, 1930), (1920, 1941)]),
            (e.series, [("001", "reference"), ("001", "003", "reference")]),
        ],
        "OutputExplorer": lambda e: [
            (e.base, ["1928", "1913"]),
            (e.fiction, [False, True]),
            (e.reference, [False, True]),
        ],
        "MortalityExplorer": lambda e: [
            (e.group, ["executions", "camp population and forced labour", "all"]),
            (e.sources, [("001", "reference"), ("001", "002", "003", "004", "reference")]),
        ],
        "GrowthCalculator": lambda e: [(e.rate, [6.4, 10.1, 15.0]), (e.years, [8, 12, 16])],
        "ArchivesExplorer": lambda e: [
            (e.question, [*e.question.options[1:3], e.question.options[0]]),
            (e.secondary, [False, True]),
        ],
        "ClaimsExplorer": lambda e: [(e.group, [*e.group.options[1:3], e.group.options[0]])],
        "SchoolsExplorer": lambda e: [
            *[(toggle, [True, False]) for toggle in list(e.toggles.values())[:2]],
            (e.log, [True, False]),
        ],
    }
    results = {}
    for name, plan in plans.items():
        explorer = getattr(widgets, name)()
        moves = [(control, value) for control, values in plan(explorer) for value in values]
        times = []
        for control, value in itertools.islice(itertools.cycle(moves), interactions):
            before = explorer.image.value
            if new_views:
                shown = list(explorer._backgrounds.items())[-1:]
                explorer._backgrounds = dict(shown)
            start = time.perf_counter()
            control.value = value
            times.append(time.perf_counter() - start)
            assert explorer.image.value is not before, f"{name}: the image did not change"
        results[name] = statistics.median(times) * 1000
    return results


def import_time(runs: int = 7) -> float:
    code = "import time; t = time.perf_counter(); import course; print(time.perf_counter() - t)"
    times = [
        float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(runs)
    ]
    return statistics.median(times) * 1000


def lesson_times() -> dict[str, float]:
    import nbformat
    from nbclient import NotebookClient

    results = {}
    for path in sorted((ROOT / "course" / "lessons").glob("[0-9][0-9]-*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        with client.setup_kernel():
            client.execute_cell(nbformat.v4.new_code_cell("1"), 0)  # kernel warm, not timed
            start = time.perf_counter()
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
            results[path.stem] = time.perf_counter() - start
    return results


def lesson_run_all(runs: int = 5) -> dict[str, tuple[float, float]]:
    """Median wall time of "run all" on a fresh kernel, kernel start included, per lesson.

    Two times per lesson: from before the kernel starts to after the last cell (what a learner
    waits for after "Restart kernel and run all"), and the whole of ``NotebookClient.execute()``,
    which also waits for the kernel to shut down. Lessons take turns, so that a burst of load
    elsewhere on the machine falls on all of them alike.
    """
    import nbformat
    from nbclient import NotebookClient

    cell_ends: list[float] = []

    def cell_executed(**_) -> None:
        cell_ends.append(time.perf_counter())

    paths = sorted((ROOT / "course" / "lessons").glob("[0-9][0-9]-*.ipynb"))
    times: dict[str, list[tuple[float, float]]] = {path.stem: [] for path in paths}
    for _ in range(runs):
        for path in paths:
            client = NotebookClient(
                nbformat.read(path, as_version=4),
                timeout=60,
                kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
                on_cell_executed=cell_executed,
            )
            start = time.perf_counter()
            client.execute()
            times[path.stem].append((cell_ends[-1] - start, time.perf_counter() - start))
    return {
        name: (statistics.median(t for t, _ in pairs), statistics.median(t for _, t in pairs))
        for name, pairs in times.items()
    }


def main() -> None:
    print(f"import course: median {import_time():.0f} ms (target <= 300 ms)")
    for name, ms in widget_latencies().items():
        print(f"{name}: median update {ms:.1f} ms over 60 interactions (target <= 20 ms)")
    for name, ms in widget_latencies(new_views=True).items():
        print(f"{name}: median update {ms:.1f} ms, every view shown for the first time")
    for name, seconds in lesson_times().items():
        print(f"lesson {name}: cells only, warm kernel {seconds:.2f} s")
    for name, (to_last_cell, with_shutdown) in lesson_run_all().items():
        print(
            f"lesson {name}: run all on a fresh kernel, median {to_last_cell:.2f} s to the last "
            f"cell (target <= 3 s), {with_shutdown:.2f} s with the kernel's shutdown"
        )


if __name__ == "__main__":
    main()
