"""Run one student notebook in a bubblewrap sandbox, with limits.

The sandbox sees only: the system's read-only libraries, the Python installation and the
``course`` package (read-only), a read-only copy of the datasets, and a private writable
folder holding its own copy of the submission. It has no network (a network namespace of its
own: not even the grader's loopback), its own process and IPC namespaces, and runs as an
unprivileged user id with limits on CPU time, address space, processes, open files and file
size; each cell has a time limit, the whole notebook a wall-clock limit, and the output volume
is capped.

>>> Limits().cell_timeout
30
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from course import data

__all__ = ["Limits", "Run", "SandboxUnavailable", "check_sandbox", "run_notebook"]

SANDBOX_UID = 61000  # plus the job slot: each parallel job has its own unprivileged user


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission."""

    cell_timeout: int = 30  # seconds of wall time per cell
    notebook_timeout: int = 180  # seconds of wall time for the whole notebook
    cpu_seconds: int = 120  # CPU time per process
    memory_bytes: int = 3 * 1024**3  # address space per process
    processes: int = 256  # processes and threads of the sandbox user
    file_bytes: int = 64 * 1024**2  # largest file it may write
    open_files: int = 512
    output_bytes: int = 1_000_000  # total cell output kept
    scratch_bytes: int = 256 * 1024**2  # each in-memory writable folder (home, /tmp)


DEFAULT_LIMITS = Limits()


@dataclass
class Run:
    """What came back from one sandboxed execution (all of it untrusted data)."""

    status: str  # ok, timeout, crash
    message: str
    answers: dict
    notebook: str | None  # the executed notebook as JSON text, if it came back


def _bwrap() -> str | None:
    return shutil.which("bwrap")


def check_sandbox() -> None:
    """Raise :class:`SandboxUnavailable` with the reason if the sandbox cannot run here."""
    bwrap = _bwrap()
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; on Debian: apt-get install bubblewrap"
        )
    if os.geteuid() != 0:
        raise SandboxUnavailable(
            "course grade must run as root to give each sandbox its own unprivileged user id "
            "(process limits do not bind root, and setuid needs root)"
        )
    probe = subprocess.run(
        [
            bwrap,
            "--ro-bind",
            "/",
            "/",
            "--unshare-net",
            "--unshare-pid",
            "--unshare-ipc",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--",
            "/bin/true",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot create namespaces here: {probe.stderr.strip()}"
        )
    if not shutil.which("setpriv"):
        raise SandboxUnavailable("setpriv (util-linux) is missing")


def _read_only_paths() -> list[str]:
    """Host paths the sandbox needs, read-only: system, Python, the course package, data."""
    package = Path(__file__).resolve().parent
    paths = {
        "/usr",
        "/etc/alternatives",
        "/etc/ssl",
        "/etc/localtime",
        sys.prefix,
        sys.base_prefix,
        str(package),
    }
    for link in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
        if os.path.exists(link):
            paths.add(link)
    return sorted(p for p in paths if os.path.exists(p))


def _limit(limits: Limits):
    def apply() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _matplotlib_cache() -> Path:
    """A font cache built once on the host, copied into each sandbox (saves seconds each)."""
    folder = Path(tempfile.gettempdir()) / "course-mplcache"
    if not any(folder.glob("fontlist-*.json")):
        folder.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "-c", "import matplotlib.font_manager"],
            env={**os.environ, "MPLCONFIGDIR": str(folder)},
            check=False,
            capture_output=True,
        )
    return folder


def run_notebook(
    notebook: Path,
    names: list[str],
    slot: int = 0,
    limits: Limits | None = None,
    unsafe: bool = False,
) -> Run:
    """Execute ``notebook`` and capture the named answers.

    The notebook's folder is mounted read-only; the sandbox writes only to size-limited
    in-memory folders of its own, and reports through its standard output, which goes to a file
    that its file-size limit bounds. Nothing it does can fill the grader's memory or disk.

    Args:
        notebook: the notebook to run, alone in a private folder.
        names: answer variables to capture.
        slot: the parallel job's number (selects the sandbox's user id).
        limits: resource limits.
        unsafe: run without a sandbox (only when the instructor asked for it).

    Returns:
        A :class:`Run`.
    """
    limits = limits or DEFAULT_LIMITS
    work = notebook.parent
    home = Path("/home/sandbox") if not unsafe else work / "home"
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "COURSE_DATASETS": str(data.datasets_dir()),
        "COURSE_SEEDS": "/nonexistent",
        "COURSE_MPL_CACHE": str(_matplotlib_cache()),
        "MPLCONFIGDIR": str(home / ".mpl"),
        "MPLBACKEND": "Agg",
        "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_RUNTIME_DIR": str(home / ".runtime"),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".jupyter-data"),
        "PYTHONWARNINGS": "ignore",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "COURSE_CELL_TIMEOUT": str(limits.cell_timeout),
        "COURSE_OUTPUT_LIMIT": str(limits.output_bytes),
    }
    runner = [sys.executable, "-I", "-m", "course.execute", str(notebook), *names]
    if unsafe:
        home.mkdir()
        command, preexec = runner, None
    else:
        uid = SANDBOX_UID + slot
        for path in [work, *work.rglob("*")]:
            os.chown(path, uid, uid)
        size = str(limits.scratch_bytes)
        command = [
            _bwrap(), "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
            "--size", str(8 * 1024**2), "--tmpfs", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", size, "--perms", "1777", "--tmpfs", "/tmp",
            "--clearenv",
        ]  # fmt: skip
        read_only = [*_read_only_paths(), str(data.datasets_dir()), env["COURSE_MPL_CACHE"],
                     str(work)]  # fmt: skip
        # bwrap would create the folders above each mount point readable by root alone
        parents = {str(p) for path in [*read_only, str(home)] for p in Path(path).parents}
        for parent in sorted(parents - {"/", "/tmp"}, key=lambda p: p.count("/")):
            command += ["--perms", "0755", "--dir", parent]
        for path in read_only:
            command += ["--ro-bind", path, path]
        command += ["--size", size, "--perms", "1777", "--tmpfs", str(home), "--chdir", str(home)]
        for key, value in env.items():
            command += ["--setenv", key, value]
        command += [
            "--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", *runner,
        ]  # fmt: skip
        preexec = _limit(limits)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            subprocess.run(command, env=env, preexec_fn=preexec, stdout=out, stderr=err,
                           timeout=limits.notebook_timeout, check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            message = f"the notebook ran longer than {limits.notebook_timeout} s"
            return Run("timeout", message, {}, None)
        return _collect(out, err)


def _collect(out, err) -> Run:
    """Read the sandbox's report from its standard output, trusting none of it."""
    from course.execute import REPORT

    out.seek(0)
    lines = [line for line in out.read().split(b"\n") if line.startswith(REPORT.encode())]
    try:
        if not lines:
            raise ValueError("the runner printed no report")
        report = json.loads(lines[-1][len(REPORT) :].decode("utf-8"))
        run, captured, notebook = report["run"], report["answers"], report["notebook"]
        if not (isinstance(run, dict) and isinstance(captured, dict)
                and isinstance(notebook, str | None)):  # fmt: skip
            raise ValueError("the report has the wrong shape")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return Run("crash", f"no answers came back ({error}); {tail[0][:200]}", {}, None)
    status = run.get("status") if run.get("status") in ("ok", "timeout", "crash") else "crash"
    return Run(status, str(run.get("message", ""))[:300], captured, notebook)
