"""`codeforge finetune --curriculum ROUNDS`: training in rounds that come back to what the model failed.

The tasks of --data (one task set: mbpp, jsonl:PATH, hub:OWNER/NAME) are shuffled with --seed and split into
ROUNDS shares of new tasks. Round r:

1. trains (sft) on its new tasks plus the tasks round r-1's adapter failed, --revisit-ratio of them (drawn with
   --seed; 1 = all, 0 = none: the control arm), continuing round r-1's adapter (round 1: a new adapter, or
   --from-adapter). The adapter is OUT/round-r; the training run is `NAME-round-r` in the store.
2. runs bench on the round's tasks (new and revisited) with that adapter, --samples answers each (one greedy
   answer, or more sampled at --temperature), stored as the bench run `NAME-round-r` with the label
   `curriculum` (RunRecord.curriculum) so that `report` shows pass@1 round by round. A task is failed when any of
   its checked answers failed; a task whose answers the sandbox could not check is neither failed nor passed.
3. with --then-dpo, trains that adapter further with dpo on the pairs the round's answers give (a passing and a
   failing answer to one task), into OUT/round-r-dpo (training run `NAME-round-r-dpo`; its reference is the
   round's sft adapter; dpo's learning rate, --lr being the sft rounds'); round r+1 continues it. A round whose
   answers give no pair skips this step and says so.

OUT/curriculum.json holds the settings and every finished round; the same command with --resume continues where it
stopped (finished steps are not done again; a bench run resumes as bench resumes; an interrupted training
continues from its checkpoint). As in KodCode's experiment, the rounds measure the adapter on the tasks it was just
trained on: the curve says how much of what was trained is learnt, not how it generalises (run bench on a held-out
benchmark for that).
"""

from __future__ import annotations

import contextlib
import json
import math
import random
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, ContextManager, Optional

from ..bench.scores import Score
from ..i18n import N_, _, ngettext
from ..models.manifest import FILE as MANIFEST
from .config import (_DEFAULTS, CURRICULUM_OPTIONS, CURRICULUM_SAMPLING, LORA_SHAPE, METHOD_OPTIONS, FinetuneConfig,
                     Method)
from .session import Outcome, run_finetune
from .sources import SourceError, load
from .training import FinetuneError, Progress

PLAN = "curriculum.json"
# settings that may change between a run and its --resume: where and how fast, not what is trained
UNCOMPARED = ("workers", "isolation", "save_steps")
# why a round had no dpo step: stored in curriculum.json as it is (data), shown translated
NO_PAIRS = N_("no task had both a passing and a failing answer")


@dataclass
class RoundResult:
    round: int
    new: list[str]
    revisited: list[str]
    finetune: str  # the round's sft training run
    adapter: str  # what the round's bench run measured
    bench: str  # the round's bench run
    pass_at_1: Optional[dict] = None  # Score as a dict: value, low, high, tasks, k, interval
    solved: int = 0  # tasks with a passing answer
    failed: list[str] = field(default_factory=list)  # tasks with a failing answer
    unchecked: int = 0  # answers the sandbox could not check
    dpo: Optional[str] = None  # the dpo training run after the bench run
    dpo_skipped: str = ""  # why there was none (with --then-dpo)
    next_adapter: str = ""  # what round r+1 continues

    @property
    def tasks(self) -> list[str]:
        return self.new + self.revisited


@dataclass
class CurriculumOutcome:
    rounds: list[RoundResult]
    out: Path
    dry_run_rows: Optional[Outcome] = None  # --dry-run: round 1's training rows

    @property
    def adapter(self) -> Optional[str]:
        return self.rounds[-1].next_adapter if self.rounds else None


class Say:
    """What the curriculum tells the user as it goes (the CLI prints it, and shows bench's progress)."""

    def line(self, text: str) -> None:
        pass

    def bench_reporter(self) -> ContextManager:
        """A context giving a bench.runner.Reporter (or None) for one round's bench run."""
        return contextlib.nullcontext(None)


def split_new(task_ids: list[str], rounds: int, seed: int) -> list[list[str]]:
    """ROUNDS shares of the tasks, drawn with `seed`, sizes differing by one at most, each in dataset order."""
    if len(task_ids) < rounds:
        raise FinetuneError(_("--curriculum {rounds} needs at least {rounds} tasks in --data (it has {count}): use "
                              "fewer rounds or more tasks").format(rounds=rounds, count=len(task_ids)))
    order = list(task_ids)
    random.Random(seed).shuffle(order)
    size, extra = divmod(len(order), rounds)
    position = {task: i for i, task in enumerate(task_ids)}
    shares, start = [], 0
    for r in range(rounds):
        end = start + size + (1 if r < extra else 0)
        shares.append(sorted(order[start:end], key=position.__getitem__))
        start = end
    return shares


