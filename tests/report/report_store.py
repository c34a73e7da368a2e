"""Stores for the report tests, built through the store's own API (the report reads nothing else)."""

from __future__ import annotations

import random
import zlib
from pathlib import Path
from typing import Iterable, Optional

from codeforge.store import Store

VERSIONS = {"python": "3.11.2", "torch": "2.4.0", "transformers": "4.56.0", "peft": "0.15.0"}

# The research's nine methods on HumanEval: tasks passed out of 164.
RESEARCH = {"BASE": 104, "BASE_CHAIN": 132, "AST": 121, "AST_CHAIN": 145, "CFG": 118, "CFG_CHAIN": 147,
            "PDG": 139, "PDG_CHAIN": 153, "PDG_CHAIN_FEEDBACK": 154}
# A chained method starts from its method's answers (round 0 is the same greedy answer) and adds rounds.
CHAINED_FROM = {"BASE_CHAIN": "BASE", "AST_CHAIN": "AST", "CFG_CHAIN": "CFG", "PDG_CHAIN": "PDG",
                "PDG_CHAIN_FEEDBACK": "PDG"}
CHAIN = 3
HUMANEVAL = [f"HumanEval/{i}" for i in range(164)]


def make_run(store: Store, name: str, *, dataset: str = "humaneval", chain: int = 0, feedback: str = "visible",
             n: int = 1, tasks: Iterable[str] = (), adapter: Optional[str] = None, ks: Optional[list[int]] = None,
             model: str = "Qwen/Qwen2.5-Coder-0.5B-Instruct", labels: Optional[dict] = None):
    """A run as bench stores it; `ks` goes into its config as bench stores it (None: a run stored before);
    `labels` beside its settings, as bench.runs.open_run stores them."""
    config = {"temperature": 0.0, "chain": chain, "feedback": feedback, "adapter": adapter, **(labels or {})}
    if ks is not None:
        config["ks"] = ks
    run = store.create_run(name, dataset, model=model, backend="hf", adapter=adapter, prompt_mode="chat",
                           feedback=feedback, chain=chain, samples_per_task=n, seed=0, config=config,
                           versions=VERSIONS)
    store.set_tasks(run.id, list(tasks))
    return run


def add(store: Store, run, task: str, sample: int, round: int, passed: bool, checked: bool = True) -> None:
    """One stored answer; `checked` False: the sandbox gave no verdict (no tests execution is stored)."""
    sample_id = store.add_sample(
        run.id, task, sample, round, prompt="{}", raw_output="...", code="def f():\n    pass\n",
        finish_reason="stop", prompt_tokens=10, completion_tokens=20, gen_seconds=0.1,
        feedback="the tests said no" if round else None, feedback_source=run.feedback if round else None)
    if not checked:
        return
    status = "passed" if passed else "failed"
    store.add_execution(sample_id, "tests", status, passed, 0.05, {"status": status})


def record(store: Store, run, pass_round: dict[str, Optional[int]], sample: int = 0, finish: bool = True) -> None:
    """One sample per task: failed rounds until the round it passes (None: never), at most run.chain; then the
    run is finished, as bench finishes a run whose every sample was checked (`finish=False`: left unfinished)."""
    for task in store.task_ids(run.id):
        passes = pass_round.get(task)
        for r in range(run.chain + 1):
            add(store, run, task, sample, r, passes == r)
            if passes == r:
                break
    if finish:
        store.finish_run(run.id)


def _noisy_order(name: str, tasks: list[str], rank: dict[str, int]) -> list[str]:
    noise = random.Random(zlib.crc32(name.encode()))
    key = {t: rank[t] + noise.gauss(0, 20) for t in tasks}
    return sorted(tasks, key=lambda t: (key[t], rank[t]))


