"""Text-to-text tasks: `jsonl:PATH` rows `{"kind": "text", "task_id", "prompt", "reference"}`.

The model answers the prompt in prose (a summary, an explanation, a commit message); nothing runs in the sandbox.
Its answer is scored against `reference` by the similarity metrics of `codeforge bench --metrics` (BLEU, chrF,
BERTScore; CodeBLEU does not apply to prose), which is how an adapter trained with `codeforge finetune --data
jsonl:...` on such rows is measured. A text task has no tests: no pass@k, no feedback rounds. `language` is
None: its answers are in no programming language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..i18n import _
from .base import Ask, DatasetError, JobSpec, Record, Task

KIND = "text"
FIELDS = {"kind", "task_id", "prompt", "reference"}


@dataclass(frozen=True)
class TextTask(Task):
    def code_from_completion(self, completion: str) -> str:
        return completion  # a base model's continuation is the answer itself

    def ask(self) -> Optional[Ask]:
        return Ask(request=self.prompt, prefill="", fix="", answer="text")

    def test_job(self, code: str) -> JobSpec:
        raise TypeError(f"{self.task_id} is a text task: it has no tests to run")  # untranslated: API misuse

    def visible_job(self, code: str) -> JobSpec:
        raise TypeError(f"{self.task_id} is a text task: it has no tests to run")  # untranslated: API misuse


def make_row_task(record: Record, dataset: str) -> TextTask:
    """A jsonl row of kind "text" as a task; the other fields of the row are kept in `extra`."""
    missing = [name for name in ("task_id", "prompt", "reference") if name not in record.row]
    if missing:
        raise DatasetError(_("{where}: a text task needs {fields}").format(where=record.where,
                                                                             fields=", ".join(missing)))
    reference = str(record.get("reference", str))
    return TextTask(task_id=str(record.get("task_id", str, int)), dataset=dataset, language=None,
                    prompt=str(record.get("prompt", str)), entry_point="", reference=reference, timeout_s=0.0,
                    extra={k: v for k, v in record.row.items() if k not in FIELDS})


def is_text(task: Task) -> bool:
    return task.answer == "text"
