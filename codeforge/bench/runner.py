"""The bench loop: generate -> execute -> feedback, for round 0 and up to `chain` more rounds.

Everything goes through the store first: a generation is stored before its program is sent to the sandbox,
and an execution as soon as its result comes back. Re-running the same command therefore resumes: it reads
the store, generates only the samples that have no stored generation and executes only those with no stored
result. Rounds are barriers (round r+1 needs round r's verdicts); inside a round, programs run in the sandbox
while the next batch generates.

A sandbox failure (`sandbox_error`) says nothing about the program, so it is not stored: the sample is
counted as unchecked and the next run of the same command executes it again.
"""

from __future__ import annotations

import json
import zlib
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Callable, Optional, Protocol

from ..graphs.prompt_text import GraphChoice, feedback_with_graph
from ..models.base import Generator, LazyGenerator, ModelInfo, PromptMode, Request
from ..models.prompts import (base_feedback_prompt, chat_feedback_prompt, chat_prompt, clean_output, extract_code,
                              stop_sequences)
from ..sandbox.engine import SandboxUnavailable
from ..sandbox.jobs import Job, Status
from ..store import NO_CODE, RunRecord, SampleRecord, Store
from ..tasks.base import JobSpec, Task
from ..vocabulary import FinishReason, Purpose
from .config import BenchConfig
from .feedback import FeedbackSource, feedback_text
from .scores import RoundSummary, summarize


class Reporter(Protocol):
    def model_loading(self, model: str) -> None: ...

    def model_loaded(self, seconds: float) -> None: ...

    def round_started(self, round: int, to_generate: int, to_execute: int) -> None: ...

    def generated(self, count: int) -> None: ...

    def executed(self, passed: bool) -> None: ...

    def sandbox_failed(self, message: str) -> None: ...

    def answered(self) -> None: ...  # a sample with nothing to check (a text task's answer) is done


class SilentReporter:
    def model_loading(self, model): pass

    def model_loaded(self, seconds): pass

    def round_started(self, round, to_generate, to_execute): pass

    def generated(self, count): pass

    def executed(self, passed): pass

    def sandbox_failed(self, message): pass

    def answered(self): pass


def sample_seed(seed: int, task_id: str, sample: int, round: int) -> int:
    """A seed per (task, sample, round), the same in every run and every process."""
    return zlib.crc32(f"{seed}|{task_id}|{sample}|{round}".encode()) & 0x7FFFFFFF


