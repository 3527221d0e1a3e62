"""Unit tests of answer scoring (course.scoring) and the students' checks (course.feedback)."""

from __future__ import annotations

import math

import pytest

from course.feedback import check, self_check
from course.scoring import (
    METHODS,
    AnswerTypeError,
    award,
    conforms,
    diagnose,
    kendall_tau,
    normalise,
    plain,
    score,
)


class AlwaysEqual:
    """An object that claims to equal anything: the classic way to fool an ``==`` test."""

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


class SneakyStr(str):
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


class SneakyInt(int):
    def __sub__(self, other):
        return 0

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


class SneakyDict(dict):
    pass


class SneakyList(list):
    pass


OPTIONS = ["hero", "butcher", "tsar", "king", "worker", "kulak"]
FORMS = {
    "exact": {"kind": "text"},
    "number": {"kind": "number"},
    "choice": {"kind": "text", "options": ["A", "B", "C", "D"]},
    "set": {"kind": "list", "options": OPTIONS},
    "fields": {
        "kind": "dict",
        "keys": ["doc", "year"],
        "values": {"doc": "text", "year": "number"},
    },
    "labels": {"kind": "dict", "keys": ["a", "b", "c", "d"], "options": ["fact", "opinion"]},
    "order": {"kind": "list", "options": ["nep", "plan", "crash", "purge"], "size": 4},
}
KEYS = {
    "exact": {"method": "exact", "expected": "Kravchenko", "points": 1},
    "number": {"method": "number", "expected": 7.2, "tolerance": 0.05, "points": 2},
    "choice": {"method": "choice", "expected": "A", "points": 1},
    "set": {"method": "set", "expected": ["hero", "butcher"], "points": 2},
    "fields": {"method": "fields", "expected": {"doc": "001", "year": 1935}, "points": 2},
    "labels": {
        "method": "labels",
        "expected": {"a": "fact", "b": "fact", "c": "opinion", "d": "opinion"},
        "points": 2,
    },
    "order": {"method": "order", "expected": ["nep", "plan", "crash", "purge"], "points": 3},
}
RIGHT = {
    "exact": "Kravchenko",
    "number": 7.2,
    "choice": "A",
    "set": ["hero", "butcher"],
    "fields": {"doc": "001", "year": 1935},
    "labels": {"a": "fact", "b": "fact", "c": "opinion", "d": "opinion"},
    "order": ["nep", "plan", "crash", "purge"],
}


def s(method, answer):
    return score(answer, KEYS[method], FORMS[method])


def test_every_method_has_a_case():
    assert set(KEYS) == set(METHODS)


@pytest.mark.parametrize("method", METHODS)
def test_right_answers_earn_full_points(method):
    assert s(method, RIGHT[method]) == 1.0
    assert award(RIGHT[method], FORMS[method], KEYS[method]) == KEYS[method]["points"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "cheat",
    [AlwaysEqual(), SneakyStr("x"), SneakyInt(7), SneakyDict(), SneakyList(["hero", "butcher"])],
    ids=["always-equal", "str-subclass", "int-subclass", "dict-subclass", "list-subclass"],
)
def test_objects_that_merely_look_right_score_zero(method, cheat):
    assert s(method, cheat) == 0.0
    assert award(cheat, FORMS[method], KEYS[method]) == 0.0


def test_cheats_nested_inside_containers_score_zero():
    assert s("fields", {"doc": SneakyStr("001"), "year": 1935}) == 0.0
    assert s("set", [AlwaysEqual(), "hero", "butcher"]) == 0.0


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("wrong", [None, 3 + 4j, {1, 2}, b"bytes", object(), print])
def test_wrong_types_score_zero_and_never_raise(method, wrong):
    assert s(method, wrong) == 0.0


def test_exact_normalises_case_spaces_and_curly_quotes():
    key = {"method": "exact", "expected": "Trotsky's ‘Lenin levy’", "points": 1}
    assert score("  trotsky’s   'LENIN levy' ", key, {"kind": "text"}) == 1.0
    assert score("Trotsky", key, {"kind": "text"}) == 0.0


