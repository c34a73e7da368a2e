"""`codeforge graphs show` and `graphs build`, run as a user runs them."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from codeforge.commands import graphs

runner = CliRunner()
app = typer.Typer()
app.add_typer(graphs.app, name="graphs")

SOURCE = "def f(xs):\n    t = 0\n    for x in xs:\n        if x > 0:\n            t += x\n    return t\n"


def _file(tmp_path, name="s.py", text=SOURCE):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_show_table_by_default(tmp_path):
    result = runner.invoke(app, ["graphs", "show", str(_file(tmp_path)), "--function", "f"])
    assert result.exit_code == 0, result.output
    assert "loop_next" in result.output and "t@L2" in result.output


def test_show_json_and_text_and_dot(tmp_path):
    path = str(_file(tmp_path))
    doc = json.loads(runner.invoke(app, ["graphs", "show", path, "--kind", "dfg", "--format", "json"]).output)
    f = next(fn for fn in doc["functions"] if fn["name"] == "f")
    assert {"source": 0, "target": 2, "kind": "data", "var": "xs"} in f["edges"]
    text = runner.invoke(app, ["graphs", "show", path, "-k", "pdg", "-f", "text", "--function", "f"]).output
    assert "L5 cd:L4T dd:t@L2,x@L3b,t@L5" in text
    dot = runner.invoke(app, ["graphs", "show", path, "-k", "cfg", "-f", "dot"]).output
    assert dot.startswith("digraph cfg")


def test_show_ast_and_go_and_c(tmp_path):
    assert "function_definition" in runner.invoke(app, ["graphs", "show", str(_file(tmp_path)), "-k", "ast"]).output
    go = _file(tmp_path, "m.go", "package main\nfunc f(n int) int {\n\tfor i := 0; i < n; i++ {\n\t\tn--\n\t}\n\treturn n\n}\n")
    assert runner.invoke(app, ["graphs", "show", str(go), "-k", "cfg", "-f", "text"]).exit_code == 0
    c = _file(tmp_path, "m.c", "int f(int n) {\n  while (n) n--;\n  return n;\n}\n")
    assert "L2" in runner.invoke(app, ["graphs", "show", str(c), "-k", "pdg", "-f", "text"]).output


def test_show_reports_syntax_error_with_line(tmp_path):
    path = _file(tmp_path, text="def f(:\n    pass\n")
    result = runner.invoke(app, ["graphs", "show", str(path)])
    assert result.exit_code == 2 and "line 1" in result.output
    ok = runner.invoke(app, ["graphs", "show", str(path), "--allow-errors", "-f", "json"])
    assert ok.exit_code == 0 and '"error"' in ok.output


def test_show_unknown_function(tmp_path):
    result = runner.invoke(app, ["graphs", "show", str(_file(tmp_path)), "--function", "nope"])
    assert result.exit_code == 2 and "nope" in result.output


def test_build_humaneval_sft_and_qa(tmp_path):
    out = tmp_path / "train.jsonl"
    result = runner.invoke(app, ["graphs", "build", "--dataset", "humaneval", "--kind", "pdg", "--out", str(out),
                                 "--format", "qa", "--limit", "2"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    graph_rows = [r for r in rows if r["sample"] == "graph"]
    assert [r["task_id"] for r in graph_rows] == ["HumanEval/0", "HumanEval/1"]
    first = graph_rows[0]
    assert "L13b cd:L12bT,L14F,L16F" in first["graph"] and first["prompt"] in first["text"]
    assert first["text"].rstrip().endswith(first["canonical_solution"].rstrip())
    qa = [r for r in rows if r["sample"] == "qa"]
    assert any(r["question"] == "Which definitions of `distance` reach line 16?" and r["answer"] == "line 15"
               for r in qa)


def test_build_skips_and_reports_bad_rows(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"task_id": "good", "code": "x = 1\n"}) + "\n"
                    + json.dumps({"task_id": "bad", "code": "def (:\n"}) + "\n")
    out = tmp_path / "o.jsonl"
    result = runner.invoke(app, ["graphs", "build", "--dataset", f"jsonl:{data}", "--out", str(out)])
    assert result.exit_code == 0
    assert "bad" in result.output and "1 skipped" in result.output
    assert [json.loads(l)["task_id"] for l in out.read_text().splitlines()] == ["good"]


def test_build_mbpp_from_data_dir(tmp_path):
    from pathlib import Path

    data_dir = Path(__file__).resolve().parents[3] / "shared" / "data"
    if not (data_dir / "mbpp.jsonl").exists():
        import pytest

        pytest.skip("MBPP data not available")
    out = tmp_path / "m.jsonl"
    result = runner.invoke(app, ["graphs", "build", "-d", "mbpp", "--data-dir", str(data_dir), "-o", str(out),
                                 "--limit", "5", "-k", "dfg"])
    assert result.exit_code == 0 and len(out.read_text().splitlines()) == 5
    missing = runner.invoke(app, ["graphs", "build", "-d", "mbpp", "--data-dir", str(tmp_path), "-o", str(out)])
    assert missing.exit_code == 2 and "mbpp.jsonl" in missing.output


def test_show_ast_with_depth_and_type_filters(tmp_path):
    path = str(_file(tmp_path))
    full = runner.invoke(app, ["graphs", "show", path, "-k", "ast", "-f", "text", "--function", "f"]).output
    shallow = runner.invoke(app, ["graphs", "show", path, "-k", "ast", "-f", "text", "--function", "f",
                                  "--depth", "1"]).output
    assert "for_statement" in full and "for_statement" not in shallow
    assert "block L2-6" in shallow and "parameters L1" in shallow
    only = runner.invoke(app, ["graphs", "show", path, "-k", "ast", "-f", "text", "--function", "f",
                               "--types", "for_statement,if_statement"]).output
    kinds = {line.split()[0] for line in only.splitlines() if line.strip() and not line.startswith("##")}
    assert kinds == {"function_definition", "for_statement", "if_statement"}