class BenchRunner:
    """Runs (or resumes) one stored run. `generator` is a callable so the model loads only when needed."""

    def __init__(self, store: Store, run: RunRecord, tasks: list[Task], settings: BenchConfig,
                 generator: Callable[[], Generator], sandbox, reporter: Optional[Reporter] = None):
        self.store, self.run, self.tasks, self.settings = store, run, tasks, settings
        self._model = LazyGenerator(generator)
        self.sandbox = sandbox
        self.reporter = reporter or SilentReporter()
        self.by_id = {task.task_id: task for task in tasks}
        self.mode = PromptMode(run.prompt_mode)

    @property
    def generator(self) -> Generator:
        return self._model.get()

    def close(self) -> None:
        self._model.close()

    def execute(self) -> list[RoundSummary]:
        summaries = []
        for round in range(self.settings.chain + 1):
            self._round(round)
            summaries.append(self.summary(round))
        return summaries

    # one round ---------------------------------------------------------------------------------------------

    def _round(self, round: int) -> None:
        index = self._index()
        to_generate: list[tuple[Task, int, Optional[SampleRecord]]] = []
        to_execute: list[SampleRecord] = []
        for task in self.tasks:
            for sample in range(self.settings.samples):
                previous = index.get((task.task_id, sample, round - 1))
                if round > 0 and (previous is None or previous.tested is None or previous.passed):
                    continue  # solved earlier, or its earlier round is unfinished (sandbox error)
                if round > 0 and self._wants_visible(previous, round - 1) and Purpose.visible not in previous.executions:
                    continue  # its feedback could not be built (sandbox error); the next run of the command will
                current = index.get((task.task_id, sample, round))
                if current is None:
                    to_generate.append((task, sample, previous))
                elif self._missing_executions(current, round):
                    to_execute.append(current)
        self.reporter.round_started(round, len(to_generate), len(to_execute))
        pending: dict[Future, tuple[SampleRecord, str]] = {}
        for record in to_execute:
            self._submit(record, round, pending)
        if to_generate:
            requests = [self._request(task, sample, round, previous) for task, sample, previous in to_generate]
            by_key = {request.key: (request, item) for request, item in zip(requests, to_generate)}
            for generation in self.generator.generate(requests, self.settings.sampling):
                request, (task, sample, previous) = by_key[generation.key]
                record = self._store_generation(task, sample, round, request, generation, previous)
                self.reporter.generated(1)
                self._submit(record, round, pending)
                self._harvest(pending, round, block=False)
        while pending:
            self._harvest(pending, round, block=True)

    def _missing_executions(self, record: SampleRecord, round: int) -> bool:
        if self.by_id[record.task_id].answer == "text":
            return False  # prose: scored by the similarity metrics after the round, never run
        if record.tested is None:
            return True
        return self._wants_visible(record, round) and Purpose.visible not in record.executions

    def _wants_visible(self, record: SampleRecord, round: int) -> bool:
        """Visible feedback is needed for a failed sample that gets another round."""
        return (self.settings.feedback is FeedbackSource.visible and round < self.settings.chain
                and record.tested is not None and not record.passed and record.tested.status != NO_CODE)

    def _request(self, task: Task, sample: int, round: int, previous: Optional[SampleRecord]) -> Request:
        key = f"{task.task_id}|{sample}|{round}"
        seed = sample_seed(self.settings.seed, task.task_id, sample, round)
        feedback = self._feedback(task, previous)
        if previous is not None:
            attempt = previous.code if previous.code is not None else previous.raw_output
        if task.answer == "text":  # prose: the prompt as it is, to continue or to answer; one round only
            if self.mode is PromptMode.base:
                return Request(key=key, seed=seed, task_id=task.task_id, text=task.prompt, stop=())
            return Request(key=key, seed=seed, task_id=task.task_id,
                           messages=({"role": "user", "content": task.prompt},), prefill="")
        ask = task.ask()
        if self.mode is PromptMode.base:
            language = task.language.value
            text = task.prompt if previous is None else base_feedback_prompt(task.prompt, language, attempt, feedback)
            stop = stop_sequences(language, prompt_opens_function=task.prompt_opens_function,
                                  answer=task.answer)
            return Request(key=key, seed=seed, task_id=task.task_id, text=text, stop=stop)
        if previous is None:
            messages, prefill = chat_prompt(task.prompt, task.language.value, ask)
        else:
            messages, prefill = chat_feedback_prompt(task.prompt, task.language.value, attempt, feedback, ask)
        return Request(key=key, seed=seed, task_id=task.task_id, messages=tuple(messages), prefill=prefill)

    def _feedback(self, task: Task, previous: Optional[SampleRecord]) -> Optional[str]:
        """What the model is told about its previous answer: with --feedback-graph, the failed program's graph
        follows, as `codeforge finetune --graph KIND --feedback` trained it."""
        if previous is None:
            return None
        text = feedback_text(self.settings.feedback, previous.executions, previous.raw_output, previous.code,
                             answer=task.answer)
        if self.settings.feedback_graph is GraphChoice.none or previous.code is None:
            return text
        return feedback_with_graph(text, previous.code, task.language.value, self.settings.feedback_graph,
                                   self.settings.seed)

    def _store_generation(self, task, sample, round, request: Request, generation, previous) -> SampleRecord:
        info: ModelInfo = self.generator.info
        reason = FinishReason(generation.finish_reason)
        if reason is FinishReason.error:
            code = None
        elif task.answer == "text":  # the answer is the prose itself
            code = clean_output(generation.text).strip() or None
        elif self.mode is PromptMode.base:
            code = task.code_from_completion(generation.text)
        else:
            code = extract_code(generation.text, task.language.value, task.entry_point, prefilled=info.prefills,
                                answer=task.answer)
        prompt = json.dumps({"text": request.text} if self.mode is PromptMode.base
                            else {"messages": list(request.messages), "prefill": request.prefill},
                            ensure_ascii=False)
        feedback = self._feedback(task, previous)
        raw = generation.text if reason is not FinishReason.error else f"[generation failed] {generation.error}"
        sample_id = self.store.add_sample(
            self.run.id, task.task_id, sample, round, prompt=prompt, raw_output=raw, code=code,
            finish_reason=reason.value, prompt_tokens=generation.prompt_tokens,
            completion_tokens=generation.completion_tokens, gen_seconds=generation.seconds,
            feedback=feedback, feedback_source=self.settings.feedback.value if feedback is not None else None)
        return SampleRecord(sample_id, task.task_id, sample, round, prompt, raw, code, reason.value,
                            generation.prompt_tokens, generation.completion_tokens, generation.seconds, feedback,
                            self.settings.feedback.value if feedback is not None else None, {})

    # execution --------------------------------------------------------------------------------------------

    def _job(self, record: SampleRecord, purpose: Purpose) -> Job:
        task = self.by_id[record.task_id]
        spec: JobSpec = task.test_job(record.code) if purpose is Purpose.tests else task.visible_job(record.code)
        return spec.job(f"{self.run.id}:{record.id}:{purpose.value}", self.settings.timeout_s,
                        self.settings.memory_mb)

    def _submit(self, record: SampleRecord, round: int, pending: dict) -> None:
        if self.by_id[record.task_id].answer == "text":
            self.reporter.answered()
            return
        if record.tested is None:
            if record.code is None:
                self.store.add_execution(record.id, Purpose.tests, NO_CODE, False, 0.0, {})
                self.reporter.executed(False)
                record = self._reload(record)
            else:
                pending[self.sandbox.submit(self._job(record, Purpose.tests))] = (record, Purpose.tests)
                return
        if self._wants_visible(record, round) and Purpose.visible not in record.executions:
            task, tested = self.by_id[record.task_id], record.tested
            if task.visible_job(record.code) == task.test_job(record.code):  # a unit test is its own check
                self.store.add_execution(record.id, Purpose.visible, tested.status, tested.passed, tested.duration_s,
                                         tested.result)
                return
            pending[self.sandbox.submit(self._job(record, Purpose.visible))] = (record, Purpose.visible)

    def _harvest(self, pending: dict, round: int, block: bool) -> None:
        done, _ = wait(list(pending), timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for future in done:
            record, purpose = pending.pop(future)
            try:
                result = future.result()
            except SandboxUnavailable:
                raise  # no engine or no image: nothing else can run either; the command says how to fix it
            except Exception as exc:  # the sandbox raised: nothing is known about the program
                self.reporter.sandbox_failed(f"{record.task_id}: {exc}")
                continue
            if result.status is Status.sandbox_error:
                self.reporter.sandbox_failed(f"{record.task_id}: {result.stderr.strip()[-300:]}")
                continue
            self.store.add_execution(record.id, purpose, result.status.value, result.passed, result.duration_s,
                                     json.loads(result.to_json()))
            if purpose is Purpose.tests:
                self.reporter.executed(result.passed)
                self._submit(self._reload(record), round, pending)

    def _reload(self, record: SampleRecord) -> SampleRecord:
        return next(s for s in self.store.samples(self.run.id, record.task_id) if s.id == record.id)

    # scores -----------------------------------------------------------------------------------------------

    def _index(self) -> dict[tuple[str, int, int], SampleRecord]:
        return {(s.task_id, s.sample, s.round): s for s in self.store.samples(self.run.id) if s.task_id in self.by_id}

    def summary(self, round: int) -> RoundSummary:
        return summarize(self.store.samples(self.run.id), [t.task_id for t in self.tasks], self.settings.samples,
                         round, self.settings.ks, tested=any(t.answer != "text" for t in self.tasks))
