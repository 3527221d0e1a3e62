"""Unit tests of answer scoring (course.scoring) and the students' checks (course.feedback)."""

from __future__ import annotations

import math

import pytest

from course.feedback import check
from course.scoring import METHODS, AnswerTypeError, award, normalise, plain, score


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


KEYS = {
    "exact": {"method": "exact", "expected": "Kravchenko", "points": 1},
    "number": {"method": "number", "expected": 7.2, "tolerance": 0.1, "points": 2},
    "choice": {"method": "choice", "expected": ["A", "a."], "points": 1},
    "set": {"method": "set", "expected": ["hero", "butcher"], "points": 2},
    "fields": {"method": "fields", "expected": {"doc": "001", "year": 1935}, "points": 2},
    "labels": {"method": "labels", "expected": {"a": "fact", "b": "value_judgement"}, "points": 2},
    "order": {"method": "order", "expected": ["nep", "plan", "crash"], "points": 3},
}
RIGHT = {
    "exact": "Kravchenko",
    "number": 7.2,
    "choice": "A",
    "set": ["hero", "butcher"],
    "fields": {"doc": "001", "year": 1935},
    "labels": {"a": "fact", "b": "value_judgement"},
    "order": ["nep", "plan", "crash"],
}


def test_every_method_has_a_case():
    assert set(KEYS) == set(METHODS)


@pytest.mark.parametrize("method", METHODS)
def test_right_answers_earn_full_points(method):
    assert score(RIGHT[method], KEYS[method]) == 1.0
    assert award(RIGHT[method], KEYS[method]) == KEYS[method]["points"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "cheat",
    [AlwaysEqual(), SneakyStr("x"), SneakyInt(7), SneakyDict(), SneakyList(["hero", "butcher"])],
    ids=["always-equal", "str-subclass", "int-subclass", "dict-subclass", "list-subclass"],
)
def test_objects_that_merely_look_right_score_zero(method, cheat):
    assert score(cheat, KEYS[method]) == 0.0
    assert award(cheat, KEYS[method]) == 0.0


@pytest.mark.parametrize("method", METHODS)
def test_cheats_nested_inside_containers_score_zero(method):
    nested = (
        {"doc": SneakyStr("001"), "year": 1935}
        if method in ("fields", "labels")
        else [AlwaysEqual(), "hero", "butcher"]
    )
    assert score(nested, KEYS[method]) < 1.0
    assert score({"doc": AlwaysEqual(), "year": 1935}, KEYS["fields"]) == 0.0


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("wrong", [None, 3 + 4j, {1, 2}, b"bytes", object(), print])
def test_wrong_types_score_zero_and_never_raise(method, wrong):
    assert score(wrong, KEYS[method]) == 0.0


def test_exact_normalises_case_spaces_and_curly_quotes():
    key = {"method": "exact", "expected": "Trotsky's ‘Lenin levy’"}
    assert score("  trotsky’s   'LENIN levy' ", key) == 1.0
    assert score("Trotsky", key) == 0.0


def test_number_tolerance_is_absolute_and_inclusive():
    key = KEYS["number"]
    assert score(7.3, key) == 1.0
    assert score(7.05, key) == 0.0
    assert score(7, {"method": "number", "expected": 7.0}) == 1.0
    assert score("7.2", key) == 0.0


def test_bool_is_not_a_number_and_a_number_is_not_a_bool():
    assert score(True, {"method": "number", "expected": 1}) == 0.0
    assert score(1, {"method": "exact", "expected": True}) == 0.0
    assert score(False, {"method": "fields", "expected": {"x": 0}}) == 0.0
    assert score({"x": True}, {"method": "fields", "expected": {"x": True}}) == 1.0
    assert score({"x": 1}, {"method": "fields", "expected": {"x": True}}) == 0.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_score_zero(bad):
    assert score(bad, KEYS["number"]) == 0.0
    assert score({"doc": "001", "year": bad}, KEYS["fields"]) == 0.0
    assert score(bad, {"method": "number", "expected": 1.0, "tolerance": math.inf}) == 0.0


def test_choice_accepts_any_listed_spelling():
    assert score("a.", KEYS["choice"]) == 1.0
    assert score("B", KEYS["choice"]) == 0.0
    assert score(2.17, {"method": "choice", "expected": [2.17, 2.31], "tolerance": 0.01}) == 1.0


def test_set_gives_partial_credit_by_f1():
    key = KEYS["set"]
    assert score(["tsar", "hero"], key) == 0.5
    assert score(["hero"], key) == round(2 * 1 * 0.5 / 1.5, 4)
    assert score(["hero", "butcher", "tsar", "king"], key) == round(2 * 0.5 * 1 / 1.5, 4)
    assert score(["HERO ", "Butcher"], key) == 1.0
    assert score([], key) == 0.0
    assert score("hero butcher", key) == 0.0
    assert award(["tsar", "hero"], key) == 1.0


def test_set_counts_repeated_items_once():
    assert score(["hero", "hero", "hero"], KEYS["set"]) == score(["hero"], KEYS["set"])


def test_fields_score_key_by_key_with_tolerance():
    key = {"method": "fields", "expected": {"low": 2.358, "high": 2.773}, "tolerance": 0.02}
    assert score({"low": 2.36, "high": 2.77}, key) == 1.0
    assert score({"low": 2.36, "high": 3.5}, key) == 0.5
    assert score({"LOW": 2.36}, key) == 0.5
    assert score({"low": "2.36", "high": "2.77"}, key) == 0.0
    assert score([2.36, 2.77], key) == 0.0
    assert award({"doc": "001", "year": 1934}, KEYS["fields"]) == 1.0


