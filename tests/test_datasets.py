"""The data package is valid, and every figure is traceable to the exact words of a document."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from course import data
from course.provenance import DERIVED_PREFIX, is_stated

FIGURE_TABLES = ["party_membership", "industrial_output", "mortality", "society", "counterfactual"]
QUOTED_TABLES = [*FIGURE_TABLES, "timeline"]


def test_frictionless_validates_the_package():
    from frictionless import Package

    report = Package(str(data.datasets_dir() / "datapackage.json")).validate()
    errors = [error.message for task in report.tasks for error in task.errors]
    assert report.valid, "\n".join(errors[:20])


def test_every_table_loads_with_rows():
    counts = data.check_all()
    assert set(counts) == {"documents", *QUOTED_TABLES, "reference"}
    assert all(rows > 0 for rows in counts.values()), counts


def test_reference_table_is_an_exact_copy_of_the_shared_one(seeds):
    shared = seeds.parent / "reference" / "reference_figures.csv"
    assert (data.datasets_dir() / "reference.csv").read_bytes() == shared.read_bytes()


def test_document_hashes_match_the_texts(seeds):
    for _, doc in data.load("documents").iterrows():
        digest = hashlib.sha256((seeds / doc["file"]).read_bytes()).hexdigest()
        assert digest == doc["sha256"], f"document {doc['id']}: the text is not the one quoted"


@pytest.mark.parametrize("table", QUOTED_TABLES)
def test_every_quote_is_verbatim_and_short(table, seeds):
    texts = {
        d["id"]: (seeds / d["file"]).read_text("utf-8")
        for _, d in data.load("documents").iterrows()
    }
    rows = data.load(table)
    bad = [r.id for r in rows.itertuples() if r.quote not in texts[r.doc]]
    long = [r.id for r in rows.itertuples() if len(r.quote.split()) > 40]
    assert not bad, f"{table}: quotations not found verbatim: {bad}"
    assert not long, f"{table}: quotations over 40 words: {long}"


@pytest.mark.parametrize("table", FIGURE_TABLES)
def test_every_figure_is_stated_in_its_quote_or_derived(table):
    unstated = []
    for row in data.load(table).itertuples():
        derived = isinstance(row.note, str) and row.note.startswith(DERIVED_PREFIX)
        for value in (row.low, row.high):
            if pd.notna(value) and not derived:
                if not is_stated(value, row.quote):
                    unstated.append(f"{row.id}: {value} not in {row.quote!r}")
    assert not unstated, "\n".join(unstated)


@pytest.mark.parametrize("table", FIGURE_TABLES)
def test_point_values_are_exact_or_approximate_and_bounds_are_one_sided(table):
    rows = data.load(table)
    for row in rows.itertuples():
        has_low, has_high = pd.notna(row.low), pd.notna(row.high)
        if row.qualifier == "lower bound":
            assert has_low, row.id
        elif row.qualifier == "upper bound":
            assert has_high and not has_low, row.id
        elif row.qualifier == "range":
            assert has_low and has_high and row.low < row.high, row.id
        elif row.qualifier in ("exact", "approximate"):
            assert has_low and has_high and row.low == row.high, row.id


def test_fiction_is_flagged_everywhere_and_only_there():
    fiction = set(data.load("documents").query("is_fiction")["id"])
    assert fiction == {"000"}
    for table in QUOTED_TABLES:
        rows = data.load(table)
        assert (rows["is_fiction"] == rows["doc"].isin(fiction)).all(), table
    assert (data.load("counterfactual")["doc"] == "000").all()


def test_counterfactual_claims_point_at_real_rows():
    known = {
        i
        for t in ("party_membership", "industrial_output", "mortality", "society")
        for i in data.load(t)["id"]
    } | set(data.load("reference")["id"])
    for row in data.load("counterfactual").dropna(subset=["compare_with"]).itertuples():
        missing = set(row.compare_with.split(";")) - known
        assert not missing, f"{row.id} compares with unknown rows {missing}"


def test_dating_errors_carry_the_correct_date_and_how_we_know():
    events = data.load("timeline")
    flagged = events[events["dating_error"]]
    assert len(flagged) >= 2
    assert flagged["correct_date"].notna().all()
    assert flagged["note"].notna().all()
    assert events.loc[~events["dating_error"], "correct_date"].isna().all()


def test_cite_names_the_document_and_quotes_it():
    row = data.load("mortality").iloc[0]
    line = data.cite(row)
    assert row["quote"] in line and row["doc"] in line and row["attributed_to"] in line


def test_catalogue_row_counts_match_the_tables():
    import re

    text = (data.datasets_dir() / "README.md").read_text("utf-8")
    stated = {m[0]: int(m[1]) for m in re.findall(r"^\| `(\w+)` \|.*\| (\d+) \|", text, re.M)}
    assert stated == data.check_all()


def test_disagreements_are_separate_rows_a_lesson_can_plot():
    members = data.load("party_membership").query("measure == 'members'")
    early_1917 = members[members["period"].str.startswith("1917")]
    assert set(early_1917["doc"]) >= {"001", "003"}
    in_1922 = members[members["period"].str.startswith("1922")]
    assert sorted(in_1922["low"].dropna()) == [650000, 700000]
    assert 1558852 in set(members.loc[members["period"] == "1939", "low"])
    deaths = data.load("mortality")
    camps = deaths[deaths["measure"] == "camp_population"]
    assert camps["doc"].nunique() >= 2 and len(camps) >= 3
    assert {"famine_deaths", "famine_affected"} <= set(deaths["measure"])
    affected = deaths[deaths["measure"] == "famine_affected"]
    assert (
        not affected["quote"].isin(deaths.loc[deaths["measure"] == "famine_deaths", "quote"]).any()
    )