def revisit(failed: list[str], ratio: float, seed: int, round: int) -> list[str]:
    """The failed tasks round `round` trains on again: ceil(ratio x failed) of them, drawn with the seed and the
    round, in the order given."""
    wanted = math.ceil(ratio * len(failed))
    chosen = set(random.Random(f"{seed}|{round}").sample(sorted(failed), wanted))
    return [task for task in failed if task in chosen]


def run_curriculum(config: FinetuneConfig, progress: Progress, say: Say, *,
                   on_data: Optional[Callable] = None) -> CurriculumOutcome:
    """Every round of the curriculum `config` describes (or its plan and round 1's rows with --dry-run)."""
    from .ranks import world_size

    out = config.out
    if world_size() > 1:
        raise FinetuneError(_("--curriculum runs bench between its trainings: run it as one process, not under a "
                              "launcher"))
    if out is None and not config.dry_run:
        raise FinetuneError(_("name the curriculum's folder: --out DIR (each round's adapter goes in DIR/round-N)"))
    try:
        loaded = load(config.data, limit=config.limit, db=config.db)
    except SourceError as exc:
        raise FinetuneError(str(exc)) from None
    programs = loaded.programs
    if not programs and loaded.pairs:
        raise FinetuneError(_("--curriculum chooses what to revisit by running each round's answers against their "
                              "tests, and text pairs and text tasks have none: use tasks with tests in --data"))
    task_ids = list(dict.fromkeys(p.task.task_id for p in programs))
    shares = split_new(task_ids, config.curriculum, config.seed)
    for number, share in enumerate(shares, 1):
        say.line(ngettext("round {number}: {count} new task", "round {number}: {count} new tasks", len(share))
                 .format(number=number, count=len(share)))
    started_from = str(config.from_adapter) if config.from_adapter else None
    if config.dry_run:
        first = run_finetune(_sft_config(config, 1, started_from), progress, on_data=on_data, tasks=shares[0])
        return CurriculumOutcome([], out or Path("."), first)
    done = _open_plan(config)
    results: list[RoundResult] = []
    if not done:
        _save_plan(config, results)  # from now on OUT is this curriculum's, for --resume
    failed: list[str] = []
    from ..sandbox import SandboxSettings, SandboxUnavailable, open_sandbox

    try:  # before any training: every round ends with a bench run
        sandbox = open_sandbox(SandboxSettings(workers=config.workers, isolation=config.isolation,
                                               hosts=config.docker_hosts))
    except SandboxUnavailable as exc:
        raise FinetuneError(_("--curriculum runs bench after each round: {error}").format(error=exc)) from None
    try:
        try:
            for language in sorted({p.task.language.value for p in programs}):
                sandbox.check(language)
        except SandboxUnavailable as exc:
            raise FinetuneError(_("--curriculum runs bench after each round: {error}").format(error=exc)) from None
        for number, share in enumerate(shares, 1):
            revisited = revisit(failed, config.revisit_ratio, config.seed, number) if number > 1 else []
            result = _round(config, number, share, revisited, started_from, sandbox, progress, say, on_data,
                            done.get(number))
            results.append(result)
            _save_plan(config, results)
            failed, started_from = result.failed, result.next_adapter
    finally:
        sandbox.close()
    return CurriculumOutcome(results, out)


def round_name(config: FinetuneConfig, number: int) -> str:
    return f"{config.run_name}-round-{number}"


def _label(config: FinetuneConfig, number: int, new: list[str], revisited: list[str], step: str,
           started_from: Optional[str]) -> dict:
    return {"name": config.run_name, "round": number, "rounds": config.curriculum, "step": step, "new": new,
            "revisited": revisited, "started_from": started_from}


def _round(config: FinetuneConfig, number: int, new: list[str], revisited: list[str], started_from: Optional[str],
           sandbox, progress: Progress, say: Say, on_data, before: Optional[dict]) -> RoundResult:
    if before is not None and (before["new"], before["revisited"]) != (new, revisited):
        raise FinetuneError(_("round {number} of {path} was trained on other tasks than it would be now (the "
                              "stored bench runs changed?): start a new curriculum with another --out").format(
            number=number, path=config.out))
    name = round_name(config, number)
    sft = _sft_config(config, number, started_from)
    training = _("round {number}/{rounds}: training on {new} new and {revisited} revisited tasks").format(
        number=number, rounds=config.curriculum, new=len(new), revisited=len(revisited))
    say.line(training + (_(", continuing {adapter}").format(adapter=started_from) if started_from else ""))
    _train(sft, progress, on_data if number == 1 else None, new + revisited, _label(config, number, new, revisited, "sft", started_from),
           say)
    result = RoundResult(number, new, revisited, sft.run_name, str(sft.out), name)
    _bench(config, result, sandbox, say)
    result.next_adapter = result.adapter
    if config.then_dpo:
        _dpo(config, result, progress, say)
    return result


