"""House style: ruff finds nothing to fix in the package, the lessons or the tests, and every
lesson follows the skeleton and is committed without outputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.manifest import LESSONS_DIR, lessons

ROOT = Path(__file__).resolve().parent.parent
SKELETON = [
    "## Overview",
    "## Prerequisites",
    "## The sources",
    "## Key points",
    "## What's next",
    "## References",
]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_is_clean(command):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    result = subprocess.run(
        [ruff, *command, "course", "tests"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_manifest_lists_exactly_the_lesson_files():
    on_disk = sorted(p.stem for p in LESSONS_DIR.glob("*.ipynb"))
    assert [lesson["slug"] for lesson in lessons()] == on_disk


@pytest.mark.parametrize("slug", [lesson["slug"] for lesson in lessons()])
def test_lesson_follows_the_skeleton_without_outputs(slug):
    notebook = json.loads((LESSONS_DIR / f"{slug}.ipynb").read_text("utf-8"))
    markdown = "\n".join(
        "".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"
    )
    titles = [line for line in markdown.splitlines() if line.startswith("# ")]
    assert len(titles) == 1, titles
    positions = [markdown.find(heading) for heading in SKELETON]
    assert -1 not in positions and positions == sorted(positions), dict(
        zip(SKELETON, positions, strict=True)
    )
    assert "Run this cell, no changes needed" in markdown
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert "self_check(" in "".join("".join(c["source"]) for c in code)
