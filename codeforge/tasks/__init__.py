"""Benchmark datasets as Tasks: one module per dataset, and this registry.

    from codeforge.tasks import load_tasks

    tasks = load_tasks("humaneval+", limit=10)
    job = tasks[0].test_job(tasks[0].reference)   # a JobSpec for codeforge.sandbox

Names: DATASET_NAMES, `jsonl:PATH` for one's own tasks (schema in jsonl.py), and `hub:OWNER/NAME` for a Hugging
Face hub dataset of such rows, KodCode/KodCode-V1's included (hub.py). This package is the only
reader of datasets (bench and graphs build both load through it). The data comes from `dataset_path` (a file,
or a directory holding the dataset's usual file name), else $CODEFORGE_DATA_DIR, else the Hugging Face hub
with `from_hub`, else the copy shipped in the package (data/README.md lists them with their licences).

Dataset modules are imported when a dataset is loaded: importing this package stays cheap (the CLI reads
DATASET_NAMES from it).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Optional, Sequence

from ..i18n import _, ngettext
from .base import Ask, DatasetError, JobSpec, Task

DATASET_NAMES = ("humaneval", "humaneval+", "mbpp", "mbpp-sanitized", "humaneval-x-go", "humaneval-x-cpp",
                 "go-unittest")
_LOADERS = {  # name -> (module, function)
    "humaneval": ("humaneval", "load"),
    "humaneval+": ("humaneval_plus", "load"),
    "mbpp": ("mbpp", "load_full"),
    "mbpp-sanitized": ("mbpp", "load_sanitized"),
    "humaneval-x-go": ("humaneval_x", "load_go"),
    "humaneval-x-cpp": ("humaneval_x", "load_cpp"),
    "go-unittest": ("go_unittest", "load"),
}
PROMPT_BUDGETED = ("go-unittest",)  # the datasets whose prompts are cut to max_prompt_tokens
JSONL_PREFIX = "jsonl:"
HUB_PREFIX = "hub:"  # hub.PREFIX, without importing hub.py

__all__ = ["DATASET_NAMES", "Ask", "HUB_PREFIX", "JSONL_PREFIX", "DatasetError", "JobSpec", "Task", "load_tasks"]


def load_tasks(name: str, dataset_path: Optional[Path] = None, limit: Optional[int] = None,
               task_ids: Optional[Sequence[str]] = None, from_hub: bool = False,
               max_prompt_tokens: Optional[int] = None) -> list[Task]:
    """The tasks of dataset `name`, in dataset order; only `task_ids` (kept in dataset order) when given,
    then only the first `limit`. `max_prompt_tokens` cuts the prompts of go-unittest tasks (go_unittest.py;
    default 2048), of the dataset or of jsonl rows of that kind."""
    if limit is not None and limit < 0:
        raise DatasetError(_("limit must be 0 or more, not {limit}").format(limit=limit))
    budget = {"max_prompt_tokens": max_prompt_tokens} if max_prompt_tokens is not None else {}
    if budget and not (name in PROMPT_BUDGETED or name.startswith((JSONL_PREFIX, HUB_PREFIX))):
        raise DatasetError(_("--max-prompt-tokens cuts the prompts of {datasets} tasks (and of jsonl rows of that "
                             "kind), not of {name}: leave it out").format(datasets=", ".join(PROMPT_BUDGETED),
                                                                             name=name))
    if name.startswith(JSONL_PREFIX):
        path = name[len(JSONL_PREFIX):] or dataset_path
        if not path:
            raise DatasetError(_("jsonl: needs a file: jsonl:PATH"))
        if from_hub:
            raise DatasetError(_("--from-hub applies to the named datasets, not to jsonl:PATH"))
        tasks = import_module(f"{__name__}.jsonl").load(Path(path), **budget)
    elif name.startswith(HUB_PREFIX):
        if from_hub:
            raise DatasetError(_("--from-hub applies to the named datasets: {name} is read from the hub "
                                 "already").format(name=name))
        if dataset_path is not None:
            raise DatasetError(_("--dataset-path does not apply to {name}: for a local copy of its rows use "
                                 "jsonl:PATH").format(name=name))
        # the loader stops reading at `limit` tasks (or once every task id is found): KodCode-V1 has ~480k rows
        tasks = import_module(f"{__name__}.hub").load(name, limit, task_ids, **budget)
    elif name in _LOADERS:
        module, function = _LOADERS[name]
        tasks = getattr(import_module(f"{__name__}.{module}"), function)(
            Path(dataset_path) if dataset_path is not None else None, from_hub, **budget)
    else:
        raise DatasetError(_("unknown dataset {name}: use one of {datasets}, jsonl:PATH for your own tasks, or "
                             "hub:OWNER/NAME for a hub dataset of them").format(name=repr(name),
                                                                                datasets=", ".join(DATASET_NAMES)))
    if task_ids is not None:
        tasks = _select(tasks, task_ids, name)
    if limit is not None:
        tasks = tasks[:limit]
    return tasks


def load_stored(name: str, task_ids: Sequence[str], dataset_path: Optional[Path] = None,
                from_hub: bool = False, max_prompt_tokens: Optional[int] = None) -> list[Task]:
    """The tasks of a stored run (`task_ids`, of dataset `name`) that the dataset holds: found by id, so that a
    large dataset (hub:KodCode/KodCode-V1) is not read whole; when the dataset no longer holds one of them, all
    its tasks (the caller sees which are missing)."""
    if task_ids:
        try:
            return load_tasks(name, dataset_path=dataset_path, task_ids=task_ids, from_hub=from_hub,
                              max_prompt_tokens=max_prompt_tokens)
        except DatasetError:  # an id the dataset lost, or a dataset that cannot be read: the full load says which
            pass
    return load_tasks(name, dataset_path=dataset_path, from_hub=from_hub, max_prompt_tokens=max_prompt_tokens)


def _select(tasks: list[Task], task_ids: Sequence[str], name: str) -> list[Task]:
    wanted = set(task_ids)
    known = {task.task_id for task in tasks}
    unknown = [task_id for task_id in task_ids if task_id not in known]
    if unknown:
        examples = ", ".join(task.task_id for task in tasks[:3])
        count = ngettext("{n} task", "{n} tasks", len(tasks)).format(n=len(tasks))
        raise DatasetError(_("{name} has no task {ids}: its ids look like {examples} ({count})").format(
            name=name, ids=", ".join(map(repr, unknown)), examples=examples, count=count))
    return [task for task in tasks if task.task_id in wanted]