def _train(config: FinetuneConfig, progress: Progress, on_data, tasks: Optional[list[str]], label: dict,
           say: Say) -> None:
    if (config.out / MANIFEST).is_file() and _finished(config):
        say.line(_("{path} is trained already: kept").format(path=config.out))
        return
    resume = (config.out / "checkpoints").is_dir() and any((config.out / "checkpoints").iterdir())
    outcome = run_finetune(replace(config, resume=resume), progress, on_data=on_data, tasks=tasks,
                           curriculum=label)
    trained = outcome.trained
    if trained is not None and trained.interrupted:
        raise Interrupted(trained.steps, trained.checkpoint or config.out)


class Interrupted(Exception):
    """Ctrl-C during a round's training: its checkpoint is saved; --resume continues."""

    def __init__(self, steps: int, where: Path):
        super().__init__(_("interrupted at step {step}; checkpoint saved in {path}").format(step=steps, path=where))
        self.steps, self.where = steps, where


def _finished(config: FinetuneConfig) -> bool:
    from ..store import Store, db_path

    path = db_path(config.db)
    if not path.is_file():
        return False
    with Store.open(path, create=False) as store:
        record = store.finetune(config.run_name)
    return record is not None and record.finished_at is not None


def _bench(config: FinetuneConfig, result: RoundResult, sandbox, say: Say) -> None:
    from ..bench.config import BenchConfig
    from ..bench.session import BenchError, run_bench
    from ..store import Store, db_path

    bench = BenchConfig(
        dataset=config.data[0], tasks=tuple(result.tasks), samples=config.samples, ks=(1,),
        temperature=0.0 if config.samples == 1 else config.temperature, max_new_tokens=config.max_completion_length,
        seed=config.seed, model=config.model, adapter=result.adapter, base_only=config.base_only,
        device=config.device, four_bit=config.four_bit, eight_bit=config.eight_bit, run_name=result.bench,
        db=config.db, workers=config.workers, isolation=config.isolation)
    label = {"curriculum": {"name": config.run_name, "round": result.round, "rounds": config.curriculum,
                            "new": result.new, "revisited": result.revisited, "finetune": result.finetune,
                            "adapter": result.adapter}}
    say.line(_("round {number}: bench on its {tasks} tasks, {samples} answer(s) each").format(
        number=result.round, tasks=len(result.tasks), samples=config.samples))
    try:
        with say.bench_reporter() as reporter:
            outcome = run_bench(bench, reporter, sandbox=sandbox, labels=label)
    except BenchError as exc:
        raise FinetuneError(_("round {number}'s bench run: {error}").format(number=result.round, error=exc)) \
            from None
    score: Optional[Score] = outcome.rounds[-1].scores.get(1) if outcome.rounds else None
    result.pass_at_1 = {**asdict(score), "interval": score.interval.value} if score is not None else None
    with Store.open(db_path(config.db), create=False) as store:
        samples = store.samples(outcome.run.id)
    verdicts: dict[str, list[bool]] = {}
    for s in samples:
        if s.tested is not None:
            verdicts.setdefault(s.task_id, []).append(s.passed)
        else:
            result.unchecked += 1
    result.solved = sum(1 for task in result.tasks if any(verdicts.get(task, [])))
    result.failed = [task for task in result.tasks if not all(verdicts.get(task, [True]))]
    shown = "-" if score is None else f"{score.value:.3f} [{score.low:.3f}, {score.high:.3f}]"
    scored = _("round {number}: pass@1 {score}; {failed} of {tasks} tasks failed").format(
        number=result.round, score=shown, failed=len(result.failed), tasks=len(result.tasks))
    say.line(scored + (_("; {count} answers unchecked (the sandbox failed)").format(count=result.unchecked)
                       if result.unchecked else ""))


def _dpo(config: FinetuneConfig, result: RoundResult, progress: Progress, say: Say) -> None:
    from .pairs import NoPairs, mine

    try:  # the pairs dpo would train on: the same question, asked the same way (identical programs are no pair)
        paired = {p.task.task_id for p in mine((result.bench,), config.db,
                                                max_per_task=config.max_pairs_per_task).pairs}
    except NoPairs:
        paired = set()
    except SourceError as exc:  # the store or the dataset cannot be read: not a round without pairs
        raise FinetuneError(str(exc)) from None
    if not paired:
        result.dpo_skipped = NO_PAIRS
        then = _("; round {number} continues the sft adapter").format(number=result.round + 1) \
            if result.round < config.curriculum else ""
        say.line(_("round {number}: no dpo step ({why})").format(number=result.round, why=_(result.dpo_skipped))
                 + then)
        return
    dpo = _dpo_config(config, result)
    say.line(_("round {number}: dpo on the pairs of {tasks} tasks, continuing {adapter}").format(
        number=result.round, tasks=len(paired), adapter=result.adapter))
    _train(dpo, progress, None, None, _label(config, result.round, result.new, result.revisited, "dpo",
                                           result.adapter), say)
    result.dpo, result.next_adapter = dpo.run_name, str(dpo.out)