def test_number_tolerance_is_absolute_inclusive_and_float_safe():
    assert s("number", 7.25) == 1.0  # exactly at the tolerance
    assert s("number", 7.26) == 0.0
    assert s("number", "7.2") == 0.0
    # 53.8 against 53.846 at tolerance 0.05: the rounded answer always passes
    key = {"method": "number", "expected": 53.846, "tolerance": 0.05, "points": 2}
    assert award(53.8, {"kind": "number"}, key) == 2.0
    key = {"method": "number", "expected": 0.15, "tolerance": 0.05, "points": 1}
    assert award(0.1, {"kind": "number"}, key) == 1.0  # 0.15 - 0.1 > 0.05 in binary floats


def test_bool_is_not_a_number_and_a_number_is_not_a_bool():
    assert score(True, {"method": "number", "expected": 1, "points": 1}, {"kind": "number"}) == 0
    assert s("fields", {"doc": "001", "year": True}) == 0.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_score_zero(bad):
    assert s("number", bad) == 0.0
    assert s("fields", {"doc": "001", "year": bad}) == 0.0


def test_choice_must_be_an_option():
    assert s("choice", "a") == 1.0
    assert s("choice", "B") == 0.0
    assert s("choice", "Z") == 0.0


def test_set_subtracts_wrong_picks_so_guessing_earns_nothing():
    assert s("set", OPTIONS) == 0.0  # select all
    assert s("set", []) == 0.0  # select none
    assert s("set", ["hero"]) == 0.5
    assert s("set", ["hero", "tsar"]) == 0.25  # half the right ones, a quarter of the wrong
    assert s("set", ["hero", "butcher", "tsar"]) == 0.75
    assert s("set", ["HERO ", "Butcher"]) == 1.0
    assert s("set", ["hero", "hero"]) == 0.0  # a repeated item breaks the form
    assert s("set", ["hero", "butcher", "emperor"]) == 0.0  # not an option


def test_fields_score_key_by_key_and_the_form_fixes_the_keys():
    assert s("fields", {"doc": "001", "year": 1934}) == 0.5
    assert s("fields", {"DOC": "001", "year": 1935}) == 1.0
    assert s("fields", {"doc": "001", "year": 1935, "extra": 1}) == 0.0
    assert s("fields", {"doc": "001"}) == 0.0
    assert s("fields", {"doc": "001", "year": "1935"}) == 0.0


def test_labels_are_corrected_for_the_commonest_label():
    assert s("labels", {"a": "fact", "b": "fact", "c": "fact", "d": "fact"}) == 0.0
    assert s("labels", {"a": "opinion", "b": "opinion", "c": "opinion", "d": "opinion"}) == 0.0
    assert s("labels", {"a": "fact", "b": "fact", "c": "opinion", "d": "fact"}) == 0.5
    assert s("labels", {"a": "fact", "b": "fact", "c": "opinion", "d": "maybe"}) == 0.0


def test_order_counts_only_agreement_above_chance():
    assert s("order", ["purge", "crash", "plan", "nep"]) == 0.0  # reversed
    assert s("order", ["plan", "nep", "crash", "purge"]) == round(4 / 6, 4)
    assert kendall_tau(["nep", "purge", "crash", "plan"], KEYS["order"]["expected"]) == 0.0
    assert s("order", ["nep", "plan", "crash"]) == 0.0  # wrong size


def test_conforms_names_what_is_wrong():
    assert "not answered" in conforms(None, {"kind": "number"})
    assert "keys" in conforms({"doc": "001"}, FORMS["fields"])
    assert "should be a number" in conforms({"doc": "001", "year": "x"}, FORMS["fields"])
    assert conforms(RIGHT["fields"], FORMS["fields"]) is None


@pytest.mark.parametrize(
    ("key", "form", "message"),
    [
        ({"method": "fuzzy", "expected": 1, "points": 1}, {"kind": "number"}, "unknown scoring"),
        ({"method": "set", "expected": ["a"], "points": 1}, {"kind": "list"}, "wrong option"),
        ({"method": "number", "expected": "7", "points": 1}, {"kind": "number"}, "own form"),
        ({"method": "order", "expected": ["a", "b", "c"], "points": 1}, {"kind": "list"}, "size"),
    ],
)
def test_malformed_key_is_the_authors_error(key, form, message):
    with pytest.raises(ValueError, match=message):
        score(1, key, form)


def test_misconceptions_name_the_reasoning_error():
    key = {
        **KEYS["set"],
        "misconceptions": [
            [{"includes": "tsar"}, "A title is not a judgement."],
            [{"lacks": "hero"}, "x"],
        ],
    }
    form = FORMS["set"]
    assert diagnose(["hero", "tsar"], key, form) == "A title is not a judgement."
    assert diagnose(["butcher"], key, form) == "x"
    assert diagnose(["hero", "butcher"], key, form) is None
    every = {**key, "misconceptions": [[{"all_options": True}, "Every option."]]}
    assert diagnose(OPTIONS, every, form) == "Every option."
    assert diagnose(["hero", "tsar"], every, form) is None


