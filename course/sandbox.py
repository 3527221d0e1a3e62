"""Run one student notebook in a bubblewrap sandbox, with limits.

The sandbox sees only: the system's read-only libraries, the Python installation and the
``course`` package (read-only), a read-only copy of the datasets, and a private folder holding
its own copy of the submission (read-only); it writes only to size-limited in-memory folders.
It has no network (a network namespace of its own: not even the grader's loopback), its own
user, mount, process, IPC and host-name namespaces, no capabilities, and cannot create a user
namespace of its own. It runs with limits on CPU time, address space, processes, open files and
file size; each cell has a time limit, the whole notebook a wall-clock limit, and the output
volume is capped.

Two modes, with the same guarantees:

* As an ordinary user, bwrap makes a user namespace (``--unshare-user --disable-userns``) in
  which the submission runs as an unprivileged user id mapped to the grader's own.
* As root, each parallel job runs as its own unprivileged host user id (``SANDBOX_UID`` plus
  its slot) with ``setpriv``, inside one user namespace that maps every id to itself and allows
  no further user namespace (on a kernel that allows no user namespaces, none is needed).

The process limit is set *inside* the sandbox's user namespace (``prlimit``): since Linux 5.14
processes count per user namespace and user id, so one submission's fork bomb stops at its own
limit and cannot starve the grader or a sandbox running beside it.

>>> Limits().cell_timeout
30
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from course import data

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "Run",
    "SandboxUnavailable",
    "check_sandbox",
    "run_source",
]

EXECUTORS = ("shell", "kernel")  # how the sandbox runs the cells: see course.execute
SANDBOX_UID = 61000  # plus the job slot: the sandbox's user id (as root, its own host user)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission."""

    cell_timeout: int = 30  # seconds of wall time per cell
    notebook_timeout: int = 180  # seconds of wall time for the whole notebook
    cpu_seconds: int = 120  # CPU time per process
    memory_bytes: int = 3 * 1024**3  # address space per process
    processes: int = 256  # processes and threads in the sandbox
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
    # seconds as the runner reported them: startup (sandbox and interpreter), imports, cells,
    # and the CPU time of the whole run
    timings: dict = field(default_factory=dict)


def _bwrap() -> str | None:
    return shutil.which("bwrap")


def _as_root() -> bool:
    return os.geteuid() == 0


def _sysctl(name: str) -> str | None:
    """A kernel setting (``user/max_user_namespaces``), or None if this kernel has none."""
    try:
        return Path("/proc/sys", name).read_text().strip()
    except OSError:
        return None


def check_sandbox() -> None:
    """Raise :class:`SandboxUnavailable`, saying what is wrong and what to do, if no sandbox can
    be made here. Once a trial sandbox has worked, this process does not try one again."""
    bwrap = _bwrap()
    if bwrap is None:
        if sys.platform == "darwin":
            raise SandboxUnavailable(
                "bubblewrap (bwrap) is not installed, and macOS has no Linux namespaces for it: "
                "grade on Linux (a virtual machine will do)"
            )
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: install it (Debian, Ubuntu: sudo apt-get "
            "install bubblewrap; Fedora: sudo dnf install bubblewrap)"
        )
    if not _as_root():  # root needs no user namespace of its own (see _root_namespace)
        if _sysctl("user/max_user_namespaces") == "0":
            raise SandboxUnavailable(
                "user namespaces are disabled (sysctl user.max_user_namespaces = 0): enable them "
                "with sudo sysctl -w user.max_user_namespaces=10000, or run course grade as root"
            )
        if _sysctl("kernel/unprivileged_userns_clone") == "0":
            raise SandboxUnavailable(
                "user namespaces are disabled for ordinary users (sysctl "
                "kernel.unprivileged_userns_clone = 0): enable them with sudo sysctl -w "
                "kernel.unprivileged_userns_clone=1, or run course grade as root"
            )
    _try_sandbox(bwrap)