def research_pass_rounds() -> dict[str, dict[str, Optional[int]]]:
    """Method -> task -> the round it first passes (None: never), matching RESEARCH exactly."""
    shuffled = HUMANEVAL[:]
    random.Random(0).shuffle(shuffled)
    rank = {t: i for i, t in enumerate(shuffled)}  # a task's difficulty, shared by all methods
    found: dict[str, dict[str, Optional[int]]] = {}
    for name, solved in RESEARCH.items():
        if name not in CHAINED_FROM:
            easiest = set(_noisy_order(name, HUMANEVAL, rank)[:solved])
            found[name] = {t: 0 if t in easiest else None for t in HUMANEVAL}
    for name, base in CHAINED_FROM.items():
        rounds = dict(found[base])
        open_tasks = [t for t in HUMANEVAL if rounds[t] is None]
        extra = _noisy_order(name, open_tasks, rank)[:RESEARCH[name] - sum(r is not None for r in rounds.values())]
        first, second = round(len(extra) * 0.55), round(len(extra) * 0.3)
        for i, t in enumerate(extra):
            rounds[t] = 1 if i < first else 2 if i < first + second else 3
        found[name] = rounds
    return found


def research_store(path: Path) -> Path:
    """The research's nine methods on HumanEval's 164 tasks (PDG_CHAIN_FEEDBACK with oracle feedback)."""
    rounds = research_pass_rounds()
    with Store.open(path) as store:
        for name in RESEARCH:
            record(store, make_research_run(store, name), rounds[name])
    return path


def make_research_run(store: Store, name: str):
    """One of RESEARCH's methods as bench stores it: chained ones with CHAIN rounds (PDG_CHAIN_FEEDBACK's told the
    hidden tests), every method but BASE with its LoRA adapter, all on HUMANEVAL."""
    method = CHAINED_FROM.get(name, name)
    return make_run(store, name, chain=CHAIN if name in CHAINED_FROM else 0,
                    feedback="hidden" if name.endswith("FEEDBACK") else "visible", tasks=HUMANEVAL,
                    adapter=None if method == "BASE" else f"adapters/{method.lower()}-lora")


# Repair runs -------------------------------------------------------------------------------------------------

def finding(rule: str, severity: str, *, tool: str = "bandit", cwe: Optional[int] = None, line: int = 3,
            message: Optional[str] = None) -> dict:
    """A Finding as the repair loop stores it (Finding.to_dict)."""
    return {"tool": tool, "rule": rule, "severity": severity, "confidence": "HIGH", "cwe": cwe, "file": "main.py",
            "line": line, "message": message or f"{rule} found", "code_line": "x = 1"}


def make_repair_run(store: Store, name: str, *, dataset: str = "humaneval", epochs: int = 2, n: int = 1,
                    tasks: Iterable[str] = (), model: str = "Qwen/Qwen2.5-Coder-0.5B-Instruct"):
    """A run as `codeforge repair` stores it: config["workflow"] == "repair", chain = the epochs asked for."""
    config = {"workflow": "repair", "epochs": epochs, "analyzers": ["bandit", "tests"], "temperature": 0.0}
    run = store.create_run(name, dataset, model=model, backend="openai", adapter=None, prompt_mode="chat",
                           feedback="findings", chain=epochs, samples_per_task=n, seed=0, config=config,
                           versions=VERSIONS)
    store.set_tasks(run.id, list(tasks))
    return run


def add_epoch(store: Store, run, task: str, epoch: int, findings: Optional[list], *, kept: bool = True,
              reason: Optional[str] = None, tests: Optional[bool] = None, sample: int = 0,
              code: Optional[str] = "def f():\n    return 1\n") -> None:
    """One stored round of a repair program: round 0 is the starting code, epoch e the patch written in it.
    `findings` None: no analysis stored (the sandbox failed); `tests` None: no tests execution."""
    sample_id = store.add_sample(
        run.id, task, sample, epoch, prompt="" if epoch == 0 else '[{"role": "user", "content": "fix"}]',
        raw_output=code or "I cannot", code=code, finish_reason="stop", prompt_tokens=5, completion_tokens=9,
        gen_seconds=0.1, feedback="B602 line 3: shell=True" if epoch else None,
        feedback_source="findings" if epoch else None)
    if findings is not None:
        status = "no_code" if code is None else "failed" if findings else "passed"
        store.add_execution(sample_id, "analysis", status, not findings, 0.2,
                            {"findings": findings, "kept": True if epoch == 0 else kept, "reason": reason})
    if tests is not None:
        status = "passed" if tests else "failed"
        store.add_execution(sample_id, "tests", status, tests, 0.1, {"status": status})


