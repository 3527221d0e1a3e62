"""The data package is valid, and every figure is traceable to the exact words of a document."""

from __future__ import annotations

import hashlib
import re

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
    assert set(counts) == {"documents", *QUOTED_TABLES, "reference", "errata"}
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


# ----------------------------------------------------------------------------- errata

# (doc, a substring of the claim, reference ids that settle it or None): each error the reviewers
# found must have an errata row.
KNOWN_ERRORS = [
    ("001", "six-member Politbureau", None),
    ("001", "After 10 days", {"R73"}),
    ("001", "all were condemned to be shot", None),
    ("004", "Of his four children", None),
    ("004", "Trotsky wrote in 1936", None),
    ("002", "nearly a 2/3 majority", {"R80", "R82"}),
    ("002", "less than a fourth of the delegates", None),
    ("001", "'Labour Books', were introduced in 1931", {"R79"}),
    ("001", "In 1928, prompted by the Opposition", {"R76", "R77"}),
    ("001", "only once a year by 1918", {"R74"}),
    ("001", "1,000,000,000,000,000 percent", None),
    ("001", "more tractors than any other country", None),
    ("002", "Among the fifteen other members", None),
    ("002", "Over 90% of its population", None),
    ("002", "75 years of age", None),
    ("003", "more than 97 percent of the party", None),
    ("003", "a few hundred miles from China", None),
    ("003", "the entire leading staff", {"R75"}),
    ("001", "(formed on January 30, 1922)", {"R69"}),
    ("001", "the 17th CP congress in 1935", {"R70"}),
    ("003", "When in 1928 a new disaster struck", {"R78"}),
]

HEDGES = ("not checked", "other accounts differ", "accounts differ")


def _settlers(entry) -> set[str]:
    return set(entry.settled_by.split(";")) if isinstance(entry.settled_by, str) else set()


def test_errata_settlers_exist_and_agree_with_status():
    errata = data.load("errata")
    reference = set(data.load("reference")["id"])
    for entry in errata.itertuples():
        assert _settlers(entry) <= reference, f"{entry.id}: unknown reference {entry.settled_by}"
        assert (entry.status == "settled") == bool(_settlers(entry)), entry.id


def test_errata_claims_are_verbatim_and_point_at_rows_that_point_back(seeds):
    texts = {
        d["id"]: (seeds / d["file"]).read_text("utf-8")
        for _, d in data.load("documents").iterrows()
    }
    for entry in data.load("errata").itertuples():
        assert entry.claim in texts[entry.doc], f"{entry.id}: claim not verbatim"
        assert len(entry.claim.split()) <= 40, entry.id
        row = data.load(entry.table).set_index("id").loc[entry.row]
        assert row["doc"] == entry.doc, entry.id
        assert entry.id in row["note"], f"{entry.row}'s note does not say 'see errata {entry.id}'"


@pytest.mark.parametrize(("doc", "claim", "settled_by"), KNOWN_ERRORS)
def test_each_known_error_has_an_errata_row(doc, claim, settled_by):
    errata = data.load("errata")
    rows = [e for e in errata.itertuples() if e.doc == doc and claim in e.claim]
    assert rows, f"no errata row for doc {doc}: {claim!r}"
    if settled_by is None:
        assert all(e.status == "unsettled" for e in rows), claim
        said = ("no row", "does not give")  # the reference lacks the row, or the figure needed
        assert all(any(w in f"{e.correction} {e.note}" for w in said) for e in rows), claim
    else:
        assert any(e.status == "settled" and _settlers(e) == settled_by for e in rows), claim


def test_unsettled_errata_say_what_would_settle_them():
    for entry in data.load("errata").query("status == 'unsettled'").itertuples():
        text = f"{entry.correction} {entry.note}"
        assert "would settle" in text, f"{entry.id}: does not say what would settle it"


def test_settled_errata_carry_no_hedge():
    for entry in data.load("errata").query("status == 'settled'").itertuples():
        text = f"{entry.correction} {entry.note}".lower()
        assert not any(h in text for h in HEDGES), entry.id


def test_no_note_hedges_a_claim_that_an_erratum_settles():
    settled = data.load("errata").query("status == 'settled'")
    for entry in settled.itertuples():
        note = data.load(entry.table).set_index("id").loc[entry.row, "note"].lower()
        assert not any(h in note for h in HEDGES), (
            f"{entry.row} hedges a settled claim ({entry.id})"
        )
        assert all(r in note.upper() for r in _settlers(entry)), (
            f"{entry.row} does not cite its settler"
        )


def test_no_note_anywhere_says_not_checked():
    hedged = []
    for table in QUOTED_TABLES:
        for row in data.load(table).dropna(subset=["note"]).itertuples():
            if any(h in row.note.lower() for h in HEDGES):
                hedged.append(row.id)
    assert not hedged, f"notes still hedge instead of correcting: {hedged}"


def test_labour_books_and_five_year_plan_are_flagged_with_their_reference_rows():
    events = data.load("timeline").set_index("id")
    labour, plan = events.loc["tl-108"], events.loc["tl-107"]
    assert (
        labour["dating_error"] and labour["correct_date"] == "1938-12" and "R79" in labour["note"]
    )
    assert plan["dating_error"] and plan["correct_date"].startswith("1929-04")
    assert "R76" in plan["note"] and "R77" in plan["note"]


def test_timeline_agrees_with_the_chronology_rows():
    """A document date that contradicts a chronology row is flagged and cites that row."""
    events = data.load("timeline").set_index("id")
    for row, ref in [
        ("tl-066", "R69"),
        ("tl-126", "R70"),
        ("tl-224", "R78"),
        ("tl-108", "R79"),
        ("tl-107", "R76"),
    ]:
        assert events.loc[row, "dating_error"], row
        assert ref in events.loc[row, "note"], f"{row} does not cite {ref}"
    assert (
        events.loc["tl-126", "correct_date"]
        == data.load("reference").set_index("id").loc["R70", "period"]
    )
    for row in ("tl-096", "tl-255"):  # May 1926 agrees with R73
        assert not events.loc[row, "dating_error"] and "R73" in events.loc[row, "note"]
    assert not events.loc["tl-110", "dating_error"] and "R78" in events.loc["tl-110", "note"]


def test_stale_reference_notes_are_gone():
    deaths = data.load("mortality").set_index("id")
    for row in ("mo-004", "mo-036", "mo-037"):
        note = deaths.loc[row, "note"]
        assert "R17" in note and "1939)" not in note and "before the war" in note, row
    assert "R11+R12 (" not in deaths.loc["mo-003", "note"]
    assert "R43" in deaths.loc["mo-003", "note"]
    for table in FIGURE_TABLES:
        for row in data.load(table).dropna(subset=["note"]).itertuples():
            assert "6.5 times" not in row.note, f"{row.id} still quotes R18 as 6.5 times"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("settled_by", "R10", "column 'settled_by': unknown reference id"),
        ("status", "unsettled", "column 'status': status disagrees with settled_by"),
        ("row", "pm-999", "column 'row': unknown row"),
        ("row", "pm-040", "column 'doc': row from another document"),
        ("claim", "words no document contains", "column 'claim': quotation not in the document"),
    ],
)
def test_a_broken_erratum_fails_loudly(dataset_copy, seeds, column, value, message):
    import csv

    path = dataset_copy / "errata.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    first = rows[0]  # er-001: pm-007, doc 001, settled by R74
    assert first["status"] == "settled" and first["table"] == "party_membership"
    first[column] = value
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(first), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(data.DataError, match=rf"errata.csv, row 1, {re.escape(message)}"):
        data.load("errata")