@functools.cache  # only a success is kept: a failure raises, and is tried again next time
def _try_sandbox(bwrap: str) -> None:
    """Start the sandbox's Python in a sandbox made exactly as :func:`run_source` makes one."""
    runner = [sys.executable, "-I", "-c", "import course.execute, nbclient, ipykernel"]
    try:
        with tempfile.TemporaryDirectory(prefix="course-probe-") as work:
            command, env, fds = _sandboxed(bwrap, Path(work), runner, DEFAULT_LIMITS, 0)
            trial = subprocess.run(
                command,
                env=env,
                pass_fds=fds,
                preexec_fn=_limit(DEFAULT_LIMITS),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
    except subprocess.TimeoutExpired:
        raise SandboxUnavailable(
            "a trial sandbox did not finish within 60 s: try again when the machine is less busy"
        ) from None
    except OSError as error:
        advice = _advice(str(error))
        raise SandboxUnavailable(f"a trial sandbox could not run ({error}): {advice}") from None
    if trial.returncode != 0:
        last = (trial.stderr.strip().splitlines() or [f"exit status {trial.returncode}"])[-1][:300]
        raise SandboxUnavailable(f"a trial sandbox failed ({last}): {_advice(last)}")


def _advice(error: str) -> str:
    """What to do about a trial sandbox's failure, from its last line of errors."""
    if "execvp" in error:  # bwrap: execvp prlimit: No such file or directory
        return "install util-linux, which provides prlimit, setpriv and unshare"
    # bwrap: Can't find source path /root/...: Permission denied, or
    # prlimit: failed to execute /home/u/venv/bin/python: Permission denied
    if "source path" in error or "failed to execute" in error:
        who = "the sandbox's user" if _as_root() else f"user id {os.getuid()}"
        return (
            f"{who} must be able to read the Python installation (e.g. a venv made with "
            "/usr/bin/python3), the course package and the datasets"
            + ("" if _as_root() else ", or run course grade as root")
        )
    if "Error:" in error:  # ModuleNotFoundError: No module named 'nbclient'
        return f"install the course package and its dependencies into {sys.prefix}"
    if _as_root():
        return (
            "bubblewrap cannot make its namespaces here, or unshare (util-linux) could not make "
            "the sandboxes' user namespace: in a container, allow namespaces or grade on the host"
        )
    if _sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1":
        return (
            "AppArmor keeps ordinary users from making user namespaces (sysctl "
            "kernel.apparmor_restrict_unprivileged_userns = 1): load the bwrap-userns-restrict "
            "AppArmor profile, or sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, "
            "or run course grade as root"
        )
    return (
        "bubblewrap cannot make its namespaces here: in a container, allow user namespaces or "
        "grade on the host, or run course grade as root"
    )


@functools.cache
def _root_namespace() -> int | None:
    """As root: a user namespace that maps every id to itself and allows no user namespace in
    it (an open descriptor), or None if none can be made here; bwrap's
    ``--assert-userns-disabled`` then checks that a submission cannot make one either.

    The sandboxes run in it, so that a submission cannot make a user namespace either; as an
    ordinary user, bwrap's ``--disable-userns`` does the same. A helper makes it with unshare;
    once root has written its id maps, the helper starts a new shell, which has root's
    capabilities there, to set the limit.
    """
    # having set the limit, it stays until killed, so that its namespace can be opened
    limit = "echo 0 > /proc/sys/user/max_user_namespaces && echo && read _"
    script = f'echo && read _ && exec sh -c "{limit}"'
    try:
        helper = subprocess.Popen(["unshare", "--user", "sh", "-c", script],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    except OSError:
        return None
    with helper:
        try:
            if helper.stdout.readline():  # it is in its namespace
                for name in ("uid_map", "gid_map"):
                    Path(f"/proc/{helper.pid}/{name}").write_text("0 0 4294967295\n")
                helper.stdin.write("\n")
                helper.stdin.flush()
            if helper.stdout.readline():  # it has set the limit
                return os.open(f"/proc/{helper.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            pass
        finally:
            helper.kill()
    return None


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
    """Limits set before bwrap starts; the process limit is set inside (see :func:`_sandboxed`)."""

    def apply() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


@functools.cache
def _matplotlib_cache() -> Path:
    """A font cache built once on the host, copied into each sandbox (saves seconds each).

    Each grading account has its own, and uses it only if it owns it: another local user could
    otherwise plant a cache that breaks every submission's plots."""
    folder = Path(tempfile.gettempdir()) / f"course-mplcache-{os.geteuid()}"
    try:
        folder.mkdir(mode=0o755, exist_ok=True)
        if folder.is_symlink() or folder.stat().st_uid != os.geteuid():
            raise PermissionError(f"{folder} belongs to another user")
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="course-mplcache-"))
        folder.chmod(0o755)
    if not any(folder.glob("fontlist-*.json")):
        subprocess.run(
            [sys.executable, "-c", "import matplotlib.font_manager"],
            env={**os.environ, "MPLCONFIGDIR": str(folder)},
            check=False,
            capture_output=True,
        )
    return folder


def _environment(home: Path, limits: Limits, executor: str = "shell") -> dict[str, str]:
    return {
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
        "COURSE_EXECUTOR": executor,
    }


def _sandboxed(
    bwrap: str, work: Path, runner: list[str], limits: Limits, slot: int, executor: str = "shell"
) -> tuple[list[str], dict[str, str], list[int]]:
    """The bwrap command that runs ``runner`` in a sandbox that sees ``work`` (read-only), its
    environment, and the descriptors it must inherit."""
    home = Path("/home/sandbox")
    env = _environment(home, limits, executor)
    uid = str(SANDBOX_UID + slot)
    size = str(limits.scratch_bytes)
    command = [
        bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
        "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
        "--size", str(8 * 1024**2), "--tmpfs", "/", "--dev", "/dev", "--proc", "/proc",
        "--size", size, "--perms", "1777", "--tmpfs", "/tmp",
        "--clearenv",
    ]  # fmt: skip
    fds = []
    if _as_root():  # the submission runs as its own host user, in a namespace that allows no other
        namespace = _root_namespace()
        if namespace is not None:
            command += ["--userns", str(namespace)]
            fds.append(namespace)
        command += ["--assert-userns-disabled"]
        user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"]  # fmt: skip
    else:  # the submission runs as an unprivileged user mapped to the grader's own
        command += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL", "--uid", uid,
                    "--gid", uid]  # fmt: skip
        user = []
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
    # Set inside the new user namespace, the process limit counts this sandbox's processes
    # alone; set on bwrap, it would count all of the grader's user's (see the module's notes).
    nproc = f"--nproc={limits.processes}:{limits.processes}"
    command += ["--", *user, "prlimit", nproc, "--", *runner]
    return command, env, fds


