"""Tasks from a dataset on the Hugging Face hub: `hub:OWNER/NAME` (every split, in the dataset's own order) or
`hub:OWNER/NAME:SPLIT`. Its rows are those jsonl.py reads: codeforge's schema, or KodCode's own field names
(`hub:KodCode/KodCode-V1` loads as it is). datasets.load_dataset reads the repo, so a copy in the local cache
loads offline, and a local folder of data files (`hub:/data/kodcode`, with train.jsonl) works as a repo too.

KodCode-V1 has ~480k rows in one split: the Arrow dataset is read lazily, up to `limit` tasks; with `task_ids`
only the id column is scanned (until every id is found) and only the wanted rows are read.
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

from ..i18n import N_, _, ngettext
from .base import DatasetError, Record, Task, hub_splits
from .jsonl import make_tasks

PREFIX = "hub:"
HINT = N_("on a machine with the hub, export the rows to JSON lines (e.g. datasets' to_json) and use jsonl:PATH; "
        "KodCode's field names load as they are")
ID_FIELDS = ("task_id", "question_id")  # codeforge's id, then KodCode's (jsonl.make_task prefers task_id too)
SCAN_BATCH = 10_000


def load(spec: str, limit: Optional[int] = None, task_ids: Optional[Sequence[str]] = None,
         max_prompt_tokens: Optional[int] = None) -> list[Task]:
    """The tasks of `spec` in dataset order: only `task_ids` when given, else the first `limit` (all: None)."""
    repo, split = parse(spec)
    splits = hub_splits(repo, None, spec, _(HINT), split, needed_by=spec)
    records = _wanted(splits, task_ids, spec) if task_ids is not None else _records(splits, spec)
    return make_tasks(records, spec, spec, limit=None if task_ids is not None else limit, unit="row",
                      max_prompt_tokens=max_prompt_tokens)


def parse(spec: str) -> tuple[str, Optional[str]]:
    """`hub:OWNER/NAME[:SPLIT]` -> (repo, split or None). A repo may be a local folder, so only a last part
    without a slash is a split."""
    rest = spec[len(PREFIX):]
    repo, colon, split = rest.rpartition(":")
    if not colon or not split or "/" in split or "\\" in split:
        repo, split = rest, ""
    if not repo:
        raise DatasetError(_("{spec} names no dataset: hub:OWNER/NAME (e.g. hub:KodCode/KodCode-V1), or "
                             "hub:OWNER/NAME:SPLIT for one split").format(spec=repr(spec)))
    return repo, split or None


def _records(splits, spec: str) -> Iterator[Record]:
    """Every row, one at a time, as the tasks ask for them."""
    for name, dataset in splits:
        for index, row in enumerate(dataset):
            yield _record(row, spec, name, index)


def _wanted(splits, task_ids: Sequence[str], spec: str) -> Iterator[Record]:
    """The rows whose id is one of `task_ids`, in dataset order: the id columns are scanned until every id is
    found, then only those rows are read. An id that no row has is an error naming some that exist."""
    if any(not _id_columns(dataset) for _, dataset in splits):  # no ids to scan: make_task names the field
        yield from _records(splits, spec)
        return
    wanted, found, examples, total = set(map(str, task_ids)), set(), [], 0
    located: list[tuple[str, object, int]] = []
    for name, dataset in splits:
        total += len(dataset)
        columns = _id_columns(dataset)
        index = 0
        for batch in dataset.select_columns(columns).iter(batch_size=SCAN_BATCH):
            for values in zip(*(batch[column] for column in columns)):
                task_id = next((str(value) for value in values if value is not None), None)
                if len(examples) < 3 and task_id is not None:
                    examples.append(task_id)
                if task_id in wanted:
                    found.add(task_id)
                    located.append((name, dataset, index))
                index += 1
            if found == wanted:
                break
        if found == wanted:
            break
    unknown = [task_id for task_id in dict.fromkeys(map(str, task_ids)) if task_id not in found]
    if unknown:
        count = ngettext("{n} row", "{n} rows", total).format(n=total)
        raise DatasetError(_("{name} has no task {ids}: its ids look like {examples} ({count})").format(
            name=spec, ids=", ".join(map(repr, unknown)), examples=", ".join(examples), count=count))
    for name, dataset, index in located:
        yield _record(dataset[index], spec, name, index)


def _id_columns(dataset) -> list[str]:
    return [column for column in ID_FIELDS if column in dataset.column_names]


def _record(row: dict, spec: str, split: str, index: int) -> Record:
    # Arrow gives every row every column, None where a row had no such field: absent is what the schema means.
    return Record({key: value for key, value in row.items() if value is not None},
                  _("{spec} {split} row {number}").format(spec=spec, split=split, number=index + 1))
