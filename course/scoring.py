"""Score an answer against its form and its key, with partial credit. Pure functions, no I/O.

Every autograded question is written once, in one test cell of the instructor's source notebook:

- its **form**, the keyword arguments of the visible ``check(...)`` call (kind, size, keys,
  allowed options, value types), which the student's copy shows and checks;
- its **key**, the dict literal of the hidden ``award(answer, form, {...})`` call: the method, the
  expected answer, the points, and what feedback says after grading (``explain`` and
  ``misconceptions``).

nbgrader's in-kernel path and ``course grade`` (which reads both literals with ``ast`` and never
runs the key in the student's kernel) call the same :func:`award`, so they give the same points.
An answer that breaks its form scores 0 on both paths: the visible check has already said what
was wrong with it.

Methods, and why guessing earns nothing above chance:

- ``number``: within ``tolerance`` (absolute, inclusive, float-safe) of ``expected``. The question
  states the precision it wants; the tolerance is half its last digit.
- ``choice``: one of the form's ``options``; ``expected`` may list several accepted options.
- ``exact``: free text equal after normalising case, spaces and curly quotes.
- ``set``: pick the right items from the form's ``options``. Credit is the share of right items
  picked *minus* the share of wrong items picked (never below 0), so selecting every option, or
  none, earns 0 and each wrong pick costs as much as a right one earns.
- ``labels``: a dict item -> label. Credit is accuracy corrected for the best constant guess
  (``(accuracy - p) / (1 - p)``, where ``p`` is the share of items carrying the commonest label),
  so one label for every item earns 0.
- ``order``: a list in sequence. Credit is Kendall's tau between the answer and the key, floored at
  0: a random order earns 0 on average, a reversed one 0, only agreement above chance counts.
- ``fields``: a dict scored key by key (numbers within ``tolerance``, text normalised, lists as
  sets); the form fixes the keys and their value types, so an extra or missing key breaks the form.

>>> form = {"kind": "list", "options": ["A", "B", "C", "D"]}
>>> key = {"method": "set", "expected": ["A", "B"], "points": 2}
>>> award(["A", "B"], form, key), award(["A", "B", "C", "D"], form, key), award(["A"], form, key)
(2.0, 0.0, 1.0)
>>> award(7.25, {"kind": "number"}, {"method": "number", "expected": 7.2, "tolerance": 0.05,
...       "points": 2})
2.0
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from typing import Any

__all__ = [
    "score",
    "award",
    "conforms",
    "diagnose",
    "misconception",
    "resolve",
    "validate",
    "matches",
    "plain",
    "normalise",
    "AnswerTypeError",
    "METHODS",
    "KINDS",
]

METHODS = ("number", "choice", "exact", "set", "labels", "order", "fields")
KINDS = {"text": (str,), "number": (int, float), "list": (list,), "dict": (dict,), "bool": (bool,)}
KIND_NAMES = {
    "text": "a string in quotes",
    "number": "a number",
    "list": "a list in [brackets]",
    "dict": "a dict in {braces}",
    "bool": "True or False",
}
FORM_FIELDS = ("kind", "options", "size", "keys", "values", "items")
_EPSILON = 1e-9


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
    """Text compared without case, extra spaces or curly quotes.

    >>> normalise("  The  \u2018Left\u2019 ")
    "the 'left'"
    """
    text = unicodedata.normalize("NFKC", str(value)).casefold().strip()
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    return " ".join(text.split())


def _is_kind(value: Any, kind: str) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, KINDS[kind])


# ------------------------------------------------------------------------------------- the form


def conforms(answer: Any, form: dict) -> str | None:
    """What is wrong with the *form* of ``answer`` (never whether it is right), or None.

    Args:
        answer: the student's value.
        form: ``kind`` and, as needed, ``options`` (allowed values: the text itself, each list
            item, or each dict value), ``size`` (list length), ``keys`` (exact dict keys),
            ``values`` (kind of every dict value, or a dict key -> kind) and ``items`` (kind of
            every list item; text when options are given). List items must be distinct.

    >>> conforms({"doc": "003", "stated": 1928}, {"kind": "dict", "keys": ["doc", "stated"],
    ...          "values": "text"})
    "the value of 'stated' should be a string in quotes, but it is a int"
    """
    if answer is None or answer is Ellipsis:
        return "not answered yet. Replace None with your answer"
    try:
        value = plain(answer)
    except AnswerTypeError as error:
        return f"{error}. Write the value itself, not an object"
    kind = form["kind"]
    if not _is_kind(value, kind):
        return f"should be {KIND_NAMES[kind]}, but it is a {type(value).__name__}"
    options = form.get("options")
    allowed = {normalise(o) for o in options} if options is not None else None
    if kind == "list":
        if form.get("size") is not None and len(value) != form["size"]:
            return f"should have {form['size']} items; it has {len(value)}"
        item_kind = form.get("items", "text" if options is not None else None)
        for i, item in enumerate(value):
            if item_kind and not _is_kind(item, item_kind):
                return f"item {i} should be {KIND_NAMES[item_kind]}, but it is {item!r}"
        texts = [normalise(item) for item in value]
        if len(set(texts)) != len(texts):
            return "lists each item more than once; give each item once"
        unknown = [
            item
            for item, text in zip(value, texts, strict=True)
            if allowed is not None and text not in allowed
        ]
        if unknown:
            return f"{unknown} not among the allowed items {options}"
    if kind == "dict":
        given = {normalise(k): k for k in value}
        if form.get("keys") is not None:
            wanted = {normalise(k) for k in form["keys"]}
            missing = [k for k in form["keys"] if normalise(k) not in given]
            extra = [k for n, k in given.items() if n not in wanted]
            if missing or extra:
                return (
                    f"needs exactly the keys {form['keys']}; missing {missing}, unexpected {extra}"
                )
        kinds = form.get("values", "text" if options is not None else None)
        for key, item in value.items():
            want = kinds.get(key, kinds.get(normalise(key))) if isinstance(kinds, dict) else kinds
            if want and not _is_kind(item, want):
                return (
                    f"the value of {key!r} should be {KIND_NAMES[want]}, "
                    f"but it is a {type(item).__name__}"
                )
            if allowed is not None and normalise(item) not in allowed:
                return f"the value of {key!r}, {item!r}, is not among the allowed values {options}"
    if kind == "text" and allowed is not None and normalise(value) not in allowed:
        return f"{value!r} is not among the allowed values {options}"
    return None


# ---------------------------------------------------------------------------------- the methods


def _same(answer: Any, expected: Any, tolerance: float) -> bool:
    if isinstance(expected, bool) or isinstance(answer, bool):
        return type(answer) is type(expected) and answer == expected
    if isinstance(expected, int | float):
        return isinstance(answer, int | float) and abs(answer - expected) <= tolerance + (
            _EPSILON * max(1.0, abs(expected))
        )
    if isinstance(expected, list):
        if not isinstance(answer, list):
            return False
        return sorted(map(normalise, answer)) == sorted(map(normalise, expected))
    return isinstance(answer, str) and normalise(answer) == normalise(expected)


def _set(answer: list, expected: list, options: list) -> float:
    given = {normalise(item) for item in answer}
    right = {normalise(item) for item in expected}
    wrong = {normalise(item) for item in options} - right
    hit_rate = len(given & right) / len(right)
    false_rate = len(given & wrong) / len(wrong)
    return max(0.0, hit_rate - false_rate)


def _labels(answer: dict, expected: dict) -> float:
    given = {normalise(k): v for k, v in answer.items()}
    right = sum(_same(given.get(normalise(k)), v, 0) for k, v in expected.items())
    accuracy = right / len(expected)
    counts = [
        list(map(normalise, expected.values())).count(normalise(v)) for v in expected.values()
    ]
    commonest = max(counts) / len(expected)
    return max(0.0, (accuracy - commonest) / (1 - commonest))


def kendall_tau(answer: list, expected: list) -> float:
    """Kendall's tau between two orderings of the same items (1 same, -1 reversed).

    >>> kendall_tau(["a", "b", "c"], ["c", "b", "a"])
    -1.0
    """
    position = {normalise(item): i for i, item in enumerate(answer)}
    pairs = list(itertools.combinations([normalise(item) for item in expected], 2))
    agree = sum(1 if position[a] < position[b] else -1 for a, b in pairs)
    return agree / len(pairs)


def _fields(answer: dict, expected: dict, tolerance: float) -> float:
    given = {normalise(k): v for k, v in answer.items()}
    credits = [_same(given.get(normalise(k)), v, tolerance) for k, v in expected.items()]
    return sum(credits) / len(credits)


def score(answer: Any, key: dict, form: dict) -> float:
    """Return the share of credit (0.0 to 1.0) that ``answer`` earns under ``key`` and ``form``.

    An answer that breaks its form, or is not a plain value, scores 0; this never raises for a
    bad answer. A malformed key raises ``ValueError`` (see :func:`validate`).
    """
    validate(key, form)
    if conforms(answer, form) is not None:
        return 0.0
    answer, method, expected = plain(answer), key["method"], key["expected"]
    tolerance = float(key.get("tolerance", 0))
    if method in ("number", "exact"):
        share = float(_same(answer, expected, tolerance))
    elif method == "choice":
        accepted = expected if isinstance(expected, list) else [expected]
        share = float(any(_same(answer, option, tolerance) for option in accepted))
    elif method == "set":
        share = _set(answer, expected, form["options"])
    elif method == "labels":
        share = _labels(answer, expected)
    elif method == "order":
        share = max(0.0, kendall_tau(answer, expected))
    else:
        share = _fields(answer, expected, tolerance)
    return round(share, 4)


def award(answer: Any, form: dict, key: dict) -> float:
    """Points earned: ``score(answer, key, form)`` times ``key["points"]``, rounded to 2 places.

    A hidden test cell ends with this call, so the cell's value is its partial credit.

    >>> award({"doc": "001", "date": "1987"}, {"kind": "dict", "keys": ["doc", "date"],
    ...       "values": "text"}, {"method": "fields", "points": 3,
    ...       "expected": {"doc": "001", "date": "1986"}})
    1.5
    """
    return round(score(answer, key, form) * float(key["points"]), 2)


# ------------------------------------------------------------------------ keys and misconceptions


def validate(key: dict, form: dict) -> None:
    """Raise ``ValueError`` if ``key`` or ``form`` is malformed: the author's mistake.

    The expected answer must itself pass the form (for ``choice``, each accepted option); set,
    labels and order keys must leave room for chance correction.
    """
    if not isinstance(key, dict) or not isinstance(form, dict):
        raise ValueError("the key and the form must be dicts")
    method, expected = key.get("method"), key.get("expected")
    if method not in METHODS:
        raise ValueError(f"unknown scoring method {method!r}; use one of {METHODS}")
    if form.get("kind") not in KINDS or set(form) - set(FORM_FIELDS):
        raise ValueError(f"malformed form {form!r}: fields {FORM_FIELDS}, kinds {tuple(KINDS)}")
    if "points" not in key or float(key["points"]) <= 0:
        raise ValueError("the key needs positive points")
    accepted = expected if method == "choice" and isinstance(expected, list) else [expected]
    for option in accepted:
        problem = conforms(option, form)
        if problem:
            raise ValueError(f"the key's expected answer breaks its own form: {problem}")
    options = form.get("options") or []
    if method == "set" and not (0 < len(expected) < len(options)):
        raise ValueError("a set key needs options, and at least one right and one wrong option")
    if method == "labels" and len({normalise(v) for v in expected.values()}) < 2:
        raise ValueError("a labels key needs at least two different labels")
    if method == "order" and (len(expected) < 3 or form.get("size") != len(expected)):
        raise ValueError("an order key needs at least three items and the form's size")


def matches(answer: Any, condition: dict) -> bool:
    """Whether ``answer`` has every property named in ``condition``.

    Properties: ``below``/``above`` (a number under or over a value), ``near`` (within 1 % of a
    number), ``is`` (equal, lists as sets), ``includes``/``lacks`` (a list item), ``label``
    (``[item, label]`` in a dict), ``field`` (``[key, value]``), ``before`` (``[a, b]``: a is
    listed before b), ``all_options`` (a list of every option), ``one_label`` (every dict value
    the same).

    >>> matches(0.79, {"below": 1}), matches(["A", "C"], {"includes": "C"})
    (True, True)
    """
    try:
        value = plain(answer)
    except AnswerTypeError:
        return False
    tests = []
    for name, want in condition.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if name == "below":
            tests.append(number and value < want)
        elif name == "above":
            tests.append(number and value > want)
        elif name == "near":
            tests.append(number and abs(value - want) <= max(abs(want) * 0.01, _EPSILON))
        elif name == "is":
            tests.append(_same(value, want, 0))
        elif name in ("includes", "lacks"):
            inside = isinstance(value, list) and normalise(want) in map(normalise, value)
            tests.append(inside if name == "includes" else isinstance(value, list) and not inside)
        elif name in ("label", "field"):
            given = {normalise(k): v for k, v in value.items()} if isinstance(value, dict) else {}
            tests.append(_same(given.get(normalise(want[0])), want[1], 0))
        elif name == "before":
            order = list(map(normalise, value)) if isinstance(value, list) else []
            a, b = map(normalise, want)
            tests.append(a in order and b in order and order.index(a) < order.index(b))
        elif name == "one_label":
            tests.append(
                isinstance(value, dict) and len({normalise(v) for v in value.values()}) == 1
            )
        elif name == "all_options":
            if isinstance(want, bool):
                raise ValueError("all_options needs the form's options: use resolve()")
            tests.append(isinstance(value, list) and len(value) >= want)
        else:
            raise ValueError(f"unknown property {name!r} in a misconception condition")
    return bool(tests) and all(tests)


def resolve(condition: dict, form: dict) -> dict:
    """``condition`` with ``{"all_options": True}`` made the number of the form's options.

    >>> resolve({"all_options": True}, {"kind": "list", "options": ["A", "B"]})
    {'all_options': 2}
    """
    if condition.get("all_options") is True:
        return {**condition, "all_options": len(form.get("options") or [])}
    return condition


def misconception(answer: Any, key: dict, form: dict) -> int | None:
    """The index of the first misconception in ``key`` that ``answer`` shows, or None."""
    for index, (condition, _) in enumerate(key.get("misconceptions", [])):
        if answer is not None and matches(answer, resolve(condition, form)):
            return index
    return None


def diagnose(answer: Any, key: dict, form: dict) -> str | None:
    """The message of the first misconception in ``key`` that ``answer`` shows, or None.

    These messages name specific wrong answers, so they live in the hidden key and are shown only
    after grading (in feedback) or after a self-study learner has answered.
    """
    index = misconception(answer, key, form)
    return None if index is None else key["misconceptions"][index][1]
