"""`course grade --cluster ADDRESS`: the sandboxed executions run on a Dask cluster's workers.

Only the executions move: the keys, the scoring and the gradebook stay in the instructor's
process, which sends each worker an assembled notebook (no hidden tests) and gets back the
untrusted answers, exactly as from a local sandbox (:class:`course.grading.LocalRunner`).

Each worker needs:

- the ``course`` package at the instructor's version (``pip install course==VERSION``, with
  its datasets) and ``distributed``, in the Python environment the worker runs;
- bubblewrap (``bwrap``) and util-linux (``prlimit``, ``setpriv``, ``unshare``) on its PATH;
- to run as root, or as an ordinary user on a kernel (and in a container) that lets bubblewrap
  make user namespaces: whatever :func:`course.sandbox.check_sandbox` needs there.

``course grade`` checks every worker first, and refuses to start if one cannot make a sandbox
or has another version of ``course``; a worker is never used unsandboxed.

Any scheduler address works: ``dask scheduler`` and ``dask worker tcp://HOST:8786`` by hand,
an HPC job queue (dask-jobqueue) or Kubernetes (dask-kubernetes): pass ``tcp://HOST:8786``
(``tls://`` with Dask's TLS configuration). On JupyterHub with Dask Gateway, create the
cluster with an image that has the above, scale it, and pass its ``scheduler_address``
(``gateway://HOST:PORT/NAME``); ``dask-gateway`` must be installed where ``course grade``
runs, which reads the gateway's address and credentials from the Dask configuration that
JupyterHub sets (as ``dask_gateway.Gateway()`` does)::

    cluster = dask_gateway.Gateway().new_cluster(shutdown_on_close=False)
    cluster.scale(8)
    print(cluster.scheduler_address)  # course grade t1 --cluster gateway://...

A worker that dies mid-task has its task run again on another worker (at most
``distributed.scheduler.allowed-failures`` times); a task that still fails is that student's
failure (nothing recorded, "run again with --student"), never the end of the batch. Sandbox
user ids are 1000 slots above the local ones, so a local ``course grade`` and a worker on
the same host never share one.

>>> SLOT_OFFSET
1000
"""

from __future__ import annotations

import fcntl
import itertools
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from course import sandbox
from course.gradebook import GradingError
from course.grading import failed_run, first_line

if TYPE_CHECKING:
    from course.grading import Job

__all__ = ["ClusterRunner", "execute"]

SLOT_OFFSET = 1000  # worker slots start here; a local `course grade` uses 0 .. jobs - 1
CONNECT_SECONDS = 10  # to reach the scheduler
WORKER_SECONDS = 30  # for a first worker to join it
_sandbox_checked = False  # in this worker process


def _version() -> str:
    import importlib.metadata

    import course

    try:
        return getattr(course, "__version__", None) or importlib.metadata.version("course")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@contextmanager
def _slot() -> Iterator[int]:
    """A slot number no other execution on this host holds: its lock file is held (flock).

    Threads of one worker, and worker processes sharing the host, get distinct slots; a lock
    is freed when its holder exits, even by SIGKILL.
    """
    folder = Path(tempfile.gettempdir(), f"course-cluster-slots-{os.geteuid()}")
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.is_symlink() or folder.stat().st_uid != os.geteuid():
        raise RuntimeError(f"{folder} belongs to another user: remove it")
    for slot in itertools.count(SLOT_OFFSET):
        lock = open(folder / f"{slot}.lock", "a")  # held until the run is over
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        try:
            yield slot
        finally:
            lock.close()
        return


def execute(
    text: str, names: list[str], limits: sandbox.Limits, unsafe: bool, executor: str = "shell"
) -> sandbox.Run:
    """On a worker: run one assembled notebook in a sandbox and return what came back.

    Raises :class:`course.sandbox.SandboxUnavailable` (never runs it unsandboxed) unless
    ``unsafe``; the sandbox is checked once per worker process.
    """
    global _sandbox_checked
    if not unsafe and not _sandbox_checked:
        sandbox.check_sandbox()
        _sandbox_checked = True
    with _slot() as slot:
        return sandbox.run_source(text, names, slot, limits, unsafe, executor)