SHELL = finding("B602", "high", cwe=78, message="subprocess call with shell=True identified, [bold]security[/bold]")
IMPORT = finding("B404", "low", cwe=78)
YAML = finding("B506", "medium", cwe=20)
TEST_FAILED = finding("test-failed", "high", tool="tests", message="assert f(1) == [2]")


def record_repair(store: Store, run, finish: bool = True) -> None:
    """A scripted repair of the run's first four tasks (after epoch 0, 1, 2: EFR 1/4, 2/4, 3/4; pass@1 3/4, 4/4,
    4/4; findings 4 -> 2 -> 1):
    task 0: two findings; epoch 1 keeps a patch with one, epoch 2 one with none;
    task 1: clean and correct: done at once;
    task 2: a patch that breaks the tests (rejected), then an answer with no code (rejected);
    task 3: fails its tests; epoch 1 keeps a clean, passing patch."""
    t0, t1, t2, t3 = store.task_ids(run.id)[:4]
    add_epoch(store, run, t0, 0, [SHELL, IMPORT], tests=True)
    add_epoch(store, run, t0, 1, [IMPORT], tests=True)
    add_epoch(store, run, t0, 2, [], tests=True)
    add_epoch(store, run, t1, 0, [], tests=True)
    add_epoch(store, run, t2, 0, [YAML], tests=True)
    add_epoch(store, run, t2, 1, [], kept=False, reason="fails_tests", tests=False)
    add_epoch(store, run, t2, 2, [], kept=False, reason="no_code", code=None)
    add_epoch(store, run, t3, 0, [TEST_FAILED], tests=False)
    add_epoch(store, run, t3, 1, [], tests=True)
    if finish:
        store.finish_run(run.id)


# Curriculum rounds -------------------------------------------------------------------------------------------

def make_round(store: Store, curriculum: str, round: int, rounds: int, *, new: list[str], revisited: list[str],
               dataset: str = "humaneval", chain: int = 0, n: int = 1, out: str = "/adapters/out"):
    """The bench run of one round of `codeforge finetune --curriculum`, named and labelled as finetune makes it:
    its tasks are the new ones then the revisited ones."""
    name = f"{curriculum}-round-{round}"
    label = {"name": curriculum, "round": round, "rounds": rounds, "new": new, "revisited": revisited,
             "finetune": name, "adapter": f"{out}/round-{round}"}
    return make_run(store, name, dataset=dataset, chain=chain, n=n, tasks=[*new, *revisited],
                    adapter=f"{out}/round-{round}", labels={"curriculum": label})


# Go unit-test runs (go-unittest) ------------------------------------------------------------------------------

def unit_test_details(*, runnable: bool = True, succeeded: bool = False, all_passed: bool = False,
                      declared: int = 2, passed: int = 0, coverage: Optional[float] = None) -> dict:
    """A scored test's details, with the keys the sandbox's unittest recipe writes (sandbox/recipes/gounit.py)."""
    return {"function": "Add", "runnable": runnable, "succeeded": succeeded, "all_passed": all_passed,
            "tests_declared": declared, "tests_passed": passed, "tests_failed": declared - passed,
            "tests_skipped": 0, "function_coverage": coverage, "total_coverage": coverage, "tests": []}


def add_unit_test(store: Store, run, task: str, sample: int, round: int, details: dict) -> None:
    """One model-written Go test and its stored `unittest` result; it passes, as the recipe says, when all its
    tests pass and it covers the function under test."""
    sample_id = store.add_sample(
        run.id, task, sample, round, prompt="{}", raw_output="...", code="func TestAdd(t *testing.T) {}\n",
        finish_reason="stop", prompt_tokens=10, completion_tokens=20, gen_seconds=0.1,
        feedback="a test failed" if round else None, feedback_source=run.feedback if round else None)
    passed = bool(details["all_passed"] and details["function_coverage"])
    status = "passed" if passed else "failed" if details["runnable"] else "compile_error"
    store.add_execution(sample_id, "tests", status, passed, 0.5, {"status": status, "details": details})
