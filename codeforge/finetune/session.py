"""`codeforge finetune` end to end: read the sources, make feedback rows, build the rows in bench's prompt format,
drop what matches a benchmark, train, write the manifest.

Everything that can be wrong with the input is found before the model loads: unknown sources, bad jsonl rows
(with their line), an --out that holds another adapter, --4bit on CPU, no rows left after decontamination.
Under a launcher every process finds it for itself, and they agree (codeforge.finetune.ranks) before any of
them trains or writes to --out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..bench.runs import versions
from .config import FinetuneConfig
from ..models.manifest import Manifest
from .rows import Format, build_rows
from .ranks import agree, is_main
from .sources import Loaded, Repair, SourceError, load, repairs_from_run
from .sft import Progress, TrainError, Trained, check_out, check_quantization, device_of, load_tokenizer, on_cpu


class FinetuneError(ValueError):
    """Bad input: nothing was trained or changed; the message says what to do."""


@dataclass
class Prepared:
    rows: list[dict]
    loaded: Loaded
    repairs: list[Repair]
    feedback_sources: list[str]
    dropped: list[tuple[dict, object]]  # (row, decontaminate.Match)
    skipped: list[tuple[str, str]]  # programs whose graph could not be built
    prompt_mode: str
    counts: dict = field(default_factory=dict)


def _format(tokenizer, base_only: bool) -> Format:
    if tokenizer.chat_template and not base_only:
        def render(messages: list) -> str:
            return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return Format(render, tokenizer.eos_token)
    return Format(None, tokenizer.eos_token)


def prepare(config: FinetuneConfig, tokenizer, *, sandbox_factory: Optional[Callable] = None,
            on_progress: Optional[Callable] = None) -> Prepared:
    """The training rows, decontaminated (unless --allow-contamination)."""
    from .decontaminate import Index, split

    try:
        loaded = load(config.data, limit=config.limit, db=config.db)
        repairs, feedback_sources = [], []
        for name in config.from_run:
            repairs.extend(repairs_from_run(name, config.db))
            feedback_sources.append(f"run:{name}")
    except SourceError as exc:
        raise FinetuneError(str(exc)) from None
    if config.feedback and config.mutants and loaded.programs:
        from ..sandbox import SandboxUnavailable

        try:
            repairs.extend(_mutant_repairs(config, loaded, sandbox_factory, on_progress))
        except SandboxUnavailable as exc:  # no engine or a stale image: it says how to fix it
            raise FinetuneError(f"--feedback runs mutants in the sandbox: {exc}") from None
        feedback_sources.append("mutants")
    fmt = _format(tokenizer, config.base_only)
    try:
        built = build_rows(loaded.programs, loaded.pairs, repairs, fmt, graph=config.graph,
                           graph_format=config.graph_format, graph_ratio=config.graph_ratio, seed=config.seed)
    except ValueError as exc:
        raise FinetuneError(str(exc)) from None
    kept, dropped = split(built.rows, Index.from_benchmarks(), lambda row: row["prompt"] + "\n" + row["completion"])
    rows = built.rows if config.allow_contamination else kept
    if not rows:
        why = (f"all {len(built.rows)} rows match a benchmark and were dropped" if built.rows
               else "the sources gave no rows")
        raise FinetuneError(f"no training data left: {why}. Check --data (and --limit), or pass "
                            f"--allow-contamination to keep matching rows (the adapter is then marked)")
    counts = {}
    for row in rows:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    counts["total"] = len(rows)
    return Prepared(rows, loaded, repairs, feedback_sources, dropped, built.skipped,
                    "chat" if fmt.chat else "base", counts)


def _mutant_repairs(config: FinetuneConfig, loaded: Loaded, sandbox_factory, on_progress) -> list[Repair]:
    from .mutants import feedback_examples

    by_id = {p.task.task_id: p for p in loaded.programs}
    tasks = [p.task for p in loaded.programs]
    with _sandbox(config, sandbox_factory) as sandbox:
        examples = feedback_examples(tasks, sandbox, per_task=config.mutants, seed=config.seed,
                                     on_progress=on_progress)
    return [Repair(by_id[e.task_id].task, e.failed_code, e.feedback, e.target, "mutants") for e in examples]


def _sandbox(config: FinetuneConfig, factory):
    if factory is not None:
        return factory()
    from ..sandbox import DockerSandbox, SandboxSettings

    return DockerSandbox(SandboxSettings(workers=config.workers, isolation=config.isolation))


def _record(config: FinetuneConfig, write: Callable) -> None:
    from ..store import Store, StoreError, db_path

    try:
        with Store.open(db_path(config.db)) as store:
            write(store)
    except StoreError as exc:
        raise FinetuneError(f"{exc} (the adapter in {config.out} is kept)") from None


def manifest_for(config: FinetuneConfig, prepared: Prepared, trained: Optional[Trained]) -> Manifest:
    return Manifest(
        base_model=config.model, data=prepared.loaded.hashes, graph=config.graph.value,
        graph_format=config.graph_format.value, feedback=prepared.feedback_sources, rows=prepared.counts,
        contamination={"dropped": 0 if config.allow_contamination else len(prepared.dropped),
                       "matched": len(prepared.dropped),
                       "contaminated": bool(config.allow_contamination and prepared.dropped)},
        prompt_mode=prepared.prompt_mode, settings=config.to_dict(), seed=config.seed, versions=versions(),
        train={} if trained is None else {"steps": trained.steps, "final_loss": trained.final_loss,
                                          "seconds": round(trained.seconds, 2), "tokens": trained.tokens,
                                          "world_size": trained.world_size})


@dataclass
class Outcome:
    prepared: Prepared
    trained: Optional[Trained]
    manifest: Optional[Manifest]
    out: Optional[Path]
    merged: Optional[Path] = None


def run_finetune(config: FinetuneConfig, progress: Progress, *, on_data: Optional[Callable] = None,
                 sandbox_factory: Optional[Callable] = None) -> Outcome:
    from .sft import merge, train

    prepared, error = None, None
    try:
        if not config.dry_run:
            if config.out is None:
                raise FinetuneError("name the adapter's folder: --out DIR")
            check_out(config, config.out)
            check_quantization(config, device_of(config))
        tokenizer = load_tokenizer(config.model)
        prepared = prepare(config, tokenizer, sandbox_factory=sandbox_factory)
    except (TrainError, FinetuneError) as exc:
        error = str(exc)
    if not config.dry_run:
        error = agree(error, prepared and prepared.rows, cpu=on_cpu(config))
    if error:
        raise FinetuneError(error)
    if on_data is not None:
        on_data(prepared)
    if config.dry_run:
        return Outcome(prepared, None, None, None)
    _record(config, lambda store: store.start_finetune(config.run_name, str(config.out.resolve()), config.model,
                                                        config.to_dict()))
    try:
        trained = train(config, prepared.rows, tokenizer, config.out, progress)
    except TrainError as exc:
        raise FinetuneError(str(exc)) from None
    if trained.interrupted:
        return Outcome(prepared, trained, None, config.out)
    manifest = manifest_for(config, prepared, trained)
    if not is_main():  # the main process writes the manifest and merges; the trainer saved the adapter
        return Outcome(prepared, trained, manifest, config.out)
    manifest.save(config.out)
    _record(config, lambda store: store.finish_finetune(config.run_name, asdict(manifest)))
    merged = merge(config, config.out) if config.merge else None
    return Outcome(prepared, trained, manifest, config.out, merged)
