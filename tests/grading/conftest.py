"""Shared set-up for the `course grade` tests: a working sandbox and a released tiny course."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def released_course():
    """A function that copies the tiny course (assignment t1) to a folder and releases it."""

    def release(root: Path) -> Path:
        shutil.copytree(HERE / "course", root, dirs_exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", "t1", "--force"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        return root

    return release