def test_labels_give_one_credit_per_item():
    key = {
        "method": "labels",
        "expected": {"a": "fact", "b": "fact", "c": "counterfactual", "d": "x"},
    }
    assert score({"a": "fact", "b": "FACT", "c": "fact", "d": "y"}, key) == 0.5
    assert score({"a": "fact"}, key) == 0.25
    assert (
        score({"a": "fact", "b": "fact", "c": "counterfactual", "d": "x", "e": "extra"}, key) == 1.0
    )


def test_labels_use_no_numeric_tolerance():
    key = {"method": "labels", "expected": {"a": 1}, "tolerance": 5}
    assert score({"a": 3}, key) == 0.0
    assert score({"a": 1}, key) == 1.0


def test_order_credits_pairs_in_the_right_relative_order():
    key = KEYS["order"]
    assert score(["nep", "crash", "plan"], key) == round(2 / 3, 4)
    assert score(["crash", "plan", "nep"], key) == 0.0
    assert score(["nep", "plan"], key) == round(1 / 3, 4)
    assert score(["NEP", "plan", "crash", "extra"], key) == 1.0
    assert score("nep plan crash", key) == 0.0
    assert score(["a"], {"method": "order", "expected": ["a"]}) == 0.0


def test_award_scales_and_rounds():
    key = {"method": "set", "expected": ["a", "b", "c"], "points": 3}
    assert award(["a"], key) == round(score(["a"], key) * 3, 2) == 1.5
    assert isinstance(award(["a"], key), float)


@pytest.mark.parametrize("key", [{"method": "fuzzy", "expected": 1}, {"expected": 1}])
def test_malformed_key_is_the_authors_error(key):
    with pytest.raises(ValueError, match="unknown scoring method"):
        score(1, key)


def test_plain_rebuilds_builtins_and_refuses_the_rest():
    assert plain({"a": (1, [2.5, "x"]), 3: None}) == {"a": [1, [2.5, "x"]], 3: None}
    for bad in ({1, 2}, {(1, 2): 3}, SneakyStr("x"), AlwaysEqual(), math.nan):
        with pytest.raises(AnswerTypeError):
            plain(bad)


def test_normalise():
    assert normalise("  “Lenin”\u00a0 Levy ") == '"lenin" levy'
    assert normalise(1987) == "1987"


# ---------------------------------------------------------------------------------- feedback


def test_check_accepts_a_well_formed_answer(capsys):
    check("growth", 7.2, kind="number")
    assert "well formed" in capsys.readouterr().out


@pytest.mark.parametrize("blank", [None, ...])
def test_check_says_not_answered(blank):
    with pytest.raises(AssertionError, match="not answered yet"):
        check("growth", blank, kind="number")


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("7.2", "number"),
        (True, "number"),
        (7, "text"),
        ({"a": 1}, "list"),
        ([1], "dict"),
        (1, "bool"),
    ],
)
def test_check_rejects_the_wrong_kind(answer, kind):
    with pytest.raises(AssertionError, match="should be"):
        check("answer", answer, kind=kind)


@pytest.mark.parametrize("cheat", [AlwaysEqual(), SneakyStr("A"), {1, 2}, math.nan])
def test_check_rejects_objects_and_non_finite_numbers(cheat):
    with pytest.raises(AssertionError, match="Write the value itself"):
        check("answer", cheat, kind="text")


def test_check_keys_options_and_size():
    with pytest.raises(AssertionError, match="missing \\['date'\\]"):
        check("card", {"author": "x"}, kind="dict", keys=["author", "date"])
    with pytest.raises(AssertionError, match="unexpected \\['colour'\\]"):
        check("card", {"author": "x", "colour": "red"}, kind="dict", keys=["author"])
    check("card", {"Author": "x"}, kind="dict", keys=["author"])
    with pytest.raises(AssertionError, match="not among the allowed values"):
        check("pick", ["A", "Z"], kind="list", options=["A", "B"])
    with pytest.raises(AssertionError, match="not among the allowed values"):
        check("labels", {"a": "maybe"}, kind="dict", options=["fact", "interpretation"])
    with pytest.raises(AssertionError, match="should have 3 items"):
        check("order", ["a", "b"], kind="list", size=3)


def test_check_hints_fire_only_on_the_foreseen_mistake(capsys):
    hints = [(23600, "That is February's figure."), (["a", "b"], "Reconsider b.")]
    with pytest.raises(AssertionError, match="February's figure"):
        check("members", 23_650, kind="number", hints=hints)  # within 1 %
    with pytest.raises(AssertionError, match="Reconsider b"):
        check("pick", ["B", "a"], kind="list", hints=hints)
    check("members", 240_000, kind="number", hints=hints)
    check("members", 23_600.0 * 1.02, kind="number", hints=hints)
    check("pick", ["a"], kind="list", hints=hints)
    assert capsys.readouterr().out.count("well formed") == 3


def test_check_never_sees_or_states_the_expected_value():
    """check() takes no key, so its messages are built only from the name, form and hints."""
    import inspect

    assert "key" not in inspect.signature(check).parameters
    expected = 78.57
    for answer in (None, "78.57", True, 11, [78.57]):
        with pytest.raises(AssertionError) as failure:
            check("growth", answer, kind="number", hints=[(11, "That is a gap in points.")])
        assert str(expected) not in str(failure.value)
