"""A broken table fails loudly: one error naming the file, the row, the column and the rule."""

from __future__ import annotations

import csv

import pytest

from course import data


def _edit(folder, table, row, column, value):
    """Set one cell of ``folder/table.csv`` (row counted from 1 after the header)."""
    path = folder / f"{table}.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[row - 1][column] = value
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


BROKEN = [
    # (table, row, column, bad value, expected message fragment)
    (
        "party_membership",
        2,
        "low",
        "many",
        "row 2, column 'low': wrong type: 'many' is not a number",
    ),
    ("mortality", 3, "quote", "", "row 3, column 'quote': required value missing"),
    ("society", 1, "doc", "009", "row 1, column 'doc': unknown document (not an id in documents)"),
    ("party_membership", 1, "high", "1", "row 1, column 'low': low > high"),
    ("industrial_output", 2, "unit", "furlongs", "row 2, column 'unit': unknown unit: 'furlongs'"),
    ("mortality", 1, "period", "1937-13", "row 1, column 'period': malformed period: '1937-13'"),
    ("timeline", 4, "date", "summer 1917", "row 4, column 'date': malformed period"),
    ("society", 2, "qualifier", "roughly", "row 2, column 'qualifier': value not allowed"),
    ("mortality", 2, "is_fiction", "yes", "row 2, column 'is_fiction': wrong type: 'yes'"),
    ("mortality", 2, "is_fiction", "true", "row 2, column 'is_fiction': fiction flag disagrees"),
    ("documents", 2, "sha256", "abc", "row 2, column 'sha256': bad format"),
]


@pytest.mark.parametrize(("table", "row", "column", "value", "message"), BROKEN)
def test_broken_cell_names_file_row_column_and_rule(
    dataset_copy, table, row, column, value, message
):
    _edit(dataset_copy, table, row, column, value)
    with pytest.raises(data.DataError) as caught:
        data.load(table)
    assert f"datasets/{table}.csv, {message}" in str(caught.value)


def test_duplicate_id(dataset_copy):
    first = data.load("mortality").loc[0, "id"]
    _edit(dataset_copy, "mortality", 2, "id", first)
    with pytest.raises(
        data.DataError, match=rf"mortality.csv, row 2, column 'id': duplicate id: '{first}'"
    ):
        data.load("mortality")


def test_quotation_not_in_the_document(dataset_copy, seeds):
    _edit(dataset_copy, "party_membership", 1, "quote", "a sentence no document contains")
    with pytest.raises(
        data.DataError, match=r"row 1, column 'quote': quotation not in the document"
    ):
        data.load("party_membership")


def test_both_bounds_missing(dataset_copy):
    _edit(dataset_copy, "society", 1, "low", "")
    _edit(dataset_copy, "society", 1, "high", "")
    with pytest.raises(data.DataError, match=r"society.csv, row 1, column 'low': no figure"):
        data.load("society")


def test_missing_column(dataset_copy):
    path = dataset_copy / "timeline.csv"
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines[:1]) + "\n", "utf-8")
    with pytest.raises(
        data.DataError, match=r"timeline.csv: header does not match.*missing \['note'\]"
    ):
        data.load("timeline")


def test_not_utf8(dataset_copy):
    (dataset_copy / "society.csv").write_bytes(b"id,doc\n\xff\xfe,001\n")
    with pytest.raises(data.DataError, match=r"society.csv: not a readable UTF-8 CSV file"):
        data.load("society")


def test_unknown_table_lists_the_real_ones():
    with pytest.raises(
        KeyError, match="No table named 'famine'. Tables: documents, party_membership"
    ):
        data.load("famine")


def test_the_error_says_what_to_do(dataset_copy):
    _edit(dataset_copy, "mortality", 1, "unit", "bodies")
    with pytest.raises(data.DataError, match="Fix the value in datasets/mortality.csv"):
        data.load("mortality")


def test_loaded_tables_are_copies():
    table = data.load("society")
    table.loc[0, "low"] = -1
    assert data.load("society").loc[0, "low"] != -1
