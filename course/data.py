"""Load the course's tables by name, validated against their Frictionless schema.

Every table lives once in ``datasets/`` and is described in ``datasets/datapackage.json``.
:func:`load` reads a table as text, checks every value against that schema (types, required
values, patterns, enumerations, uniqueness, foreign keys to ``documents``) and the rules a schema
cannot state (``low <= high``, the fiction flag agreeing with the document, quotations found in
the documents when their texts are at hand, errata pointing at real rows and reference ids), and
only then converts it to typed columns. A table that breaks a rule raises :class:`DataError`
naming the file, row, column and rule: nothing is dropped or coerced silently.

>>> from course import data
>>> "party_membership" in data.names()
True
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported lazily so that ``import course`` stays fast
    import pandas as pd

__all__ = [
    "DataError",
    "load",
    "names",
    "cite",
    "claims",
    "lookup",
    "datasets_dir",
    "seeds_dir",
    "check_all",
]

_ROOT = Path(__file__).resolve().parent.parent


def datasets_dir() -> Path:
    """The folder holding ``datapackage.json`` (``$COURSE_DATASETS`` overrides it)."""
    return Path(os.environ.get("COURSE_DATASETS") or _ROOT / "datasets")


def seeds_dir() -> Path | None:
    """The folder of source texts, if present (``$COURSE_SEEDS``, else ``../shared/seeds``)."""
    path = Path(os.environ.get("COURSE_SEEDS") or _ROOT.parent / "shared" / "seeds")
    return path if path.is_dir() else None


@dataclass
class DataError(ValueError):
    """A table broke a rule. Carries where (file, row, column) and which rule."""

    file: str
    row: int | None
    column: str | None
    rule: str
    detail: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return (
            f"{where}: {self.rule}: {self.detail}. Fix the value in {self.file} "
            f"(rows are counted from 1 after the header) or the schema in datapackage.json."
        )


@functools.lru_cache(maxsize=4)
def _package(folder: str, mtime: float) -> dict[str, Any]:
    with open(Path(folder) / "datapackage.json", encoding="utf-8") as handle:
        return json.load(handle)


def _descriptor() -> dict[str, Any]:
    path = datasets_dir() / "datapackage.json"
    return _package(str(path.parent), path.stat().st_mtime)


def _resource(name: str) -> dict[str, Any]:
    for resource in _descriptor()["resources"]:
        if resource["name"] == name:
            return resource
    raise KeyError(f"No table named {name!r}. Tables: {', '.join(names())}.")


def names() -> list[str]:
    """The names of the tables, in the data package's order.

    >>> names()[:2]
    ['documents', 'party_membership']
    """
    return [resource["name"] for resource in _descriptor()["resources"]]


def load(name: str) -> pd.DataFrame:
    """Return a validated, typed copy of one table.

    Args:
        name: a table name from :func:`names`, e.g. ``"party_membership"``.

    Returns:
        A DataFrame with one column per schema field (strings as ``string``, numbers as
        ``Float64``, booleans as ``boolean``). Figure tables and the timeline gain a derived
        ``year`` column: the decimal year at which the row's period starts.

    Raises:
        KeyError: no such table.
        DataError: the table breaks its schema or a course rule.

    >>> members = load("party_membership")
    >>> members.loc[0, "quote"] in members.loc[0, "quote"]
    True
    """
    path = datasets_dir() / _resource(name)["path"]
    stat = path.stat()
    return _load_cached(name, str(path), stat.st_mtime_ns, stat.st_size).copy()


@functools.lru_cache(maxsize=32)
def _load_cached(name: str, path: str, mtime: int, size: int) -> pd.DataFrame:
    import pandas as pd

    resource = _resource(name)
    file = f"datasets/{resource['path']}"
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(file, None, None, "not a readable UTF-8 CSV file", str(error)) from None
    _check_schema(raw, resource, file)
    _check_course_rules(raw, resource, file)
    return _typed(raw, resource)


def _fail(file: str, index: int, column: str | None, rule: str, detail: str) -> DataError:
    return DataError(file, int(index) + 1, column, rule, detail)


def _check_schema(raw: pd.DataFrame, resource: dict[str, Any], file: str) -> None:
    schema = resource["schema"]
    fields = schema["fields"]
    expected = [field["name"] for field in fields]
    if list(raw.columns) != expected:
        missing = [c for c in expected if c not in raw.columns]
        extra = [c for c in raw.columns if c not in expected]
        raise DataError(
            file,
            None,
            None,
            "header does not match the schema",
            f"expected columns {expected}; missing {missing}, unexpected {extra}",
        )
    # Cell by cell in row order, on plain lists: indexing pandas a cell at a time is slow.
    for field in fields:
        column, kind = field["name"], field["type"]
        values = raw[column].tolist()
        rules = field.get("constraints", {})
        if rules.get("required") and "" in values:
            raise _fail(
                file, values.index(""), column, "required value missing", "the cell is empty"
            )
        for index, value in enumerate(values):
            if value != "":
                _check_value(value, kind, field, rules, file, index)
        if rules.get("unique"):
            seen = set()
            for index, value in enumerate(values):
                if value in seen and value != "":
                    raise _fail(file, index, column, "duplicate id", f"{value!r} appears twice")
                seen.add(value)
    for key in schema.get("foreignKeys", []):
        target = key["reference"]["resource"]
        known = set(load(target)[key["reference"]["fields"]]) if target else set()
        column = key["fields"]
        for index, value in enumerate(raw[column].tolist()):
            if value not in known:
                raise _fail(
                    file,
                    index,
                    column,
                    f"unknown document (not an id in {target})",
                    f"{value!r}; known ids are {sorted(known)}",
                )


def _check_value(value: str, kind: str, field: dict, rules: dict, file: str, index: int) -> None:
    column = field["name"]
    if kind == "number":
        try:
            float(value)
        except ValueError:
            raise _fail(file, index, column, "wrong type", f"{value!r} is not a number") from None
    elif kind == "boolean":
        allowed = field["trueValues"] + field["falseValues"]
        if value not in allowed:
            raise _fail(file, index, column, "wrong type", f"{value!r} is not one of {allowed}")
    if "enum" in rules and value not in rules["enum"]:
        rule = "unknown unit" if column == "unit" else "value not allowed"
        raise _fail(file, index, column, rule, f"{value!r} is not one of {rules['enum']}")
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value):
        rule = "malformed period" if column in ("period", "date", "correct_date") else "bad format"
        raise _fail(file, index, column, rule, f"{value!r} does not match {rules['pattern']}")
    if "maxLength" in rules and len(value) > rules["maxLength"]:
        raise _fail(file, index, column, "too long", f"{len(value)} > {rules['maxLength']} chars")


def _check_course_rules(raw: pd.DataFrame, resource: dict[str, Any], file: str) -> None:
    def cells(*columns: str):
        return enumerate(zip(*(raw[column].tolist() for column in columns), strict=True))

    if {"low", "high"} <= set(raw.columns):
        for index, (low, high) in cells("low", "high"):
            if low == "" and high == "" and resource["name"] != "reference":
                raise _fail(file, index, "low", "no figure", "low and high are both empty")
            if low != "" and high != "" and float(low) > float(high):
                raise _fail(file, index, "low", "low > high", f"low {low} exceeds high {high}")
    if "doc" in raw.columns and "is_fiction" in raw.columns:
        documents = load("documents")
        fiction = dict(zip(documents["id"], documents["is_fiction"], strict=True))
        for index, (doc, flag) in cells("doc", "is_fiction"):
            if flag != str(bool(fiction[doc])).lower():
                raise _fail(
                    file,
                    index,
                    "is_fiction",
                    "fiction flag disagrees with documents",
                    f"document {doc} has is_fiction={fiction[doc]}",
                )
    quoted = [column for column in ("quote", "claim") if column in raw.columns]
    if quoted and (texts := _texts()) is not None:
        column = quoted[0]
        for index, (doc, quote) in cells("doc", column):
            if quote not in texts[doc]:
                raise _fail(
                    file,
                    index,
                    column,
                    "quotation not in the document",
                    f"{quote[:60]!r} is not an exact substring of document {doc}",
                )
            if len(quote.split()) > 40:
                raise _fail(file, index, column, "quotation too long", "more than 40 words")
    if resource["name"] == "errata":
        _check_errata(raw, file)


def _check_errata(raw: pd.DataFrame, file: str) -> None:
    """Each erratum points at a row of its own document and cites only real reference rows."""
    reference = set(load("reference")["id"])
    rows = {table: load(table).set_index("id")["doc"] for table in set(raw["table"])}
    for index, entry in raw.iterrows():
        if entry["row"] not in rows[entry["table"]].index:
            raise _fail(
                file,
                index,
                "row",
                "unknown row",
                f"{entry['row']!r} is not an id in {entry['table']}",
            )
        if rows[entry["table"]][entry["row"]] != entry["doc"]:
            raise _fail(
                file,
                index,
                "doc",
                "row from another document",
                f"{entry['row']} comes from document {rows[entry['table']][entry['row']]}",
            )
        settled_by = [i for i in entry["settled_by"].split(";") if i]
        unknown = [i for i in settled_by if i not in reference]
        if unknown:
            raise _fail(
                file, index, "settled_by", "unknown reference id", f"{unknown} not in reference"
            )
        if (entry["status"] == "settled") != bool(settled_by):
            raise _fail(
                file,
                index,
                "status",
                "status disagrees with settled_by",
                "'settled' needs a reference id in settled_by; 'unsettled' needs it empty",
            )


def _texts() -> dict[str, str] | None:
    """The documents' texts, keyed by id, when the seed folder is present; else None."""
    folder = seeds_dir()
    if folder is None:
        return None
    documents = load("documents")
    return {
        doc: _read_text(str(folder / file))
        for doc, file in zip(documents["id"], documents["file"], strict=True)
    }


