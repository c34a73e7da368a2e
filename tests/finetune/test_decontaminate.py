"""Decontamination: benchmark text in a training row is found (pasted, renamed, commented, in Go and C++), and
ordinary code is not."""

from __future__ import annotations

import textwrap

import pytest

from codeforge.finetune.decontaminate import BENCHMARKS, PLACEHOLDER, Index, Match, python_tokens, split
from codeforge.finetune import decontaminate
from codeforge.tasks import load_tasks


@pytest.fixture(scope="module")
def index() -> Index:
    return Index.from_benchmarks()


@pytest.fixture(scope="module")
def mbpp():
    return {task.task_id: task for task in load_tasks("mbpp")}


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


UNRELATED = code('''
    import csv
    from pathlib import Path


    class Ledger:
        """Balances per account, read from a CSV export of the bank."""

        def __init__(self, path: Path) -> None:
            self.balances: dict[str, float] = {}
            with path.open(newline="") as handle:
                for row in csv.DictReader(handle):
                    amount = float(row["amount"].replace(",", "."))
                    self.balances[row["account"]] = self.balances.get(row["account"], 0.0) + amount

        def overdrawn(self) -> list[str]:
            return sorted(name for name, balance in self.balances.items() if balance < 0)
''')

BUBBLE_SORT = code('''
    def order(items):
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                if items[i] > items[j]:
                    items[i], items[j] = items[j], items[i]
        return items
''')


def test_a_humaneval_prompt_pasted_into_a_row_is_caught(index):
    prompt = load_tasks("humaneval", task_ids=["HumanEval/0"])[0].prompt
    row = f"Here's a task I've been given, can you help?\n\n{prompt}\nThanks!"

    found = index.match(row)

    assert found == Match("humaneval", "HumanEval/0", "substring", found.evidence)
    assert "closer to each other than given threshold" in found.evidence


def test_a_renamed_and_commented_copy_of_a_canonical_solution_is_caught(index):
    # HumanEval/0's canonical solution with every name changed and comments added.
    row = code('''
        def any_pair_too_close(values, limit):
            # compare every pair of positions
            for a, x in enumerate(values):
                for b, y in enumerate(values):
                    if a != b:  # not the same element
                        gap = abs(x - y)
                        if gap < limit:
                            return True  # found one

            return False
    ''')

    found = index.match(row)

    assert (found.benchmark, found.task_id, found.how) == ("humaneval", "HumanEval/0", "substring")
    assert found.evidence.startswith(f"for {PLACEHOLDER} , {PLACEHOLDER} in enumerate (")


def test_part_of_a_renamed_solution_is_caught_by_its_10_grams(index):
    # The first half of HumanEval/156's solution, renamed, then a loop of its own: no piece matches whole.
    row = code('''
        def to_roman(value):
            values = [1, 4, 5, 9, 10, 40, 50, 90, 100, 400, 500, 900, 1000]
            letters = ["I", "IV", "V", "IX", "X", "XL", "L", "XC", "C", "CD", "D", "CM", "M"]
            out = []
            for v, s in reversed(list(zip(values, letters))):
                count, value = divmod(value, v)
                out.append(s * count)
            return "".join(out)
    ''')

    found = index.match(row)

    assert (found.benchmark, found.task_id, found.how) == ("humaneval", "HumanEval/156", "10-gram")


def test_an_unrelated_program_and_common_code_are_kept(index):
    assert index.match(UNRELATED) is None
    assert index.match(BUBBLE_SORT) is None
    assert index.match("return a + b") is None
    assert index.match("def add(a, b):\n    return a + b\n") is None


def test_a_10_gram_of_boilerplate_does_not_count():
    # Both indexed tasks hold the same loop; only what one task alone holds is evidence.
    loop = "for i in range(len(xs)):\n    total = total + f(xs[i])\n"
    index = Index.from_texts([
        ("bench", "t/1", loop + 'print("alpha beta", sorted(total), reversed(xs), hash(total), min(xs), abs(total))\n'),
        ("bench", "t/2", loop + "return max(total, 0)\n"),
    ])

    assert index.match("for k in range(len(ys)):\n    acc = acc + g(ys[k])\n") is None
    found = index.match('print("alpha beta", sorted(y), reversed(z), hash(y), min(z), abs(y))\n')
    assert (found.task_id, found.how) == ("t/1", "10-gram")


def test_an_mbpp_test_split_solution_is_caught(index, mbpp):
    found = index.match(mbpp["Mbpp/11"].reference)

    assert (found.benchmark, found.task_id, found.how) == ("mbpp", "Mbpp/11", "substring")


def test_mbpp_train_validation_and_prompt_splits_are_not_indexed(mbpp):
    index = Index.from_benchmarks(["mbpp"])
    matched = {number: index.match(task.reference) for number, task in
               ((int(task_id.split("/")[1]), task) for task_id, task in mbpp.items())}

    # Test-split solutions are found (measured: 481 of 500; the rest are one-line formulas such as
    # `return min(xs)`); no task outside the split is ever named.
    assert sum(matched[number] is not None for number in range(11, 511)) >= 475
    named = {int(found.task_id.split("/")[1]) for found in matched.values() if found}
    assert named <= set(range(11, 511))
    # Two train solutions with no twin in the test split: indexed, they would find themselves.
    assert matched[601] is None and matched[2] is None