def test_plain_rebuilds_builtins_and_refuses_the_rest():
    assert plain({"a": (1, [2.5, "x"]), 3: None}) == {"a": [1, [2.5, "x"]], 3: None}
    for bad in ({1, 2}, {(1, 2): 3}, SneakyStr("x"), AlwaysEqual(), math.nan):
        with pytest.raises(AnswerTypeError):
            plain(bad)


def test_normalise():
    assert normalise("  “Lenin”\u00a0 Levy ") == '"lenin" levy'
    assert normalise(1987) == "1987"


# ---------------------------------------------------------------------------------- feedback


def test_check_accepts_a_well_formed_answer_and_returns_its_form(capsys):
    assert check("growth", 7.2, kind="number") == {"kind": "number"}
    assert "well formed" in capsys.readouterr().out


@pytest.mark.parametrize("blank", [None, ...])
def test_check_says_not_answered(blank):
    with pytest.raises(AssertionError, match="not answered yet"):
        check("growth", blank, kind="number")


@pytest.mark.parametrize(
    ("answer", "kind"),
    [("7.2", "number"), (True, "number"), (7, "text"), ({"a": 1}, "list"), ([1], "dict")],
)
def test_check_rejects_the_wrong_kind(answer, kind):
    with pytest.raises(AssertionError, match="should be"):
        check("answer", answer, kind=kind)


@pytest.mark.parametrize("cheat", [AlwaysEqual(), SneakyStr("A"), {1, 2}, math.nan])
def test_check_rejects_objects_and_non_finite_numbers(cheat):
    with pytest.raises(AssertionError, match="Write the value itself"):
        check("answer", cheat, kind="text")


def test_check_keys_options_size_and_value_kinds():
    with pytest.raises(AssertionError, match="missing \\['date'\\]"):
        check("card", {"author": "x"}, kind="dict", keys=["author", "date"])
    with pytest.raises(AssertionError, match="unexpected \\['colour'\\]"):
        check("card", {"author": "x", "colour": "red"}, kind="dict", keys=["author"])
    with pytest.raises(AssertionError, match="should be a string"):
        check("card", {"stated": 1928}, kind="dict", keys=["stated"], values="text")
    with pytest.raises(AssertionError, match="not among the allowed"):
        check("pick", ["A", "Z"], kind="list", options=["A", "B"])
    with pytest.raises(AssertionError, match="not among the allowed values"):
        check("labels", {"a": "maybe"}, kind="dict", options=["fact", "interpretation"])
    with pytest.raises(AssertionError, match="should have 3 items"):
        check("order", ["a", "b"], kind="list", size=3)


def test_visible_hints_warn_without_failing_and_only_on_broad_properties(capsys):
    hints = [({"below": 1}, "That looks like a fraction."), ({"all_options": True}, "All?")]
    check("share", 0.54, kind="number", hints=hints)
    check("pick", ["A", "B"], kind="list", options=["A", "B"], hints=hints)
    out = capsys.readouterr().out
    assert "fraction" in out and "All?" in out and out.count("well formed") == 2
    with pytest.raises(ValueError, match="visible hints may test only"):
        check("share", 54, kind="number", hints=[({"near": 53.8}, "leaks the key")])


def test_check_never_sees_the_key():
    import inspect

    assert "key" not in inspect.signature(check).parameters


def test_self_check_keys_stay_off_the_screen(capsys):
    self_check("start_who_wrote_001", None)
    assert "Not answered" in capsys.readouterr().out
    with pytest.raises(KeyError, match="no self-check"):
        self_check("no_such_check", 1)


def test_explain_shows_the_reasoning_only_once_answered(capsys, tmp_path):
    from course.feedback import explain

    explain("output_claims", None)
    assert "Not answered yet" in capsys.readouterr().out
    explain("output_claims", ["A", "B", "C", "D", "E", "F", "G", "H", "I"])
    out = capsys.readouterr().out
    assert out.startswith("0 of 2 points. Not quite.") and "price" in out
    explain("output_claims", ["A"], solutions=tmp_path / "absent")
    assert "explanations come with your graded feedback" in capsys.readouterr().out