def run_source(
    text: str,
    names: list[str],
    slot: int = 0,
    limits: Limits | None = None,
    unsafe: bool = False,
    executor: str = "shell",
) -> Run:
    """Execute the notebook JSON ``text`` and capture the named answers.

    The notebook is written to a fresh private folder (always removed afterwards), which the
    sandbox sees read-only; the sandbox writes only to size-limited in-memory folders of its own,
    and reports through its standard output, which goes to a file that its file-size limit
    bounds. Nothing it does can fill the grader's memory or disk.

    Args:
        text: the notebook to run, as JSON.
        names: answer variables to capture.
        slot: the parallel job's number (as root, selects the sandbox's user id).
        limits: resource limits.
        unsafe: run without a sandbox (only when the instructor asked for it).
        executor: ``shell`` runs the cells in the sandbox's Python, ``kernel`` in a Jupyter
            kernel (see :mod:`course.execute`).

    Returns:
        A :class:`Run`.
    """
    limits = limits or DEFAULT_LIMITS
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, not {executor!r}")
    work = Path(tempfile.mkdtemp(prefix="course-run-"))
    try:
        notebook = work / "submission.ipynb"
        notebook.write_text(text, "utf-8")
        return _run(work, notebook, names, slot, limits, unsafe, executor)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(
    work: Path,
    notebook: Path,
    names: list[str],
    slot: int,
    limits: Limits,
    unsafe: bool,
    executor: str,
) -> Run:
    """Run ``notebook`` (in ``work``) in a sandbox, or unsandboxed if ``unsafe``."""
    runner = [sys.executable, "-I", "-m", "course.execute", str(notebook), *names]
    if unsafe:
        home = work / "home"
        home.mkdir()
        command, env, fds, preexec = runner, _environment(home, limits, executor), [], None
    else:
        # as root, the sandbox's own host user must read its copy; as a user, it is the grader
        if _as_root():
            for path in [work, *work.rglob("*")]:
                os.chown(path, SANDBOX_UID + slot, SANDBOX_UID + slot)
        command, env, fds = _sandboxed(_bwrap(), work, runner, limits, slot, executor)
        preexec = _limit(limits)
    spawned = time.time()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            # no standard input: a notebook must not read the grader's terminal
            subprocess.run(command, env=env, preexec_fn=preexec, pass_fds=fds,
                           stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                           timeout=limits.notebook_timeout, check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            message = f"the notebook ran longer than {limits.notebook_timeout} s"
            return Run("timeout", message, {}, None)
        run = _collect(out, err)
    if "started" in run.timings:
        run.timings["startup"] = run.timings.pop("started") - spawned
    return run


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
    reported = report.get("timings") if isinstance(report.get("timings"), dict) else {}
    timings = {
        key: reported[key]
        for key in ("started", "imports", "cells", "cpu")
        if isinstance(reported.get(key), float)
    }
    return Run(status, str(run.get("message", ""))[:300], captured, notebook, timings)
