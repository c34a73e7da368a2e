"""The context of a Go function under test (codeforge.tasks.go_context), read with the real tree-sitter grammar
from small packages written into tmp_path; that the files it makes compile is shown by `go test` in the real
sandbox (tests marked docker)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codeforge.tasks import load_tasks
from codeforge.tasks.go_context import (UnitKind, context_for, functions_under_test, humaneval_x_package,
                                        package_from_files, package_units, read_package)


def write(folder: Path, files: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip("\n"))
    return folder


def package(**files):
    return package_from_files({name.replace("__", "."): textwrap.dedent(text).lstrip("\n")
                               for name, text in files.items()})


def keys(units) -> list:
    return [unit.key for unit in units]


def unit(units, key):
    return next(u for u in units if u.key == key)


# A func using a type whose method uses a const, beside declarations it does not need.
CHAIN = {
    "a.go": """
        package chain

        // Limit bounds a counter.
        const Limit = 10

        const Unused = 3

        type Counter struct {
        \tn int
        }

        func (c Counter) Full() bool {
        \treturn c.n >= Limit
        }

        func Check(c Counter) bool {
        \treturn c.Full()
        }

        func Other() int { return Unused }
    """,
}


def test_the_context_holds_the_transitive_closure_nearest_first(tmp_path):
    units = package_units(write(tmp_path / "chain", CHAIN))
    context = context_for(units, "Check")
    assert keys(context.kept) == ["Check", "Counter", "Counter.Full", "Limit"]
    assert context.complete and context.cut == ()
    assert "Unused" not in context.text and "func Other" not in context.text
    assert "// Limit bounds a counter.\nconst Limit = 10" in context.text  # with its doc comment


def test_the_file_is_ordered_package_imports_types_values_functions_and_the_target_last(tmp_path):
    context = context_for(package_units(write(tmp_path / "chain", CHAIN)), "Check")
    text = context.text
    order = [text.index(part) for part in ("package chain", "type Counter", "const Limit", "func (c Counter) Full",
                                           "func Check")]
    assert order == sorted(order)
    assert text.rstrip().endswith("return c.Full()\n}")


def test_the_budget_cuts_the_farthest_first_and_never_the_target(tmp_path):
    units = package_units(write(tmp_path / "chain", CHAIN))
    full = context_for(units, "Check")
    kept_by_budget = [keys(context_for(units, "Check", max_tokens=budget).kept)
                      for budget in range(1, full.tokens + 1)]
    order = keys(full.kept)
    for kept in kept_by_budget:
        assert kept == order[:len(kept)]    # a prefix of the nearest-first order: the farthest went first
    assert kept_by_budget[0] == ["Check"]  # the target alone, even over the budget
    assert kept_by_budget[-1] == order
    assert {len(kept) for kept in kept_by_budget} == {1, 2, 3, 4}
    one = context_for(units, "Check", max_tokens=1)
    assert keys(one.cut) == ["Counter", "Counter.Full", "Limit"] and not one.complete
    assert "func Check(c Counter) bool" in one.text and one.tokens > 1


def test_a_tokenizer_counts_the_budget(tmp_path):
    units = package_units(write(tmp_path / "chain", CHAIN))
    full = context_for(units, "Check")
    budget = len(full.text) - 1   # one character short: in words, everything would fit
    by_characters = context_for(units, "Check", max_tokens=budget, count_tokens=len)
    assert by_characters.tokens == len(by_characters.text) <= budget
    assert keys(by_characters.kept) == ["Check", "Counter", "Counter.Full"]


def test_methods_note_their_receiver_and_bring_their_type(tmp_path):
    units = package_units(write(tmp_path / "stack", {"stack.go": """
        package stack

        type Stack[T any] struct {
        \titems []T
        }

        func (s *Stack[T]) Push(v T) {
        \ts.items = append(s.items, v)
        }

        func (s *Stack[T]) Size() int { return len(s.items) }
    """}))
    push = unit(units, "Stack.Push")
    assert push.kind is UnitKind.method and push.receiver == "Stack" and push.names == ()
    assert push.references == ("Stack",)  # T is the receiver's type parameter, not a package name
    assert keys(context_for(units, push).kept) == ["Stack.Push", "Stack"]


def test_a_method_called_by_name_is_a_dependency(tmp_path):
    units = package_units(write(tmp_path / "chain", CHAIN))
    assert unit(units, "Check").references == ("Counter", "Counter.Full")


def test_a_type_brings_its_error_and_string_methods():
    units = package(**{"a__go": """
        package p

        type NotFound struct{ Name string }

        func (e *NotFound) Error() string { return e.Name + " not found" }

        func (e *NotFound) Unused() int { return 0 }

        func Find(name string) error { return &NotFound{name} }
    """}).units
    assert keys(context_for(units, "Find").kept) == ["Find", "NotFound", "NotFound.Error"]


def test_a_kept_interface_brings_its_methods_of_the_kept_types_only():
    units = package(**{"a__go": """
        package p

        type Node interface {
        \tCopy() Node
        \tPos() int
        }

        type Leaf struct{ at int }

        func (l *Leaf) Copy() Node { return &Leaf{l.at} }
        func (l *Leaf) Pos() int   { return l.at }
        func (l *Leaf) Extra() int { return 0 }

        type Other struct{}

        func (o *Other) Copy() Node { return o }
        func (o *Other) Pos() int   { return 0 }

        func NewLeaf(at int) Node { return &Leaf{at} }
    """}).units
    assert unit(units, "Node").requires == ("Copy", "Pos")
    assert keys(context_for(units, "NewLeaf").kept) == ["NewLeaf", "Node", "Leaf", "Leaf.Copy", "Leaf.Pos"]


def test_imports_are_kept_only_where_the_kept_code_uses_them(tmp_path):
    units = package_units(write(tmp_path / "text", {
        "a.go": """
            package text

            import (
            \t"fmt"
            \t"strings"
            )

            func Shout(s string) string { return strings.ToUpper(s) + suffix() }

            func Show(x int) string { return fmt.Sprint(x) }
        """,
        "b.go": """
            package text

            import (
            \t"os"
            \tstr "strings"
            )

            func suffix() string { return str.Repeat("!", 2) }

            func Env() string { return os.Getenv("X") }
        """,
    }))
    context = context_for(units, "Shout")
    assert [i.spec for i in context.imports] == ['"strings"', 'str "strings"']
    assert "fmt" not in context.text and '"os"' not in context.text
    assert 'import (\n\t"strings"\n\tstr "strings"\n)' in context.text
    assert [i.spec for i in context_for(units, "Show").imports] == ['"fmt"']
    assert "import" not in context_for(package_units(write(tmp_path / "chain", CHAIN)), "Check").text


def test_a_dot_import_is_kept_where_a_name_no_declaration_explains_is_used():
    units = package(**{"a__go": """
        package p

        import . "math"

        func Area(r float64) float64 { return Pi * r * r }

        func Twice(x int) int { return 2 * x }
    """}).units
    assert [i.spec for i in unit(units, "Area").imports] == ['. "math"']
    assert unit(units, "Twice").imports == ()


def test_two_kept_imports_with_one_name_keep_the_nearer_one(tmp_path):
    units = package_units(write(tmp_path / "r", {
        "a.go": 'package r\n\nimport "math/rand"\n\nfunc A() int { return rand.Int() + B() }\n',
        "b.go": 'package r\n\nimport "crypto/rand"\n\nfunc B() int { rand.Read(nil); return 0 }\n',
    }))
    context = context_for(units, "A")
    assert [i.path for i in context.imports] == ["math/rand"]
    assert [i.path for i in context.clashes] == ["crypto/rand"]


def test_locals_params_and_shadowing_are_no_package_references():
    units = package(**{"a__go": """
        package p

        const Scale = 2
        var total int
        type Item struct{}

        func Params(Scale int) int { return Scale }

        func Shadowed() int {
        \ttotal := 1
        \treturn total
        }

        func ReadsOuterFirst() int {
        \tScale := Scale + 1
        \treturn Scale
        }

        func Later() int {
        \tx := total
        \ttotal := x
        \treturn total
        }

        func Closure() func() Item {
        \treturn func() Item { var Scale = 1; _ = Scale; return Item{} }
        }

        func Switch(v any) int {
        \tswitch total := v.(type) {
        \tcase int:
        \t\treturn total
        \t}
        \tfor Scale := range 3 { _ = Scale }
        \treturn 0
        }
    """}).units
    refs = {u.key: u.references for u in units}
    assert refs["Params"] == ()
    assert refs["Shadowed"] == ()
    assert refs["ReadsOuterFirst"] == ("Scale",)
    assert refs["Later"] == ("total",)
    assert refs["Closure"] == ("Item",)
    assert refs["Switch"] == ()


def test_a_table_nested_deeper_than_pythons_recursion_limit_is_read():
    chain = " + ".join(f'"{n}"' for n in range(3000))   # generated data: a tree as deep as the chain is long
    units = package(**{"z__go": f"package p\n\nconst sep = \"/\"\n\nvar data = {chain} + sep\n"}).units
    assert unit(units, "data").references == ("sep",)


def test_groups_split_per_spec_unless_a_const_counts_with_iota():
    units = package(**{"a__go": """
        package p

        type (
        \t// Size is a size.
        \tSize int
        \tName string
        )

        const (
        \tSmall Size = iota
        \tLarge
        )

        const (
        \tRed   = "red" // the warm one
        \tGreen = "green"
        )

        var (
        \ta, b = pair()
        \tc    = Name("c")
        )

        func pair() (int, int) { return 1, 2 }
    """}).units
    assert keys(units) == ["Size", "Name", "Small", "Red", "Green", "a", "c", "pair"]
    assert unit(units, "Size").source == "// Size is a size.\ntype Size int"
    assert unit(units, "Small").names == ("Small", "Large") and "Large" in unit(units, "Small").source
    assert unit(units, "Small").references == ("Size",)
    assert unit(units, "Green").source == 'const Green = "green"'  # the comment above ends Red's line
    assert unit(units, "a").names == ("a", "b") and unit(units, "a").references == ("pair",)
    assert unit(units, "c").source == 'var c    = Name("c")' and unit(units, "c").line == 21


@pytest.mark.parametrize("name, text, reason, in_context", [
    ("gen.go", "// Code generated by stringer. DO NOT EDIT.\n\npackage p\n\nfunc G() {}\n", "generated", True),
    ("tag.go", "//go:build linux\n\npackage p\n\nfunc G() {}\n", "build constraint (//go:build linux)", True),
    ("win.go", "//go:build windows\n\npackage p\n\nfunc G() {}\n", "build constraint (//go:build windows)", False),
    ("old.go", "// +build ignore\n\npackage p\n\nfunc G() {}\n", "build constraint (// +build ignore)", False),
    ("g_test.go", "package p\n\nfunc G() {}\n", "test file", False),
    ("g_windows.go", "package p\n\nfunc G() {}\n", "file name (_windows)", False),
    ("g_linux_amd64.go", "package p\n\nfunc G() {}\n", "file name (_linux_amd64)", True),
    ("g_linux_arm64.go", "package p\n\nfunc G() {}\n", "file name (_linux_arm64)", False),
    ("_g.go", "package p\n\nfunc G() {}\n", "starts with _", False),
])
def test_each_skip_rule_skips_its_file_and_says_why(tmp_path, name, text, reason, in_context):
    folder = write(tmp_path / "p", {"keep.go": "package p\n\nfunc Kept() int { return G2() }\n", name: text})
    found = functions_under_test(folder)
    assert keys(found.functions) == ["Kept"]
    assert [s.file for s in found.skipped] == [name] and reason in found.skipped[0].reason
    # What go builds on linux/amd64 stays context; the rest is not in the package at all.
    assert found.skipped[0].in_context is in_context
    assert ("G" in keys(found.units)) is in_context


def test_a_helper_from_a_generated_file_is_context(tmp_path):
    found = functions_under_test(write(tmp_path / "sort", {
        "sort.go": "package sort\n\nfunc Sort(xs []int) { pdqsort(xs, 0, len(xs)) }\n",
        "zsort.go": "// Code generated by gen_sort_variants.go; DO NOT EDIT.\n\npackage sort\n\n"
                    "func pdqsort(xs []int, a, b int) {}\n",
    }))
    assert keys(found.functions) == ["Sort"]
    assert keys(context_for(found.units, "Sort").kept) == ["Sort", "pdqsort"]


def test_a_generated_marker_after_the_package_clause_is_no_skip(tmp_path):
    folder = write(tmp_path / "p", {"a.go": "package p\n\n// Code generated by hand. DO NOT EDIT.\nfunc A() int { return 1 }\n"})
    assert keys(functions_under_test(folder).functions) == ["A"]


def test_a_main_only_file_is_skipped_but_main_with_helpers_is_not(tmp_path):
    only = write(tmp_path / "only", {"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(1) }\n",
                                     "lib.go": "package main\n\nfunc Add(a, b int) int { return a + b }\n"})
    found = functions_under_test(only)
    assert keys(found.functions) == ["Add"]
    assert [(s.file, s.reason, s.in_context) for s in found.skipped] == [
        ("main.go", "package main holding only func main", False)]
    mixed = write(tmp_path / "mixed", {"main.go": "package main\n\nfunc main() { helper() }\n\nfunc helper() int "
                                                  "{ return 1 }\n"})
    assert keys(functions_under_test(mixed).functions) == ["helper"]  # main itself is no test's to call


def test_functions_without_a_body_or_a_statement_init_and_other_packages_are_no_tasks(tmp_path):
    folder = write(tmp_path / "p", {
        "a.go": "package p\n\nfunc init() {}\n\nfunc init() {}\n\nfunc asm(x int) int\n\nfunc A() { asm(1) }\n\n"
                "func Empty() {\n\t// nothing to cover\n}\n",
        "b.go": "package p\n\nfunc B() int { return 2 }\n",
        "doc.go": "package other\n\nfunc C() {}\n",
        "bad.go": "package p\n\nfunc Broken( {\n",
    })
    found = functions_under_test(folder)
    assert keys(found.functions) == ["A", "B"]
    assert [(s.file, s.reason) for s in found.skipped] == [
        ("bad.go", "does not parse (syntax error at line 3)"), ("doc.go", "package other, not p as most files")]
    assert len([u for u in found.units if u.name == "init"]) == 2  # kept apart, each its own key


def test_a_folder_or_target_that_is_not_there_is_a_plain_error(tmp_path):
    from codeforge.tasks import DatasetError

    with pytest.raises(DatasetError, match="not a folder"):
        read_package(tmp_path / "missing")
    with pytest.raises(DatasetError, match="no declaration Full in the package: name a function, or Type.Method"):
        context_for(package_units(write(tmp_path / "chain", CHAIN)), "Full")


def test_every_humaneval_x_go_solution_gives_a_context_holding_its_function():
    tasks = load_tasks("humaneval-x-go")
    assert len(tasks) == 164
    for task in tasks:
        one = humaneval_x_package(task)
        assert list(one.files) == ["main.go"] and one.package.skipped == ()
        context = context_for(one.package.units, one.target)
        assert context.target.key == task.entry_point and context.complete, task.task_id
        assert f"func {task.entry_point}(" in context.text, task.task_id
        assert context.text.startswith("package main\n"), task.task_id


# -- the files compile: go test in the real sandbox ----------------------------------------------------------

RICH = {
    "shapes.go": """
        // Package shapes measures shapes.
        package shapes

        import (
        \t"errors"
        \t"fmt"
        \t"math"
        \tstr "strings"
        )

        // Scale multiplies every size.
        const Scale = 2

        type Size int

        const (
        \tSmall Size = iota
        \tLarge
        )

        type (
        \t// Shape is anything with an area.
        \tShape interface {
        \t\tArea() float64
        \t}
        \tSquare struct {
        \t\tSide float64
        \t}
        \tTagged struct {
        \t\tSquare
        \t\tLabel string
        \t}
        )

        var ErrNegative = errors.New("negative side")

        type TooBig struct{ By float64 }

        func (e TooBig) Error() string { return fmt.Sprintf("too big by %v", e.By) }

        func Check(s Square) error {
        \tif s.Side > 100 {
        \t\treturn TooBig{s.Side - 100}
        \t}
        \treturn nil
        }

        func (s Square) Area() float64 { return s.Side * s.Side * Scale }

        func (s *Square) Grow(by float64) error {
        \tif by < 0 {
        \t\treturn ErrNegative
        \t}
        \ts.Side += by
        \treturn nil
        }

        func Describe(s Shape) string {
        \tname := str.ToUpper(fmt.Sprintf("%T", s))
        \treturn fmt.Sprintf("%s %.1f", name, s.Area())
        }

        func Circle(r float64) float64 { return math.Pi * r * r }

        func Largest(shapes ...Shape) (best Shape) {
        \tfor _, s := range shapes {
        \t\tif best == nil || s.Area() > best.Area() {
        \t\t\tbest = s
        \t\t}
        \t}
        \treturn
        }
    """,
    "sizes.go": """
        package shapes

        import "sort"

        func SizeOf(t Tagged) Size {
        \tif t.Area() > 10 {
        \t\treturn Large
        \t}
        \treturn Small
        }

        func Sorted(xs []Square) []Square {
        \tout := append([]Square(nil), xs...)
        \tsort.Slice(out, func(i, j int) bool { return out[i].Area() < out[j].Area() })
        \treturn out
        }

        type Pair[K comparable, V any] struct {
        \tKey K
        \tValue V
        }

        func (p Pair[K, V]) First() K { return p.Key }
    """,
    "gen.go": "// Code generated by hand. DO NOT EDIT.\n\npackage shapes\n\nfunc Generated() int { return missing }\n",
    "tag.go": "//go:build ignore\n\npackage shapes\n\nfunc Tagged2() int { return missing }\n",
}


def compiles_job(context, job_id: str):
    from codeforge.sandbox import Job

    test = f'package {context.target.package}\n\nimport "testing"\n\nfunc TestCompiles(t *testing.T) {{}}\n'
    return Job(id=job_id, language="go", files={"context.go": context.text}, tests={"compiles_test.go": test},
               action="test", timeout_s=120)


def results(sandbox, jobs) -> dict:
    return {result.id: result for result in sandbox.run_many(jobs)}


@pytest.mark.docker
def test_the_context_of_every_function_of_a_package_compiles(tmp_path, tasks_sandbox):
    found = functions_under_test(write(tmp_path / "shapes", RICH))
    assert sorted(s.file for s in found.skipped) == ["gen.go", "tag.go"]
    contexts = {unit.key: context_for(found.units, unit) for unit in found.functions}
    assert set(contexts) == {"Square.Area", "Square.Grow", "TooBig.Error", "Check", "Describe", "Circle",
                             "Largest", "SizeOf", "Sorted", "Pair.First"}
    done = results(tasks_sandbox, [compiles_job(context, key) for key, context in contexts.items()])
    failed = {key: result.stderr[-800:] for key, result in done.items() if not result.passed}
    assert failed == {}, failed


@pytest.mark.docker
@pytest.mark.slow
def test_the_context_of_every_humaneval_x_go_solution_compiles(tasks_sandbox):
    contexts = {}
    for task in load_tasks("humaneval-x-go"):
        one = humaneval_x_package(task)
        contexts[task.task_id] = context_for(one.package.units, one.target)
    done = results(tasks_sandbox, [compiles_job(context, task_id) for task_id, context in contexts.items()])
    failed = {key: result.stderr[-800:] for key, result in done.items() if not result.passed}
    assert failed == {}, failed
