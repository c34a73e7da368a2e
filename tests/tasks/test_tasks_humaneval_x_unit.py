"""HumanEval-X composition without Docker: Go imports, C++ entry points and main()."""

from __future__ import annotations

from codeforge.tasks import load_tasks
from codeforge.tasks.humaneval_x import cpp_entry_point, go_file, go_imports, without_main

TESTIFY = "github.com/stretchr/testify/assert"
TEST_SETUP = 'package main\n\nimport (\n    "testing"\n    "math"\n    "github.com/stretchr/testify/assert"\n)\n'


def imports_of(text: str) -> list[str]:
    return [path for _, path in go_imports(text)]


def test_go_imports_are_merged_and_unused_ones_dropped():
    code = ('package humaneval\n\nimport (\n    "fmt"\n    "math"\n)\nimport "os"\n\n'
            "func Half(x float64) float64 {\n    return math.Floor(x / 2) // fmt.Println would print\n}\n")
    text = go_file(code)
    assert text.startswith('package main\n\nimport (\n    "math"\n)\n\nfunc Half(')
    assert "package humaneval" not in text and '"os"' not in text and '"fmt"' not in text


def test_a_one_line_import_of_a_package_outside_the_known_ones_is_kept():
    """`import "x/y"` on one line: the keyword is no alias, so the package's own name counts as used."""
    code = 'import "example.com/geo"\nimport g "example.com/geo2"\n\nfunc F() float64 { return geo.Pi + g.E }\n'
    assert go_imports(code) == [("", "example.com/geo"), ("g", "example.com/geo2")]
    assert imports_of(go_file(code)) == ["example.com/geo", "example.com/geo2"]


def test_go_packages_used_but_not_imported_are_added():
    code = 'func Words(s string) []string {\n    n, _ := strconv.Atoi("1")\n    return strings.Fields(s)[:n]\n}\n'
    assert imports_of(go_file(code)) == ["strconv", "strings"]


def test_go_names_in_strings_and_comments_do_not_count_and_aliases_are_kept():
    code = ('import (\n    str "strings"\n    "sort"\n)\n\n'
            'func F(s string) string {\n    /* sort.Ints */\n    return str.ToUpper("math.Pi " + `time.Now`)\n}\n')
    assert go_imports(go_file(code)) == [("str", "strings")]


def test_go_test_file_keeps_only_what_the_test_uses():
    test = ("func TestHalf(t *testing.T) {\n    assert := assert.New(t)\n    assert.Equal(1.0, Half(2))\n}\n")
    text = go_file(test, declared=go_imports(TEST_SETUP))
    assert imports_of(text) == ["testing", TESTIFY]  # "math" is unused: dropped


def test_go_unused_imports_of_the_dataset_are_pruned(data_dir):
    """Go refuses unused imports. The prompts of Go/27, 38, 90 and 108 import packages their solutions never
    use; Go/38's test_setup imports math and strings, which its test never uses."""
    ids = ["Go/27", "Go/38", "Go/90", "Go/108", "Go/32"]
    tasks = {t.task_id: t for t in load_tasks("humaneval-x-go", data_dir, task_ids=ids)}
    files = {task_id: {**job.files, **job.tests} for task_id, job in
             ((task_id, task.test_job(task.reference)) for task_id, task in tasks.items())}
    assert imports_of(tasks["Go/27"].prompt) == ["strings"] and imports_of(files["Go/27"]["main.go"]) == []
    assert imports_of(tasks["Go/38"].prompt) == ["math", "strings", "time"]
    assert imports_of(files["Go/38"]["main.go"]) == ["math", "strings"]
    assert imports_of(files["Go/38"]["main_test.go"]) == ["testing", "math/rand", "time", TESTIFY]
    assert imports_of(files["Go/90"]["main.go"]) == ["sort"]
    assert imports_of(files["Go/108"]["main.go"]) == ["strconv"]
    assert imports_of(files["Go/32"]["main_test.go"]) == ["testing", "math/rand", "math", TESTIFY]


def test_go_visible_job_without_an_example_test_still_compiles_the_code(data_dir):
    task = load_tasks("humaneval-x-go", data_dir, task_ids=["Go/38"])[0]
    assert task.visible == ""
    assert "func TestCompiles(t *testing.T) {}" in task.visible_job(task.reference).tests["main_test.go"]


def test_cpp_entry_point_is_the_function_the_declaration_opens():
    assert cpp_entry_point("#include<vector>\nbool has(vector<float> v, float t){\n") == "has"
    declaration = ("string encode(string s){\n    for (i=0;i<3;i++)\n    {\n        if (x) { y(); }\n    }\n"
                   "    return s;\n}\nstring decode(string s){ \n")
    assert cpp_entry_point(declaration) == "decode"


def test_cpp_main_of_the_code_is_removed_but_nothing_else():
    code = ('#include<stdio.h>\nint add(int a, int b){ return a + b; }\n'
            'int main(int argc, char** argv) {\n    printf("}{");  // }\n    { add(1, 2); }\n    return 0;\n}\n'
            "int after() { return '}'; }\n")
    assert without_main(code) == ('#include<stdio.h>\nint add(int a, int b){ return a + b; }\n\n'
                                  "int after() { return '}'; }\n")
    assert without_main("int mainly(){ return 1; }\n") == "int mainly(){ return 1; }\n"


def test_cpp_job_puts_the_tasks_includes_first_and_numbers_lines_from_the_code(data_dir):
    task = load_tasks("humaneval-x-cpp", data_dir, limit=1)[0]
    job = task.test_job("bool has_close_elements(vector<float> n, float t){ return false; }\n")
    head, _, rest = job.files["main.cpp"].partition("#line 1\n")
    assert "#include<algorithm>" in head and "using namespace std;" in head
    assert rest.startswith("bool has_close_elements(") and "int main(" not in rest  # the tests are elsewhere
    tests = job.tests["tests.cpp"]
    assert tests.startswith('#include "main.cpp"\n#line 1 "tests.cpp"\n') and "int main(){" in tests
