"""Check that a figure is really stated in the quotation it cites.

A row's ``low`` and ``high`` must be readable in its ``quote``: as digits ("1,558,852", "3.5
million", "40%"), as number words ("five million", "one-third", "half a million"), as a
multiplicative verb ("halved", "doubled", "tenfold"), or as a vague plural ("millions"), which
the datasets read as a lower bound of two. Anything else must be explained by a note that begins
with ``Derived:``.
"""

from __future__ import annotations

import math
import re

__all__ = ["numbers_in", "is_stated", "DERIVED_PREFIX"]

DERIVED_PREFIX = "Derived:"

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "a": 1,
    "an": 1,
    "dozen": 12,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_FRACTIONS = {
    "half": 1 / 2,
    "third": 1 / 3,
    "quarter": 1 / 4,
    "fourth": 1 / 4,
    "fifth": 1 / 5,
    "sixth": 1 / 6,
    "seventh": 1 / 7,
    "eighth": 1 / 8,
    "ninth": 1 / 9,
    "tenth": 1 / 10,
}
_MULTIPLIERS = {
    "halved": 0.5,
    "doubled": 2,
    "double": 2,
    "twice": 2,
    "tripled": 3,
    "trebled": 3,
    "triple": 3,
    "quadrupled": 4,
    "twofold": 2,
    "threefold": 3,
    "fourfold": 4,
    "fivefold": 5,
    "tenfold": 10,
    "hundredfold": 100,
}
_VAGUE = {
    "dozens": 24,
    "hundreds": 200,
    "thousands": 2_000,
    "millions": 2_000_000,
    "billions": 2_000_000_000,
}

_TOKEN = re.compile(r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|[a-z]+")
# Words that stand for "at least two" of the scale word after them: "a few thousand",
# "tens of thousands", "several hundred thousands".
_VAGUE_COUNTS = {"few": 2, "several": 2, "tens": 20, "dozens": 24, "hundreds": 200}


def _readings(token: str) -> set[float]:
    """'1,500,000' -> {1500000}; '20.000' -> {20000, 20}; '1921 500' -> {1921500, 1921, 500}."""
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", token):  # "800.000": a European thousands separator
        return {float(token.replace(".", "")), float(token) if token.count(".") == 1 else 0.0}
    values = {float(re.sub(r"[,\u00a0\u202f ]", "", token))}
    for piece in re.split(r"[\u00a0\u202f ]", token):
        if piece != token:
            values |= _readings(piece)
    return values


def _spoken(words: list[str], i: int) -> set[float]:
    """Values of the spoken number that starts at ``words[i]``: 'twenty five', 'a hundred'."""
    values: set[float] = set()
    value, total = 0.0, 0.0
    for j in range(i, len(words)):
        word = words[j]
        if word in _UNITS and (j == i or word not in ("a", "an")):
            value += _UNITS[word]
        elif word in _SCALES and j > i:
            value = max(value, 1.0) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, value = total + value, 0.0
        elif word == "and" and j > i:
            continue
        else:
            break
        if j > i or word not in ("a", "an"):
            values.add(total + value)
    return values


def numbers_in(quote: str) -> set[float]:
    """Return every number a quotation can be read as stating.

    Digits and number words are read with any scale words that follow them in the quote
    ("3.5 million", "nine or ten million"); fractions both as fractions and as percentages;
    vague plurals as a lower bound of two ("millions" -> 2,000,000).

    Args:
        quote: a verbatim span of a document.

    Returns:
        A set of candidate values.

    >>> sorted(numbers_in("some 3.5 million, or one-third"))[-2:]
    [33.33333333333333, 3500000.0]
    >>> 1558852.0 in numbers_in("1,558,852 members")
    True
    >>> 9_000_000.0 in numbers_in("nine or ten million")
    True
    """
    words = _TOKEN.findall(quote.lower().replace("-", " "))
    found: set[float] = set()
    bases: list[tuple[int, set[float]]] = []  # numbers that a later scale word may multiply
    for i, word in enumerate(words):
        if word[0].isdigit():
            bases.append((i, _readings(word)))
            found |= bases[-1][1]
        elif word in _UNITS:
            bases.append((i, _spoken(words, i)))
            found |= bases[-1][1]
        elif word == "fourty":  # a misspelling one document uses
            bases.append((i, {40.0}))
            found.add(40.0)
        elif word in _VAGUE_COUNTS:
            bases.append((i, {float(_VAGUE_COUNTS[word])}))
        if word in _MULTIPLIERS:
            found.add(_MULTIPLIERS[word])
        if word.endswith("fold") and word[:-4] in _UNITS:
            found.add(float(_UNITS[word[:-4]]))
        if word in _VAGUE:
            found.add(_VAGUE[word])
        singular = word[:-1] if word.endswith("s") else word
        if singular in _FRACTIONS:
            count = _UNITS.get(words[i - 1], 1) if i else 1
            found.add(count * _FRACTIONS[singular])
            if i + 2 < len(words) and words[i + 1] in ("a", "an") and words[i + 2] in _SCALES:
                found.add(_FRACTIONS[singular] * _SCALES[words[i + 2]])  # "half a million"
    scales = [(j, _SCALES.get(w[:-1] if w.endswith("s") else w)) for j, w in enumerate(words)]
    scales = [(j, s) for j, s in scales if s]
    for i, values in bases:
        later = [s for j, s in scales if j > i]
        for value in values:
            for k, first in enumerate(later):
                found.add(value * first)
                for second in later[k + 1 :]:
                    found.add(value * first * second)
    if " and a half" in " ".join(words):  # "a million and a half"
        found |= {v * 1.5 for v in found}
    found.discard(0.0)
    found |= {v * 100 for v in found if 0 < v < 1}  # fractions as percentages
    found |= {(v - 1) * 100 for v in found if v in _MULTIPLIERS.values() and v != 0.5}
    return found


def is_stated(value: float, quote: str) -> bool:
    """Whether ``value`` (or its magnitude) is one of the numbers in ``quote``.

    >>> is_stated(5_000_000, "five million people died")
    True
    >>> is_stated(-50, "production halved")
    True
    >>> is_stated(7, "five million people died")
    False
    """
    target = abs(float(value))
    for candidate in numbers_in(quote):
        if math.isclose(target, candidate, rel_tol=5e-3, abs_tol=0.05):
            return True
    return False
