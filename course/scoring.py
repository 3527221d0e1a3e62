"""Score an answer against an answer key, with partial credit. Pure functions, no I/O.

An answer is a plain value: a string, number, boolean, list or dict of those. A key is a dict of
literals, written in an exercise's hidden test block, e.g.::

    {"method": "number", "expected": 7.2, "tolerance": 0.1, "points": 2}

The same function scores an answer inside a kernel (nbgrader's path: :func:`award` returns the
points as the cell's value, which nbgrader reads as partial credit) and outside any kernel
(``course grade``: the answer arrives as JSON, the key is read with ``ast.literal_eval``).

Methods:

- ``exact``: equal after normalising text (case, spaces, curly quotes).
- ``number``: within ``tolerance`` (absolute) of ``expected``.
- ``choice``: like ``exact``; ``expected`` may list several accepted spellings.
- ``set``: overlap of the answer's items with ``expected`` (F1 score), for "pick the loaded
  words" or "which documents corroborate".
- ``fields``: a dict scored key by key (each expected value a literal, a number or a list);
  ``tolerance`` applies to numeric fields.
- ``labels``: a dict item -> label, one credit per correctly labelled item.
- ``order``: a list in sequence; credit is the share of pairs in the right relative order.

>>> score(["tsar", "hero"], {"method": "set", "expected": ["hero", "butcher"]})
0.5
>>> award(7.25, {"method": "number", "expected": 7.2, "tolerance": 0.1, "points": 2})
2.0
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from typing import Any

__all__ = ["score", "award", "plain", "normalise", "AnswerTypeError", "METHODS"]

METHODS = ("exact", "number", "choice", "set", "fields", "labels", "order")


class AnswerTypeError(TypeError):
    """The answer is not a plain value (str, int, float, bool, None, list, dict)."""


def plain(value: Any, where: str = "answer") -> Any:
    """Return ``value`` rebuilt from builtin types only, or raise :class:`AnswerTypeError`.

    Objects that merely look like strings or numbers (subclasses, objects whose ``__eq__``
    always says yes) are refused: only exact builtin types pass.

    >>> plain({"a": (1, 2.5)})
    {'a': [1, 2.5]}
    """
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        if not math.isfinite(value):
            raise AnswerTypeError(f"{where} is {value!r}; give a finite number")
        return value
    if kind in (list, tuple):
        return [plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) not in (str, int):
                raise AnswerTypeError(f"{where} has a key of type {type(key).__name__}")
            out[key] = plain(item, f"{where}[{key!r}]")
        return out
    raise AnswerTypeError(
        f"{where} is a {kind.__name__}; answers must be strings, numbers, lists or dicts"
    )


def normalise(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).casefold().strip()
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    return " ".join(text.split())


def _same(answer: Any, expected: Any, tolerance: float) -> bool:
    if isinstance(expected, bool) or isinstance(answer, bool):
        return type(answer) is type(expected) and answer == expected
    if isinstance(expected, int | float):
        return isinstance(answer, int | float) and abs(answer - expected) <= tolerance
    if isinstance(expected, list):
        if not isinstance(answer, list):
            return False
        return sorted(map(normalise, answer)) == sorted(map(normalise, expected))
    return isinstance(answer, str) and normalise(answer) == normalise(expected)


def _overlap(answer: Any, expected: list) -> float:
    if not isinstance(answer, list):
        return 0.0
    given = {normalise(item) for item in answer}
    wanted = {normalise(item) for item in expected}
    hits = len(given & wanted)
    if not hits:
        return 0.0
    precision, recall = hits / len(given), hits / len(wanted)
    return 2 * precision * recall / (precision + recall)


def _order(answer: Any, expected: list) -> float:
    if not isinstance(answer, list) or len(expected) < 2:
        return 0.0
    position = {normalise(item): i for i, item in enumerate(answer)}
    pairs = list(itertools.combinations([normalise(item) for item in expected], 2))
    right = sum(
        1 for a, b in pairs if a in position and b in position and position[a] < position[b]
    )
    return right / len(pairs)


def score(answer: Any, key: dict) -> float:
    """Return the share of credit (0.0 to 1.0) that ``answer`` earns under ``key``.

    Args:
        answer: the student's value.
        key: ``{"method": ..., "expected": ..., optional "tolerance", "points"}``.

    Returns:
        A float between 0 and 1. A wrong type scores 0; it never raises for a bad answer.

    Raises:
        ValueError: the key itself is malformed (the author's mistake, not the student's).
    """
    method, expected = key.get("method"), key.get("expected")
    if method not in METHODS:
        raise ValueError(f"unknown scoring method {method!r}; use one of {METHODS}")
    tolerance = float(key.get("tolerance", 0))
    try:
        answer = plain(answer)
    except AnswerTypeError:
        return 0.0
    if method in ("exact", "number"):
        return float(_same(answer, expected, tolerance))
    if method == "choice":
        options = expected if isinstance(expected, list) else [expected]
        return float(any(_same(answer, option, tolerance) for option in options))
    if method == "set":
        return round(_overlap(answer, expected), 4)
    if method == "order":
        return round(_order(answer, expected), 4)
    if not isinstance(answer, dict):
        return 0.0
    given = {normalise(k): v for k, v in answer.items()}
    if method == "fields":
        credits = [_same(given.get(normalise(k)), v, tolerance) for k, v in expected.items()]
    else:  # labels
        credits = [_same(given.get(normalise(k)), v, 0) for k, v in expected.items()]
    return round(sum(credits) / len(credits), 4)


def award(answer: Any, key: dict) -> float:
    """Points earned: ``score(answer, key)`` times ``key["points"]``, rounded to 2 places.

    A hidden test cell ends with this call, so the cell's value is its partial credit.

    >>> award({"author": "George Collins"}, {"method": "fields", "points": 3,
    ...        "expected": {"author": "george collins", "date": 1987}})
    1.5
    """
    return round(score(answer, key) * float(key["points"]), 2)
