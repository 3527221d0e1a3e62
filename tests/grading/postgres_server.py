"""A throwaway PostgreSQL server for the gradebook tests: private, local, gone afterwards.

:func:`server` runs ``initdb`` into a temporary folder and starts ``postgres`` listening on a
Unix socket in that folder only (no TCP port), with password-less ("trust") access for the
superuser ``postgres``; :meth:`Server.database` creates a database on it and returns its
SQLAlchemy URL. PostgreSQL refuses to run as root: under root the server runs as the
``postgres`` system user (the Debian package creates it), which owns the folder.

:func:`unavailable` says why no server can run here (``None`` when one can), so that a test
can skip, or under CI fail, with the reason and the fix.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from glob import glob
from pathlib import Path

__all__ = ["Server", "binaries", "server", "unavailable"]

SUPERUSER = "postgres"  # the role in every URL; trust authentication, socket in a private folder
PORT = 5432  # only names the socket file (.s.PGSQL.5432): nothing listens on TCP
TOOLS = ("initdb", "pg_ctl", "postgres")
INSTALL = "install the server with `apt-get install postgresql` (Debian, Ubuntu)"


def binaries() -> Path | None:
    """The folder of the newest PostgreSQL server binaries: /usr/lib/postgresql/*/bin, or PATH.

    >>> folder = binaries()
    >>> folder is None or (folder / "initdb").is_file()
    True
    """

    def version(folder: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", Path(folder).parent.name))

    found = [
        Path(folder)
        for folder in glob("/usr/lib/postgresql/*/bin")
        if all(os.access(Path(folder) / tool, os.X_OK) for tool in TOOLS)
    ]
    if found:
        return max(found, key=lambda folder: version(str(folder)))
    on_path = [shutil.which(tool) for tool in TOOLS]
    if all(on_path) and len({Path(p).resolve().parent for p in on_path}) == 1:
        return Path(on_path[0]).resolve().parent
    return None


def _server_user() -> str | None:
    """Whom the server runs as: the ``postgres`` user under root, else ``None`` (this user)."""
    return SUPERUSER if os.geteuid() == 0 else None


def unavailable() -> str | None:
    """Why a PostgreSQL server cannot be started here, with the fix; ``None`` if it can."""
    try:
        import psycopg2  # noqa: F401 - SQLAlchemy's PostgreSQL driver, as the course uses it
    except ImportError:
        return (
            "psycopg2 (the PostgreSQL driver) is not installed in this environment; "
            "install it with `pip install -e '.[postgres]'`"
        )
    if binaries() is None:
        return (
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) in "
            f"/usr/lib/postgresql/*/bin or on PATH; {INSTALL}"
        )
    user = _server_user()
    if user is not None:
        import pwd

        try:
            pwd.getpwnam(user)
        except KeyError:
            return (
                f"running as root, and PostgreSQL refuses to run as root, but there is no "
                f"`{user}` system user to run it as; {INSTALL}, which creates that user"
            )
        if not (shutil.which("runuser") or shutil.which("setpriv")):
            return "running as root, and neither runuser nor setpriv is here to drop to postgres"
    return None


def _as_server_user(command: list[str]) -> list[str]:
    user = _server_user()
    if user is None:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *command]
    import pwd

    entry = pwd.getpwnam(user)
    return [
        "setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
        *command,
    ]  # fmt: skip


@dataclass
class Server:
    """A running server: its folder, socket folder and binaries."""

    folder: Path
    socket_dir: Path
    bin: Path

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = SUPERUSER) -> str:
        """The SQLAlchemy URL of ``database`` on this server (through its Unix socket)."""
        return f"postgresql+psycopg2://{SUPERUSER}@/{database}?host={self.socket_dir}&port={PORT}"

    def database(self, name: str) -> str:
        """Create the (empty) database ``name`` and return its SQLAlchemy URL."""
        import psycopg2
        from psycopg2 import sql

        connection = psycopg2.connect(
            dbname="postgres", user=SUPERUSER, host=str(self.socket_dir), port=PORT
        )
        try:
            connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            connection.close()
        return self.url(name)

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run([str(self.bin / "pg_ctl"), "-D", str(self.data_dir), *args], self.folder, check)


def _run(command: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool as the server's user; a failure raises with the tool's output."""
    done = subprocess.run(
        _as_server_user(command),
        cwd=cwd,  # the server's user may not be able to enter the current folder
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and done.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done


def _private_folder() -> Path:
    """A new temporary folder; in /tmp if the default is too deep for a socket path (107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="course-pg-"))
    if len(str(folder / "socket" / f".s.PGSQL.{PORT}.lock")) > 100:
        folder.rmdir()
        folder = Path(tempfile.mkdtemp(prefix="course-pg-", dir="/tmp"))
    user = _server_user()
    if user is not None:
        shutil.chown(folder, user, user)  # root reaches it anyway; postgres must own it
    return folder


@contextmanager
def server() -> Iterator[Server]:
    """Start a private PostgreSQL server; stop it and delete its folder on leaving.

    Raises:
        RuntimeError: ``initdb`` or ``pg_ctl start`` failed (with their output and the log).
    """
    reason = unavailable()
    if reason:
        raise RuntimeError(reason)
    folder = _private_folder()
    running = Server(folder, folder / "socket", binaries())
    started = False
    try:
        running.socket_dir.mkdir(mode=0o700)
        if _server_user() is not None:
            shutil.chown(running.socket_dir, _server_user(), _server_user())
        _run(
            [
                str(running.bin / "initdb"), "-D", str(running.data_dir), "-U", SUPERUSER,
                "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
            ],
            folder,
        )  # fmt: skip
        options = " ".join(
            [
                "-c", "listen_addresses=''", "-k", shlex.quote(str(running.socket_dir)),
                "-p", str(PORT), "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
            ]
        )  # fmt: skip
        started = True  # from here, a half-started server is stopped too
        start = running.pg_ctl(
            "start", "-w", "-t", "60", "-l", str(running.log), "-o", options, check=False
        )
        if start.returncode != 0:
            log = running.log.read_text("utf-8", "replace") if running.log.exists() else ""
            raise RuntimeError(
                f"pg_ctl start exited {start.returncode}:\n{start.stdout}{start.stderr}\n"
                f"server log:\n{log[-3000:]}"
            )
        yield running
    finally:
        if started and (running.data_dir / "postmaster.pid").exists():
            stop = running.pg_ctl("stop", "-w", "-t", "30", "-m", "fast", check=False)
            if stop.returncode != 0:
                running.pg_ctl("stop", "-w", "-t", "30", "-m", "immediate", check=False)
        shutil.rmtree(folder, ignore_errors=True)
