"""The sandbox itself, through :func:`course.sandbox.run_source` with one-cell notebooks: a fork
bomb stops at its own limit and spares a sandbox beside it; the grader's files, the network,
user namespaces, capabilities and other processes are out of reach; and when no sandbox can be
made, :func:`course.sandbox.check_sandbox` says why and what to do. The same tests pass as root
(each job its own host user) and as an ordinary user (bwrap's own user namespace)."""

from __future__ import annotations

import errno
import os
import shlex
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from course import sandbox

pytestmark = pytest.mark.slow

LIMITS = sandbox.Limits(cell_timeout=20, notebook_timeout=60, cpu_seconds=30, processes=64)


def _run(code: str, slot: int = 0, executor: str = "shell") -> sandbox.Run:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    return sandbox.run_source(nbformat.writes(notebook), ["result"], slot, LIMITS, False, executor)


def _result(run: sandbox.Run):
    assert run.status == "ok" and "value" in run.answers.get("result", {}), run
    return run.answers["result"]["value"]


BOMB = """
import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(20)
            os._exit(0)
        children += 1
except OSError:
    stopped = time.time()
time.sleep(8)  # the sandbox beside this one runs while all these processes exist
result = [children, stopped, time.time()]
"""

BESIDE = """
import subprocess, threading, time
threads = [threading.Thread(target=time.sleep, args=(0.2,)) for _ in range(16)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
result = [subprocess.run(['true']).returncode, time.time()]
"""


def test_a_fork_bomb_stops_at_its_limit_and_spares_a_sandbox_beside_it(sandbox_ready):
    with ThreadPoolExecutor(2) as pool:
        bomb = pool.submit(_run, BOMB, 0)
        time.sleep(3)
        beside = pool.submit(_run, BESIDE, 1)
        children, stopped, ended = _result(bomb.result())
        returncode, ran = _result(beside.result())
    # the sandbox's own threads (runner, kernel) count too
    assert LIMITS.processes // 2 < children < LIMITS.processes
    assert returncode == 0 and stopped < ran < ended


def test_the_graders_files_are_out_of_sight(sandbox_ready, tmp_path, monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text("the answer key", "utf-8")
    monkeypatch.chdir(tmp_path)
    home = Path.home()
    with tempfile.NamedTemporaryFile("w", dir=home, prefix=".course-secret-") as in_home:
        in_home.write("the answer key")
        in_home.flush()
        code = f"""
import os
result = {{'cwd': os.getcwd()}}
for path in {[str(secret), in_home.name, str(tmp_path), str(home)]!r}:
    try:
        result[path] = open(path).read() if os.path.isfile(path) else sorted(os.listdir(path))
    except OSError as error:
        result[path] = type(error).__name__
"""
        seen = _result(_run(code))
    assert seen["cwd"] == "/home/sandbox"
    assert seen[str(secret)] == seen[in_home.name] == seen[str(tmp_path)] == "FileNotFoundError"
    # the home folder is there only if a bound path (the Python installation) lies under it
    assert seen[str(home)] == "FileNotFoundError" or Path(in_home.name).name not in seen[str(home)]


def test_no_network(sandbox_ready):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = f"""
import socket
result = {{'interfaces': [name for _, name in socket.if_nameindex()]}}
for host in ['127.0.0.1', 'localhost', '1.1.1.1']:
    try:
        socket.create_connection((host, {port}), timeout=2).close()
        result[host] = 'connected'
    except OSError as error:
        result[host] = type(error).__name__
"""
        seen = _result(_run(code))
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()
    assert seen.pop("interfaces") == ["lo"]
    assert "connected" not in seen.values(), seen


def test_no_user_namespace_and_no_capabilities(sandbox_ready):
    # unshare() fails in any multithreaded process, such as the kernel: ask a fresh one
    code = r"""
import os, subprocess, sys
probe = '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(libc.unshare(0x10000000), ctypes.get_errno())  # CLONE_NEWUSER
print(open('/proc/self/status').read())
'''
unshared, *status = subprocess.run([sys.executable, '-c', probe], capture_output=True,
                                   text=True).stdout.splitlines()
status += open('/proc/self/status').read().splitlines()
result = {'unshare': unshared.split(), 'uid': os.getuid(),
          'capabilities': [line for line in status if line.startswith(('CapEff', 'CapPrm'))]}
"""
    seen = _result(_run(code))
    returned, error = map(int, seen["unshare"])
    assert returned == -1 and error in (errno.EPERM, errno.EACCES, errno.ENOSPC), seen
    assert len(seen["capabilities"]) == 4
    assert all(int(line.split()[1], 16) == 0 for line in seen["capabilities"]), seen
    assert seen["uid"] == sandbox.SANDBOX_UID


# in a kernel, the runner that started it dies; run in the runner itself, there is no one else
@pytest.mark.parametrize("executor, status", [("shell", "ok"), ("kernel", "crash")])
def test_killing_every_process_it_may_spares_the_grader_and_the_rest(
    sandbox_ready, monkeypatch, executor, status
):
    made = []
    mkdtemp = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda **how: made.append(mkdtemp(**how)) or made[-1])
    # a process of the sandbox's own host user (as root) or of the grader's user
    user = {"user": sandbox.SANDBOX_UID} if os.geteuid() == 0 else {}
    with subprocess.Popen(["sleep", "60"], **user) as neighbour:
        run = _run("import os, signal\nos.kill(-1, signal.SIGKILL)\nresult = 1", 0, executor)
        alive = neighbour.poll() is None
        neighbour.kill()
    assert alive
    assert run.status == status, run
    assert made and not any(Path(folder).exists() for folder in made)  # run_source cleaned up