@functools.lru_cache(maxsize=8)
def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


_KINDS = {"string": "string", "number": "Float64", "boolean": "boolean"}


def _typed(raw: pd.DataFrame, resource: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    columns = {}
    for field in resource["schema"]["fields"]:
        column, kind = field["name"], field["type"]
        values = raw[column].replace("", None)
        if kind == "boolean":
            values = values.map({"true": True, "false": False})
        elif kind == "number":
            values = pd.to_numeric(values)
        columns[column] = values.astype(_KINDS[kind])
    table = pd.DataFrame(columns, index=raw.index)
    period = "period" if "period" in table else "date" if "date" in table else None
    if period and "doc" in table:
        table["year"] = table[period].map(decimal_year).astype("Float64")
    return table


def decimal_year(period: str) -> float:
    """The decimal year at which a period starts.

    >>> decimal_year("1917-07/1918")
    1917.5
    """
    parts = period.split("/")[0].split("-")
    year, month, day = int(parts[0]), 1, 1
    if len(parts) > 1:
        month = int(parts[1])
    if len(parts) > 2:
        day = int(parts[2])
    return round(year + (month - 1) / 12 + (day - 1) / 365, 4)


def cite(row: Any) -> str:
    """One-line citation of a figure or event row: who claims it, where, in which words.

    Args:
        row: a row of a loaded table (a pandas Series or a mapping with ``doc`` and ``quote``).

    Returns:
        A string: who is credited, in which document, and the verbatim quotation.

    >>> row = load("party_membership").iloc[0]
    >>> cite(row).count('"') >= 4
    True
    """
    doc = load("documents").set_index("id").loc[row["doc"]]
    fiction = " [FICTION]" if doc["is_fiction"] else ""
    return (
        f'{row["attributed_to"]}, in "{doc["title"]}" (doc {row["doc"]}, {doc["date"]}){fiction}: '
        f'"{row["quote"]}"'
    )


def claims(doc: str | None = None) -> pd.DataFrame:
    """Every figure the documents state, from all the figure tables, in one frame.

    A figure table is one whose rows name a document and carry ``low`` and ``high``.

    Args:
        doc: a document id such as ``"001"``; ``None`` (the default) for all documents.

    Returns:
        The rows of the figure tables, with a first column ``table`` naming the table each row
        comes from; columns one table lacks (``base``, ``compare_with``) are empty there.

    >>> sorted(set(claims("000")["table"]))
    ['counterfactual']
    """
    import pandas as pd

    frames = [
        table.assign(table=name)
        for name in names()
        if {"doc", "low", "high"} <= set((table := load(name)).columns)
    ]
    rows = pd.concat(frames, ignore_index=True)
    if doc is not None:
        rows = rows[rows["doc"] == doc].reset_index(drop=True)
    return rows[["table", *rows.columns.drop("table")]]


def lookup(ids: str | list[str]) -> pd.DataFrame:
    """The rows with these ids, from the figure tables or the reference table, in that order.

    Args:
        ids: a list of row ids, or one string of ids separated by ``;`` (the form of the
            counterfactual table's ``compare_with`` column).

    Returns:
        One row per id, with a ``table`` column naming where it was found.

    Raises:
        KeyError: an id names no row.

    >>> lookup("R19;R18")[["id", "table"]].values.tolist()
    [['R19', 'reference'], ['R18', 'reference']]
    """
    import pandas as pd

    wanted = [i.strip() for i in ids.split(";") if i.strip()] if isinstance(ids, str) else ids
    rows = pd.concat([claims(), load("reference").assign(table="reference")], ignore_index=True)
    rows = rows.set_index("id")
    missing = [i for i in wanted if i not in rows.index]
    if missing:
        raise KeyError(f"No row with id {missing} in the figure tables or the reference table.")
    return rows.loc[wanted].reset_index()


def check_all() -> dict[str, int]:
    """Validate every table; return the row count of each.

    >>> counts = check_all()
    >>> counts["documents"]
    5
    """
    return {name: len(load(name)) for name in names()}
