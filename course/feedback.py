"""Immediate feedback for students: the visible half of every exercise's test cell.

:func:`check` knows the *form* an answer must take and the *misconceptions* an author foresaw;
it never knows the right answer, so it can run in the student's copy without giving it away.
It fails (``AssertionError``) with a message that says what to reconsider, or prints that the
answer is well formed and will be scored at grading.

>>> check("growth", 7.2, kind="number")
growth is well formed: a number. It will be scored when your work is graded.
"""

from __future__ import annotations

from typing import Any

from course.scoring import AnswerTypeError, normalise, plain

__all__ = ["check", "self_check"]

_KINDS = {
    "text": (str,),
    "number": (int, float),
    "list": (list, tuple),
    "dict": (dict,),
    "bool": (bool,),
}
_NAMES = {
    "text": "a string in quotes",
    "number": "a number",
    "list": "a list in [brackets]",
    "dict": "a dict in {braces}",
    "bool": "True or False",
}


def _matches(answer: Any, wrong: Any) -> bool:
    if isinstance(wrong, int | float) and not isinstance(wrong, bool):
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            return False
        return abs(answer - wrong) <= max(abs(wrong) * 0.01, 1e-9)
    if isinstance(wrong, list) and isinstance(answer, list):
        return sorted(map(normalise, answer)) == sorted(map(normalise, wrong))
    return isinstance(answer, str) and normalise(answer) == normalise(wrong)


def check(
    name: str,
    answer: Any,
    kind: str,
    *,
    keys: list[str] | None = None,
    options: list[Any] | None = None,
    size: int | None = None,
    hints: list[tuple[Any, str]] | None = None,
) -> None:
    """Check an answer's form and known misconceptions; never its correctness.

    Args:
        name: the variable's name, for messages.
        answer: its value.
        kind: ``"text"``, ``"number"``, ``"list"``, ``"dict"`` or ``"bool"``.
        keys: for dicts, the keys it must have (no more, no fewer).
        options: the values allowed (for a text answer, each list item or each dict value).
        size: for lists, how many items it must have.
        hints: ``(wrong_value, message)`` pairs for foreseeable mistakes.

    Raises:
        AssertionError: with a message saying what to reconsider.

    >>> check("year", 23600, kind="number", hints=[(23600, "That is February's figure.")])
    Traceback (most recent call last):
    ...
    AssertionError: year: That is February's figure.
    """
    if answer is None or answer is Ellipsis:
        raise AssertionError(f"{name}: not answered yet. Replace None with your answer.")
    try:
        value = plain(answer, name)
    except AnswerTypeError as error:
        raise AssertionError(f"{error}. Write the value itself, not an object.") from None
    if not isinstance(answer, _KINDS[kind]) or (kind == "number" and isinstance(answer, bool)):
        raise AssertionError(
            f"{name} should be {_NAMES[kind]}, but it is a {type(answer).__name__}."
        )
    if keys is not None:
        missing = [k for k in keys if normalise(k) not in {normalise(g) for g in value}]
        extra = [g for g in value if normalise(g) not in {normalise(k) for k in keys}]
        if missing or extra:
            raise AssertionError(
                f"{name} needs exactly the keys {keys}; missing {missing}, unexpected {extra}."
            )
    if size is not None and len(value) != size:
        raise AssertionError(f"{name} should have {size} items; it has {len(value)}.")
    if options is not None:
        items = (
            value.values()
            if isinstance(value, dict)
            else (value if isinstance(value, list) else [value])
        )
        allowed = {normalise(o) for o in options}
        unknown = [item for item in items if normalise(item) not in allowed]
        if unknown:
            raise AssertionError(f"{name}: {unknown} not among the allowed values {options}.")
    for wrong, message in hints or []:
        if _matches(value, wrong):
            raise AssertionError(f"{name}: {message}")
    print(f"{name} is well formed: {_NAMES[kind]}. It will be scored when your work is graded.")


def self_check(answer: Any, key: dict, explanation: str) -> None:
    """A lesson's self-check: score ``answer`` at once and explain, whether right or wrong.

    Lessons are not graded, so this may show the reasoning (the graded exercises never do).

    Args:
        answer: the learner's value.
        key: a scoring key, as in :func:`course.scoring.score`.
        explanation: why the right answer is right; shown after any attempt.

    >>> self_check(2, {"method": "number", "expected": 2}, "Two sources agree.")
    Correct. Two sources agree.
    """
    from course.scoring import score

    if answer is None or answer is Ellipsis:
        print("Not answered yet: replace None with your answer and run the cell again.")
        return
    share = score(answer, key)
    verdict = (
        "Correct."
        if share == 1
        else (f"Partly right ({share:.0%})." if share > 0 else "Not quite.")
    )
    print(f"{verdict} {explanation}")