LURKER = """
import os, subprocess, time
open('/tmp/left-by-a', 'w').write('a was here')
open(os.path.expanduser('~/left-by-a'), 'w').write('a was here')
if os.fork() == 0:  # a daemon that would watch the next submission
    os.setsid()
    subprocess.Popen(['sleep', '123.25'], start_new_session=True)
    os._exit(0)
time.sleep(1)
result = sorted(os.listdir('/proc'))
"""

SNOOP = """
import os, time
time.sleep(0.5)
seen = {'files': sorted(os.listdir('/tmp')) + sorted(os.listdir(os.path.expanduser('~'))),
        'processes': [open(f'/proc/{p}/cmdline').read() for p in os.listdir('/proc') if p.isdigit()]}
result = seen
"""


def _lurking() -> list[str]:
    found = subprocess.run(["pgrep", "-f", "sleep 123.25"], capture_output=True, text=True)
    return found.stdout.split()


def test_two_submissions_at_once_cannot_see_each_other_and_leave_nothing_behind(
    sandbox_ready,
):
    """Each submission has its own files, processes and lifetime: one run beside another, or
    after it in the same job slot, sees none of the other's, and nothing it starts outlives it."""
    with ThreadPoolExecutor(2) as pool:
        lurker, snoop = pool.submit(_run, LURKER, 0), pool.submit(_run, SNOOP, 1)
        beside = _result(snoop.result())
        lurker.result()
    after = _result(_run(SNOOP, 0))  # the next submission in the slot the lurker used
    for seen in (beside, after):
        assert not [name for name in seen["files"] if "left-by" in name], seen
        assert not [cmd for cmd in seen["processes"] if "123.25" in cmd], seen
    assert _lurking() == []  # its daemon died with its sandbox


def test_a_submission_cannot_read_the_graders_terminal(sandbox_ready):
    """Its standard input is empty, so input() ends at once instead of reading what the grader
    types (here: a pipe holding a line, standing in for the grader's terminal)."""
    code = "try:\n    result = input()\nexcept EOFError:\n    result = 'nothing to read'"
    typed, typing = os.pipe()
    os.write(typing, b"typed by the grader\n")
    saved = os.dup(0)
    os.dup2(typed, 0)
    try:
        run = _run(code)
    finally:
        os.dup2(saved, 0)
        for fd in (saved, typed, typing):
            os.close(fd)
    assert _result(run) == "nothing to read"


def test_a_working_sandbox_is_tried_once(sandbox_ready, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tried again")

    monkeypatch.setattr(subprocess, "run", refuse)
    sandbox.check_sandbox()


def _unavailable() -> str:
    with pytest.raises(sandbox.SandboxUnavailable) as error:
        sandbox.check_sandbox()
    message = str(error.value)
    assert "\n" not in message
    return message


def test_missing_bubblewrap_is_named_with_how_to_install_it(monkeypatch):
    monkeypatch.setattr(sandbox, "_bwrap", lambda: None)
    message = _unavailable()
    assert message.startswith("bubblewrap (bwrap) is not installed")
    assert "apt-get install bubblewrap" in message and "dnf install bubblewrap" in message
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    assert "macOS has no Linux namespaces for it: grade on Linux" in _unavailable()


@pytest.mark.parametrize(
    "setting, fix",
    [
        ("user/max_user_namespaces", "sudo sysctl -w user.max_user_namespaces=10000"),
        ("kernel/unprivileged_userns_clone", "sudo sysctl -w kernel.unprivileged_userns_clone=1"),
    ],
)
def test_disabled_user_namespaces_are_named_with_the_setting_to_change(monkeypatch, setting, fix):
    monkeypatch.setattr(sandbox, "_as_root", lambda: False)
    monkeypatch.setattr(sandbox, "_sysctl", {setting: "0"}.get)
    message = _unavailable()
    assert fix in message and "or run course grade as root" in message


@pytest.mark.parametrize(
    "said, settings, advice",
    [
        (
            "bwrap: setting up uid map: Permission denied",
            {"kernel/apparmor_restrict_unprivileged_userns": "1"},
            "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or run course grade as root",
        ),
        ("bwrap: execvp prlimit: No such file or directory", {}, "install util-linux"),
        (
            "bwrap: Can't find source path /root/.pyenv/versions/3.11.7: Permission denied",
            {},
            f"user id {os.getuid()} must be able to read the Python installation",
        ),
        ("ModuleNotFoundError: No module named 'nbclient'", {}, "install the course package"),
    ],
)
def test_a_failed_trial_sandbox_is_explained(monkeypatch, tmp_path, said, settings, advice):
    fake = tmp_path / "bwrap"
    fake.write_text(f"#!/bin/sh\necho {shlex.quote(said)} >&2\nexit 1\n", "utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(sandbox, "_bwrap", lambda: str(fake))
    monkeypatch.setattr(sandbox, "_as_root", lambda: False)
    monkeypatch.setattr(sandbox, "_sysctl", settings.get)
    message = _unavailable()
    assert f"a trial sandbox failed ({said}): " in message and advice in message
