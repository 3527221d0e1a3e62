"""Shared fixtures. Tests that need the source texts skip, with the reason, when they are absent;
under CI (``CI=true``) their absence is an error instead, so CI never skips them."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from course import data, sandbox

ROOT = Path(__file__).resolve().parent.parent
# nbgrader runs `alembic` from PATH when it creates a gradebook: put this environment's
# scripts first, whether pytest was started through `make test` or by its full path.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture(scope="session")
def seeds() -> Path:
    folder = data.seeds_dir()
    if folder is None:
        reason = (
            "the source texts (../shared/seeds/ beside the checkout, or $COURSE_SEEDS) are absent, "
            "so quotations cannot be checked against them"
        )
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must have them")
        pytest.skip(reason)
    return folder


@pytest.fixture
def dataset_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of datasets/ that a test may break; the loader reads it instead."""
    copy = tmp_path / "datasets"
    shutil.copytree(ROOT / "datasets", copy)
    monkeypatch.setenv("COURSE_DATASETS", str(copy))
    return copy


@pytest.fixture(scope="session")
def sandbox_ready() -> None:
    """Skip (or, under CI, fail) with the reason when bubblewrap cannot run here."""
    try:
        sandbox.check_sandbox()
    except sandbox.SandboxUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"no sandbox in CI: {error}")
        pytest.skip(f"the sandbox cannot run here: {error}")


# Notebooks under tests/ are fixtures (sample submissions, a tiny course), not tests to run.
collect_ignore_glob = ["submissions/*", "grading/course/*"]
