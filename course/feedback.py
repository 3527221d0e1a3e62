"""Immediate feedback for students: visible checks, lesson self-checks and explanations.

:func:`check` is the visible half of every graded test cell. It knows the answer's *form*
(:func:`course.scoring.conforms`) and a few *broad* warnings (a fraction where a percentage is
asked, every option selected); it never knows the key, so nothing it says narrows the answer.

:func:`self_check` scores a lesson's practice question from keys kept in the package, not in the
notebook, and explains only once the learner has answered. :func:`explain` does the same for a
graded question, for self-study learners who have the instructor's ``solutions/`` folder.

>>> form = check("growth", 7.2, kind="number")
growth is well formed: a number. It will be scored when your work is graded.
>>> form
{'kind': 'number'}
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from course.scoring import KIND_NAMES, award, conforms, diagnose, matches, resolve, score

__all__ = ["check", "self_check", "explain", "BROAD"]

# The only properties a visible warning may test: broad facts about the value, never a value
# from which the key follows.
BROAD = ("below", "above", "all_options", "one_label")


def check(
    name: str,
    answer: Any,
    kind: str,
    *,
    keys: list[str] | None = None,
    options: list[Any] | None = None,
    size: int | None = None,
    values: str | dict | None = None,
    items: str | None = None,
    hints: list[tuple[dict, str]] | None = None,
) -> dict:
    """Check an answer's form and warn about broad mistakes; never its correctness.

    Args:
        name: the variable's name, for messages.
        answer: its value.
        kind, keys, options, size, values, items: the answer's form, as in
            :func:`course.scoring.conforms`.
        hints: ``(condition, message)`` pairs; each condition uses only the broad properties
            in :data:`BROAD` (e.g. ``{"below": 1}``: "that looks like a fraction").

    Returns:
        The form, for the hidden ``award(answer, form, key)`` that follows.

    Raises:
        AssertionError: the answer breaks its form, with a message saying what to change.

    >>> check("share", 0.54, kind="number", hints=[({"below": 1}, "Give per cent.")])
    share: reconsider: Give per cent.
    share is well formed: a number. It will be scored when your work is graded.
    {'kind': 'number'}
    """
    form = {"kind": kind, "keys": keys, "options": options, "size": size}
    form |= {"values": values, "items": items}
    form = {k: v for k, v in form.items() if v is not None}
    problem = conforms(answer, form)
    if problem:
        raise AssertionError(f"{name}: {problem}.")
    for condition, message in hints or []:
        if set(condition) - set(BROAD):
            raise ValueError(f"visible hints may test only {BROAD}, not {condition}")
        if matches(answer, resolve(condition, form)):
            print(f"{name}: reconsider: {message}")
    print(f"{name} is well formed: {KIND_NAMES[kind]}. It will be scored when your work is graded.")
    return form


def _verdict(share: float) -> str:
    return "Correct." if share == 1 else (f"Partly right ({share:.0%})." if share else "Not quite.")


def _reveal(answer: Any, key: dict, form: dict) -> str:
    problem = conforms(answer, form)
    if problem:
        return f"Check the form of your answer first: it {problem}."
    share = score(answer, key, form)
    lines = [_verdict(share)]
    if share < 1 and (message := diagnose(answer, key, form)):
        lines.append(message)
    lines.append(key["explain"])
    return " ".join(lines)


@cache
def _self_checks() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in sorted((Path(__file__).parent / "lessons").glob("*.checks.json")):
        for check_id, entry in json.loads(path.read_text("utf-8")).items():
            if check_id in found:
                raise ValueError(f"self-check id {check_id!r} appears twice ({path.name})")
            found[check_id] = entry
    return found


def self_check(check_id: str, answer: Any) -> None:
    """A lesson's self-check: score ``answer`` and explain, only once it has been answered.

    The key and explanation live in ``course/lessons/NN-slug.checks.json``, off the screen:
    ``{"form": {...}, "key": {"method": ..., "expected": ..., "explain": ...,
    "misconceptions": [...]}}``.

    >>> self_check("start_who_wrote_001", None)
    Not answered yet: replace None with your answer and run the cell again.
    """
    if answer is None or answer is Ellipsis:
        print("Not answered yet: replace None with your answer and run the cell again.")
        return
    entry = _self_checks().get(check_id)
    if entry is None:
        raise KeyError(f"no self-check called {check_id!r}; run the cell as it was given")
    print(_reveal(answer, {"points": 1, **entry["key"]}, entry["form"]))


def explain(grade_id: str, answer: Any, solutions: Path | str | None = None) -> None:
    """Self-study: score a graded answer and show the source notebook's explanation.

    Needs the instructor's ``solutions/`` folder (in a clone of the course repository it is
    beside ``exercises/``). Shows nothing until the question has been answered in its form.

    Args:
        grade_id: the answer cell's id, which is the answer variable's name.
        answer: your value.
        solutions: the folder of source notebooks; by default the repository's ``solutions/``.
    """
    import nbformat

    from course.grading import GradingError, read_questions

    folder = Path(solutions) if solutions else Path(__file__).resolve().parent.parent / "solutions"
    if not folder.is_dir():
        print(f"No solutions folder at {folder}: explanations come with your graded feedback.")
        return
    if answer is None or answer is Ellipsis:
        print("Not answered yet: answer first, then ask for the explanation.")
        return
    for path in sorted(folder.glob("*/*.ipynb")):
        try:
            questions, _ = read_questions(nbformat.read(path, as_version=4))
        except GradingError:
            continue
        for question in questions:
            if question.answer == grade_id:
                points = award(answer, question.form, question.key)
                reveal = _reveal(answer, question.key, question.form)
                print(f"{points:g} of {question.points:g} points. {reveal}")
                return
    print(f"No graded question {grade_id!r} in {folder}.")
