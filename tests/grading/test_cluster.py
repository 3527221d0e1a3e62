"""`course grade --cluster`: the sandboxed executions run on a real local Dask cluster of worker
processes, and the gradebook is the same as a local run's; a worker killed mid-execution has
its submission run again elsewhere; a worker that cannot make a sandbox stops the run before
anything executes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

ANSWERS = {  # student -> (how_many, which_docs, written answer)
    "ana": ("42", "['001', '004']", "Both were published by Trotskyists."),
    "ben": ("42", "['001']", ""),
    "cai": ("7", "['001', '004']", "They are old."),
    "dee": ("None", "None", ""),
    "eli": ("42.0", "['004', '001', '002']", ""),
    # long enough that a worker can be killed while it runs
    "fay": ("42\nimport time\ntime.sleep(4)", "['001', '004']", "Because of the publishers."),
}


def _course(root: Path, released_course) -> Path:
    answers = {
        student: {
            "how_many": f"how_many = {how_many}",
            "which_docs": f"which_docs = {which_docs}",
            **({"why_written": written} if written else {}),
        }
        for student, (how_many, which_docs, written) in ANSWERS.items()
    }
    return released_course(root, answers)


def _grade(root: Path, *options: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "course", "grade", "t1", "--root", str(root), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _graded(root: Path, *options: str) -> str:
    run = _grade(root, *options)
    out, err = run.communicate(timeout=180)
    assert run.returncode == 0, out[-2000:] + err[-2000:]
    return out


@pytest.fixture(scope="module")
def local_grades(tmp_path_factory, sandbox_ready, released_course, gradebook_rows) -> list[tuple]:
    """The gradebook of a local (no cluster) run of the course."""
    root = _course(tmp_path_factory.mktemp("local"), released_course)
    _graded(root, "--jobs", "2")
    grades = gradebook_rows(root)
    assert {row[0] for row in grades} == set(ANSWERS)
    return grades


@pytest.fixture
def cluster():
    """A scheduler with two worker processes (one thread each), and a client of it."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield cluster, client


def _sandboxes(pid: int) -> list[int]:
    """The sandboxes executing a submission that process ``pid`` (any of its threads) started
    (not the trial sandbox of the check before grading)."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if command[0].endswith(b"bwrap") and b"course.execute" in command:
                found.append(int(child))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in "ZX"
    except OSError:
        return False


def _executions(client) -> tuple[int, int]:
    """How many tasks of ``course.cluster.execute`` the scheduler saw finish, and how many times
    it lost one to a dead worker."""

    def count(dask_scheduler):
        prefix = dask_scheduler.task_prefixes.get("execute")
        return (0, 0) if prefix is None else (prefix.state_counts["memory"], prefix.suspicious)

    return client.run_on_scheduler(count)


def test_cluster_grades_equal_a_local_run(
    tmp_path, released_course, local_grades, cluster, gradebook_rows
):
    scheduler, client = cluster
    root = _course(tmp_path / "cluster", released_course)
    out = _graded(root, "--cluster", scheduler.scheduler_address)
    assert gradebook_rows(root) == local_grades
    assert "6 of 6 submissions graded" in out
    assert _executions(client) == (len(ANSWERS), 0)  # each ran once, on the cluster
    scores: dict[str, float] = {}
    for student, _cell, score, _ in local_grades:
        scores[student] = scores.get(student, 0) + (score or 0)
    assert scores == pytest.approx(
        {"ana": 4, "ben": 3, "cai": 2, "dee": 0, "eli": 3.33, "fay": 4}, abs=0.01
    )
    manual = {s for s, cell, _, needs in local_grades if cell == "why_written" and needs}
    assert manual == {"ana", "cai", "fay"}


def test_worker_killed_mid_execution_is_retried(
    tmp_path, released_course, local_grades, cluster, gradebook_rows
):
    scheduler, client = cluster
    root = _course(tmp_path / "killed", released_course)
    pids = client.run(os.getpid)
    run = _grade(root, "--cluster", scheduler.scheduler_address)
    victim, deadline = None, time.monotonic() + 120
    while victim is None and run.poll() is None and time.monotonic() < deadline:
        victim = next((pid for pid in pids.values() if _sandboxes(pid)), None)
        time.sleep(0.05)
    assert victim is not None, "no worker was seen executing a submission"
    sandboxes = _sandboxes(victim)
    os.kill(victim, signal.SIGKILL)
    out, err = run.communicate(timeout=180)
    assert run.returncode == 0, out[-2000:] + err[-2000:]
    assert sandboxes and not any(map(_running, sandboxes))  # they died with their worker
    assert _executions(client)[1] >= 1, "the scheduler lost no task to the killed worker"
    assert gradebook_rows(root) == local_grades


def test_a_worker_without_a_sandbox_is_refused(tmp_path, released_course, cluster, gradebook_rows):
    scheduler, client = cluster
    root = _course(tmp_path / "refused", released_course)
    before = set(client.scheduler_info()["workers"])
    venv_only = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", scheduler.scheduler_address]
        + ["--nthreads", "1", "--no-nanny", "--no-dashboard"],
        env=venv_only,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client.wait_for_workers(3, timeout=30)
        (bare,) = set(client.scheduler_info()["workers"]) - before
        run = _grade(root, "--cluster", scheduler.scheduler_address)
        out, err = run.communicate(timeout=120)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert run.returncode == 3, out[-2000:] + err[-2000:]
    assert "without a sandbox" in err and bare in err and "bwrap" in err
    assert not any(address in err for address in before)  # the good workers are not blamed
    assert _executions(client) == (0, 0)
    assert not (root / "autograded").exists()
    assert not (root / "gradebook.db").exists() or gradebook_rows(root) == []