def _sft_config(config: FinetuneConfig, number: int, started_from: Optional[str]) -> FinetuneConfig:
    """Round `number`'s training: sft on the round's tasks (chosen by run_finetune's `tasks`), no curriculum."""
    resets = {name: _DEFAULTS[name] for name in ("curriculum", *CURRICULUM_OPTIONS, *CURRICULUM_SAMPLING)}
    resets.update({name: _DEFAULTS[name] for name, methods in METHOD_OPTIONS.items() if Method.sft not in methods})
    if started_from:  # the adapter continued brings its own shape
        resets.update({name: _DEFAULTS[name] for name in LORA_SHAPE})
    return replace(config, **resets, out=config.out / f"round-{number}" if config.out else None,
                   name=round_name(config, number), from_adapter=Path(started_from) if started_from else None)


def _dpo_config(config: FinetuneConfig, result: RoundResult) -> FinetuneConfig:
    """The dpo step after round r's bench run: pairs from that run, continuing the round's sft adapter (its frozen
    copy is the reference), at dpo's own learning rate (--lr is the sft rounds')."""
    resets = {name: _DEFAULTS[name] for name in ("curriculum", *CURRICULUM_OPTIONS, *CURRICULUM_SAMPLING)}
    resets.update({name: _DEFAULTS[name] for name, methods in METHOD_OPTIONS.items() if Method.dpo not in methods})
    pairs_out = config.pairs_out
    if pairs_out is not None:
        pairs_out = pairs_out.with_name(f"{pairs_out.stem}-round-{result.round}{pairs_out.suffix}")
    return replace(config, **resets, method=Method.dpo, data=_DEFAULTS["data"], from_run=(result.bench,),
                   graph=_DEFAULTS["graph"], graph_format=_DEFAULTS["graph_format"],
                   graph_ratio=_DEFAULTS["graph_ratio"], feedback=False, mutants=_DEFAULTS["mutants"],
                   limit=None, lr=None, pairs_out=pairs_out, out=config.out / f"round-{result.round}-dpo",
                   name=f"{round_name(config, result.round)}-dpo", from_adapter=Path(result.adapter),
                   **{name: _DEFAULTS[name] for name in LORA_SHAPE})


def _compared(config: FinetuneConfig) -> dict:
    """The settings a --resume must keep, as stored in JSON."""
    return json.loads(json.dumps({k: v for k, v in config.to_dict().items() if k not in UNCOMPARED}))


def _open_plan(config: FinetuneConfig) -> dict[int, dict]:
    """The rounds OUT/curriculum.json holds (round -> its stored result), after checking that continuing them is
    what was asked: --resume, and the same settings."""
    out, plan = config.out, config.out / PLAN
    if not out.exists():
        if config.resume:
            raise FinetuneError(_("--resume: {path} does not exist; start without --resume").format(path=out))
        return {}
    if not out.is_dir():
        raise FinetuneError(_("--out {path} is a file: name a folder").format(path=out))
    if not plan.is_file():
        if any(out.iterdir()):
            raise FinetuneError(_("{path} holds something other than a curriculum: choose another --out (nothing "
                                  "was changed)").format(path=out))
        return {}
    if not config.resume:
        raise FinetuneError(_("{path} holds a curriculum already: pass --resume to continue it, or choose another "
                              "--out (nothing was changed)").format(path=out))
    try:
        stored = json.loads(plan.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise FinetuneError(_("{path}: cannot be read ({error}); choose another --out").format(path=plan, error=exc)) \
            from None
    changed = [_("{setting}: stored {stored}, now {now}").format(setting=k, stored=repr(stored['settings'].get(k)),
                                                                  now=repr(v))
               for k, v in _compared(config).items() if stored.get("settings", {}).get(k) != v]
    if changed:
        raise FinetuneError(_("{path} holds a curriculum with other settings ({changed}): continue it with its own "
                              "settings, or choose another --out").format(path=out, changed="; ".join(changed)))
    return {r["round"]: r for r in stored.get("rounds", [])}


def _save_plan(config: FinetuneConfig, results: list[RoundResult]) -> None:
    path = config.out / PLAN
    partial = path.with_suffix(".json.partial")
    config.out.mkdir(parents=True, exist_ok=True)
    partial.write_text(json.dumps({"settings": _compared(config), "rounds": [asdict(r) for r in results]},
                                  indent=2) + "\n")
    partial.replace(path)