def test_few_mbpp_train_solutions_are_flagged(index, mbpp):
    """MBPP's train split is training data: its solutions must mostly pass the check. Measured: 39 of 374
    flagged. One against another benchmark: Mbpp/958 (integer to Roman numerals) shares its value table with
    HumanEval-X CPP/156. The rest against MBPP's own test split, which repeats train tasks (Mbpp/608 is
    Mbpp/67, Mbpp/647 and 956 are Mbpp/15, Mbpp/704 is Mbpp/248) and templates: the regex tasks' "found a
    match!" / "not matched!", the tuple tasks' `res = tuple(... for ele1, ele2 in zip(test_tup1, test_tup2))`."""
    train = [task for task_id, task in mbpp.items() if 601 <= int(task_id.split("/")[1]) <= 974]
    flagged = [(task.task_id, found) for task in train if (found := index.match(task.reference))]

    against_others = [(task_id, found.task_id) for task_id, found in flagged if found.benchmark != "mbpp"]
    assert against_others == [("Mbpp/958", "CPP/156")]
    assert len(flagged) <= 0.12 * len(train)


def test_a_humaneval_x_go_solution_with_renamed_identifiers_is_caught(index):
    row = code('''
        package main

        import "math"

        // TooClose reports whether two of xs are nearer than eps.
        func TooClose(xs []float64, eps float64) bool {
            for a := 0; a < len(xs); a++ {
                for b := a + 1; b < len(xs); b++ {
                    /* the distance of one pair */
                    var d float64 = math.Abs(xs[a] - xs[b])
                    if d < eps {
                        return true
                    }
                }
            }
            return false
        }
    ''')

    found = index.match(row)

    assert (found.benchmark, found.task_id, found.how) == ("humaneval-x-go", "Go/0", "substring")


def test_a_humaneval_x_cpp_solution_with_renamed_identifiers_is_caught(index):
    row = code('''
        #include <vector>
        #include <cmath>
        using namespace std;
        // true when two values are nearer than t
        bool near_pair(vector<float> v, float t) {
            int p, q;  /* positions */
            for (p = 0; p < v.size(); p++)
                for (q = p + 1; q < v.size(); q++)
                    if (abs(v[p] - v[q]) < t)
                        return true;

            return false;
        }
    ''')

    found = index.match(row)

    assert (found.benchmark, found.task_id, found.how) == ("humaneval-x-cpp", "CPP/0", "substring")


def test_split_keeps_order_and_pairs_each_dropped_row_with_its_match(index, mbpp):
    prompt = load_tasks("humaneval", task_ids=["HumanEval/0"])[0].prompt
    rows = [{"id": 1, "text": UNRELATED}, {"id": 2, "text": prompt}, {"id": 3, "text": BUBBLE_SORT},
            {"id": 4, "text": mbpp["Mbpp/11"].reference}, {"id": 5, "text": "return a + b"}]

    kept, dropped = split(rows, index, text_of=lambda row: row["text"])

    assert [row["id"] for row in kept] == [1, 3, 5]
    assert [(row["id"], found.task_id) for row, found in dropped] == [(2, "HumanEval/0"), (4, "Mbpp/11")]
    assert all(isinstance(found, Match) for _, found in dropped)


def test_code_inside_prose_normalises_as_the_code_alone():
    """Text `tokenize` cannot read (prose around code) goes through the regex lexer: it must give the same
    tokens as `tokenize` on every shipped Python benchmark text, or a pasted solution would slip through."""
    different = []
    for name in ("humaneval", "humaneval+", "mbpp"):
        for task in load_tasks(name):
            for text in (task.prompt, task.reference, getattr(task, "test", "")):
                lexed = decontaminate._lex(decontaminate._PYTHON_TOKEN, text, decontaminate._PYTHON_KEPT)
                if lexed != python_tokens(text):
                    different.append(task.task_id)
    assert different == []


def test_normalising_drops_comments_and_names_but_keeps_keywords_builtins_attributes_and_strings():
    tokens = python_tokens('def f(xs):  # sum\n    return sum(xs) + math.pi + len("A  B")\n')

    assert tokens == ["def", "_", "(", "_", ")", ":", "return", "sum", "(", "_", ")", "+", "_", ".", "pi", "+",
                      "len", "(", '"a b"', ")"]
    assert python_tokens("it's prose, not code: (") == decontaminate._lex(
        decontaminate._PYTHON_TOKEN, "it's prose, not code: (", decontaminate._PYTHON_KEPT)


def test_the_shipped_benchmarks_are_the_ones_indexed():
    from codeforge.tasks import DATASET_NAMES

    # mbpp-sanitized's tasks are MBPP's, in every split; go-unittest's functions and reference tests are
    # humaneval-x-go's solutions and tests, indexed with it
    assert set(BENCHMARKS) == set(DATASET_NAMES) - {"mbpp-sanitized", "go-unittest"}
