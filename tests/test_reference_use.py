"""Every reference row the lessons, keys and self-checks name exists, with the figure they give.

The prose cites reference figures as "R24: 767,000", "R29 gives 247,157", "R30 (111,091)" or
"1,444,923 (R34)". Each such figure must be the row's low or high (within 0.5 %, for rounded
writing such as "1.713 million"), or appear in the row's own note or citation.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from course import data

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)((?:\s*(?:to|-)\s*[\d.]+)?\s*million)?"
AFTER_ID = re.compile(
    r"\b(R\d\d)(?::| gives| puts| records| counts| \(| is| at least) "
    r"(?:at least |about |'?approximately |Applebaum: |Zemskov: )?" + NUMBER
)
BEFORE_ID = re.compile(NUMBER + r"[ %']{0,3}(?:people |persons )?\((R\d\d)\)")


def texts() -> dict[str, str]:
    found = {}
    for path in [*ROOT.glob("course/lessons/*.ipynb"), *ROOT.glob("solutions/*/*.ipynb")]:
        found[path.name] = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    for path in ROOT.glob("course/lessons/*.checks.json"):
        found[path.name] = path.read_text("utf-8")
    return found


TEXTS = texts()
REFERENCE = data.load("reference").set_index("id")


def cited(text: str) -> list[tuple[str, str, float]]:
    """(row id, figure as written, value) for each figure the text attributes to a row."""
    found = []
    for match in AFTER_ID.finditer(text):
        found.append((match.group(1), match.group(2), match.group(3)))
    for match in BEFORE_ID.finditer(text):
        found.append((match.group(3), match.group(1), match.group(2)))
    out = []
    for row, written, million in found:
        value = float(written.replace(",", "")) * (1e6 if million else 1)
        if "," not in written and not million and 1800 <= value <= 2100:
            continue  # a year, not a figure
        out.append((row, written, value))
    return out


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_reference_id_named_exists(name):
    named = set(re.findall(r"\bR\d\d\b", TEXTS[name]))
    assert named <= set(REFERENCE.index), sorted(named - set(REFERENCE.index))


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_reference_figures_are_quoted_with_the_rows_values(name):
    wrong = []
    for row, written, value in cited(TEXTS[name]):
        record = REFERENCE.loc[row]
        bounds = [float(b) for b in (record["low"], record["high"]) if pd.notna(b)]
        if any(abs(b - value) <= max(1e-9, abs(value) * 0.005) for b in bounds):
            continue
        if written in str(record["note"]) or written in str(record["citation"]):
            continue
        wrong.append(f"{row}: {written} (row: {record['low']} to {record['high']})")
    assert not wrong, wrong


def test_the_pattern_finds_figures():
    assert cited("R29 gives 247,157 and 1.4 million (R40); R69: 1922") == [
        ("R29", "247,157", 247157.0),
        ("R40", "1.4", 1.4e6),
    ]
    assert sum(len(cited(text)) for text in TEXTS.values()) >= 50