def _probe(unsafe: bool) -> dict:
    """On a worker: its host, its ``course`` version, why it cannot make a sandbox (or None)."""
    problem = None
    if not unsafe:
        try:
            sandbox.check_sandbox()
        except Exception as error:  # any reason is a reason not to use this worker
            problem = first_line(error)
    return {"host": socket.gethostname(), "version": _version(), "sandbox": problem}


class ClusterRunner:
    """Executes jobs on the workers of the Dask scheduler at ``address``."""

    def __init__(
        self, address: str, limits: sandbox.Limits, unsafe: bool, executor: str = "shell"
    ) -> None:
        self.address, self.limits, self.unsafe, self.executor = address, limits, unsafe, executor
        self.client = None

    def _connect(self):
        from distributed import Client
        from distributed.comm import resolve_address

        security = None
        if self.address.startswith("gateway://"):
            from dask_gateway import Gateway  # also lets distributed speak gateway://

            with Gateway() as gateway:
                security = gateway.get_cluster(self.address.rstrip("/").split("/")[-1]).security
        resolve_address(self.address)  # a bad address fails here: a half-made Client hangs on exit
        return Client(
            self.address, security=security, timeout=CONNECT_SECONDS, set_as_default=False
        )

    def check(self) -> None:
        """Connect, and refuse workers that cannot grade (see the module's docstring).

        Raises:
            GradingError: no scheduler, no worker, or a worker without this ``course``.
            SandboxUnavailable: a worker cannot make a sandbox (and ``unsafe`` not given).
        """
        try:
            self.client = self._connect()
        except ImportError as error:
            package = "dask-gateway" if error.name == "dask_gateway" else "'course[cluster]'"
            raise GradingError(
                f"--cluster {self.address} needs {package} installed here: pip install {package}"
            ) from None
        except Exception as error:  # any failure to connect is the address's or the network's
            raise GradingError(
                f"cannot reach the Dask scheduler at {self.address}: {first_line(error)}; "
                "check that it is running and that this address reaches it from here"
            ) from None
        try:
            self.client.wait_for_workers(1, timeout=WORKER_SECONDS)
        except TimeoutError:
            raise GradingError(
                f"no worker joined the Dask scheduler at {self.address} in {WORKER_SECONDS} s; "
                f"start some (dask worker {self.address}) or scale the cluster, then run again"
            ) from None
        reports = self.client.run(_probe, self.unsafe, on_error="return")
        mine, unfit, sandboxless = _version(), [], []
        for worker, report in sorted(reports.items()):
            if isinstance(report, BaseException):
                unfit.append(f"the check failed on {worker} ({first_line(report)})")
            elif report.get("version") != mine:
                unfit.append(f"{worker} on {report.get('host')} has course {report.get('version')}")
            elif report.get("sandbox"):
                sandboxless.append(f"{worker} on {report['host']}: {report['sandbox']}")
        if unfit:
            raise GradingError(
                f"{len(unfit)} of {len(reports)} Dask workers cannot grade with course {mine}: "
                f"{'; '.join(unfit)}; install course {mine} on every worker, or stop these"
            )
        if sandboxless:
            raise sandbox.SandboxUnavailable(
                f"{len(sandboxless)} of {len(reports)} Dask workers cannot make a sandbox, "
                f"so none was used: {' | '.join(sandboxless)} (fix or stop these workers)"
            )

    def run(self, work: list[Job]) -> Iterator[tuple[Job, sandbox.Run]]:
        """Each job with its run, in the order they finish."""
        from distributed import as_completed

        futures = {
            self.client.submit(
                execute,
                job.text,
                list(job.names),
                self.limits,
                self.unsafe,
                self.executor,
                pure=False,
            ): job
            for job in work
        }
        try:
            for future in as_completed(list(futures), loop=self.client.loop):
                job = futures.pop(future)
                try:
                    run = future.result()
                except Exception as error:  # KilledWorker after the retries, or the task's own
                    run = failed_run(job, error)
                yield job, run
        finally:
            if futures:
                self.client.cancel(list(futures))

    def close(self) -> None:
        """Close the connection (the cluster and its workers keep running)."""
        if self.client is not None:
            self.client.close()
            self.client = None
