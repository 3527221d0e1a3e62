"""The course's table of contents: lesson order and titles live in ``lessons/manifest.json``.

>>> [lesson["slug"] for lesson in lessons()][:2]
['00-start-here', '01-collapse-and-recovery']
"""

from __future__ import annotations

import json
from pathlib import Path

LESSONS_DIR = Path(__file__).resolve().parent / "lessons"

__all__ = ["LESSONS_DIR", "lessons", "lesson_path"]


def lessons() -> list[dict[str, str]]:
    """The lessons in order, each a dict with ``slug`` and ``title``."""
    with open(LESSONS_DIR / "manifest.json", encoding="utf-8") as handle:
        return json.load(handle)["lessons"]


def lesson_path(slug: str) -> Path:
    """The notebook file of a lesson.

    >>> lesson_path("00-start-here").name
    '00-start-here.ipynb'
    """
    known = [lesson["slug"] for lesson in lessons()]
    if slug not in known:
        raise KeyError(f"No lesson {slug!r}; lessons are {known}")
    return LESSONS_DIR / f"{slug}.ipynb"
