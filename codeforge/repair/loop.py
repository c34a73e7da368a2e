"""The repair loop: analyse -> prompt with every finding -> regenerate -> analyse and test the patch -> keep it
only when it passes the task's tests (when the task has tests) and has fewer findings by severity.

Epoch 0 stores each program's starting code and what the analyzers and tests say of it; epoch e asks the
model for a patch of every program that still has findings and judges that patch. Everything goes through
the store first (the layout is in codeforge/store/db.py), so the same command again resumes: a stored patch
is not asked for again, a stored verdict is not computed again. A sandbox failure says nothing about a
program: its verdict is not stored, the program waits for the next run of the command.

Tests run for every program with a task, whether or not `tests` is one of the analyzers: they gate every
patch (a patch that breaks them is never kept, so pass@1 cannot drop). With `tests` chosen, a failing run is
also a finding shown to the model. For C and C++ tasks the tests run under Valgrind, and memcheck's findings
are read from that same run.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Optional, Protocol, Sequence

from ..analyzers import AnalyzerUnavailable, Finding, analyze
from ..analyzers import memcheck as memcheck_analyzer
from ..analyzers import tests as tests_analyzer
from ..analyzers.base import Severity, Tool, sandbox_file
from ..bench.runner import sample_seed
from ..i18n import said
from ..models.base import Generator, LazyGenerator, PromptMode, Request
from ..models.prompts import extract_code
from ..sandbox.engine import SandboxUnavailable
from ..sandbox.jobs import Result, Status
from ..store import NO_CODE, RunRecord, SampleRecord, Store
from ..tasks.base import Task
from ..vocabulary import Action, FinishReason, Language, Purpose, RejectReason
from .config import RepairConfig
from .prompt import base_repair_prompt, chat_repair_prompt, findings_text

FEEDBACK_SOURCE = "findings"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Program:
    """One program to repair: a task's sample (task set) or a file (task None, sample 0)."""

    key: str  # the task id, or the file's path as given
    sample: int
    language: Language
    code: Optional[str]  # the starting code; None when the source sample held none
    task: Optional[Task] = None
    file: str = ""  # what findings name the file (a file's name; a task's program keeps the sandbox's)


@dataclass(frozen=True)
class Check:
    """What the tests and the analyzers said of one piece of code."""

    tests: Optional[Result]  # None: the program has no task, so no tests
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> Optional[bool]:
        return None if self.tests is None else self.tests.passed


class Reporter(Protocol):
    def epoch_started(self, epoch: int, to_generate: int, to_check: int) -> None: ...

    def generated(self, count: int) -> None: ...

    def judged(self, kept: bool) -> None: ...

    def sandbox_failed(self, message: str) -> None: ...


class SilentReporter:
    def epoch_started(self, epoch, to_generate, to_check): pass

    def generated(self, count): pass

    def judged(self, kept): pass

    def sandbox_failed(self, message): pass


def severity_counts(findings: Sequence[Finding]) -> tuple[int, int, int]:
    """(high, medium, low): compared as a tuple, fewer severe findings outrank any number of milder ones."""
    counts = Counter(f.severity for f in findings)
    return counts[Severity.high], counts[Severity.medium], counts[Severity.low]


def decide(program: Program, current: Sequence[Finding], code: Optional[str],
           check: Optional[Check]) -> Optional[RejectReason]:
    """None to keep the patch, else why not."""
    if code is None or check is None:
        return RejectReason.no_code
    if program.task is not None and not check.passed:
        return RejectReason.fails_tests
    if severity_counts(check.findings) >= severity_counts(current):
        return RejectReason.not_fewer_findings
    return None


def analysis(record: SampleRecord) -> Optional[dict]:
    """A stored round's analysis result ({"findings", "kept", "reason"}); None when it is not judged yet."""
    execution = record.executions.get(Purpose.analysis.value)
    return execution.result if execution is not None else None


def stored_findings(record: SampleRecord) -> list[Finding]:
    return [Finding.from_dict(f) for f in (analysis(record) or {}).get("findings", [])]


class RepairRunner:
    """Runs (or resumes) one stored repair run. `generator` is a callable: the model loads only when needed."""

    def __init__(self, store: Store, run: RunRecord, programs: Sequence[Program], config: RepairConfig,
                 generator: Callable[[], Generator], sandbox, reporter: Optional[Reporter] = None,
                 prechecked: Optional[dict] = None):
        """`prechecked`: (key, sample) -> Check of starting code already checked (not checked again)."""
        self.store, self.run, self.programs, self.config = store, run, list(programs), config
        self.prechecked = dict(prechecked or {})
        self._model = LazyGenerator(generator)
        self.sandbox = sandbox
        self.reporter = reporter or SilentReporter()
        self.unchecked: list[str] = []

    @property
    def generator(self) -> Generator:
        return self._model.get()

    def close(self) -> None:
        self._model.close()

    def execute(self) -> None:
        with ThreadPoolExecutor(max_workers=self.config.workers, thread_name_prefix="codeforge-repair") as pool:
            self._pool = pool
            for epoch in range(self.config.epochs + 1):
                self._epoch(epoch)

    # one epoch -----------------------------------------------------------------------------------------------

    def _epoch(self, epoch: int) -> None:
        index = {(s.task_id, s.sample, s.round): s for s in self.store.samples(self.run.id)}
        to_generate: list[tuple[Program, SampleRecord, Optional[RejectReason]]] = []
        to_check: list[tuple[Program, SampleRecord, list[Finding]]] = []
        for program in self.programs:
            record = index.get((program.key, program.sample, epoch))
            if epoch == 0:
                if record is None:
                    record = self._store_start(program)
                if analysis(record) is None:
                    to_check.append((program, record, []))
                continue
            current = self._current(program, index, epoch - 1)
            if current is None or current.code is None or not stored_findings(current):
                continue  # unchecked, nothing to start from, or clean: done
            if record is None:
                previous = index.get((program.key, program.sample, epoch - 1))
                reason = (analysis(previous) or {}).get("reason") if previous is not None and epoch > 1 else None
                to_generate.append((program, current, RejectReason(reason) if reason else None))
            elif analysis(record) is None:
                to_check.append((program, record, stored_findings(current)))
        self.reporter.epoch_started(epoch, len(to_generate), len(to_check))
        pending: dict[Future, tuple[Program, SampleRecord, list[Finding]]] = {}
        for program, record, current in to_check:
            self._submit(program, record, current, pending)
        if to_generate:
            requests = {}
            for program, current, rejected in to_generate:
                request = self._request(program, current, epoch, rejected)
                requests[request.key] = (request, program, current)
            for generation in self.generator.generate([entry[0] for entry in requests.values()], self._sampling()):
                request, program, current = requests[generation.key]
                record = self._store_patch(program, epoch, request, generation, stored_findings(current))
                self.reporter.generated(1)
                self._submit(program, record, stored_findings(current), pending)
                self._harvest(pending, block=False)
        while pending:
            self._harvest(pending, block=True)

    def _current(self, program: Program, index: dict, upto: int) -> Optional[SampleRecord]:
        """The program's code after epoch `upto`: its last kept round; None while a round is unjudged."""
        current = None
        for epoch in range(upto + 1):
            record = index.get((program.key, program.sample, epoch))
            if record is None:
                continue
            verdict = analysis(record)
            if verdict is None:
                return None
            if verdict.get("kept"):
                current = record
        return current

    # generation ---------------------------------------------------------------------------------------------

    def _sampling(self):
        from ..models.base import Sampling

        return Sampling(self.config.temperature, self.config.top_p, self.config.max_new_tokens)

    def _request(self, program: Program, current: SampleRecord, epoch: int,
                 rejected: Optional[RejectReason]) -> Request:
        language = program.language.value
        findings = findings_text(stored_findings(current), self.config.max_findings)
        task_prompt = program.task.prompt if program.task is not None else None
        key = f"{program.key}|{program.sample}|{epoch}"
        seed = sample_seed(self.config.seed, program.key, program.sample, epoch)
        if PromptMode(self.run.prompt_mode) is PromptMode.base:
            text, stop = base_repair_prompt(language, current.code, findings, task_prompt, rejected)
            return Request(key=key, seed=seed, task_id=program.key, text=text, stop=stop)
        messages, prefill = chat_repair_prompt(language, current.code, findings, task_prompt, rejected)
        return Request(key=key, seed=seed, task_id=program.key, messages=messages, prefill=prefill)

    def _code(self, program: Program, text: str) -> Optional[str]:
        """The patch's code, as the complete file its tests compile (what the next epoch shows and analyses)."""
        code = self._extract(program, text)
        return program.task.program_file(code) if code is not None and program.task is not None else code

    def _extract(self, program: Program, text: str) -> Optional[str]:
        language = program.language.value
        if PromptMode(self.run.prompt_mode) is PromptMode.chat:
            entry = program.task.entry_point if program.task is not None else ""
            return extract_code(text, language, entry, prefilled=self.generator.info.prefills)
        if program.task is not None:
            return program.task.code_from_completion(text)
        return text if text.strip() else None

    def _store_start(self, program: Program) -> SampleRecord:
        code = program.code
        self.store.add_sample(self.run.id, program.key, program.sample, 0, prompt="", raw_output=code or "",
                              code=code, finish_reason=FinishReason.stop.value, prompt_tokens=0,
                              completion_tokens=0, gen_seconds=0.0)
        return self._reload(program, 0)

    def _store_patch(self, program: Program, epoch: int, request: Request, generation,
                     current: list[Finding]) -> SampleRecord:
        reason = FinishReason(generation.finish_reason)
        code = None if reason is FinishReason.error else self._code(program, generation.text)
        prompt = json.dumps({"text": request.text} if request.text else
                            {"messages": list(request.messages), "prefill": request.prefill}, ensure_ascii=False)
        raw = generation.text if reason is not FinishReason.error else f"[generation failed] {generation.error}"
        self.store.add_sample(
            self.run.id, program.key, program.sample, epoch, prompt=prompt, raw_output=raw, code=code,
            finish_reason=reason.value, prompt_tokens=generation.prompt_tokens,
            completion_tokens=generation.completion_tokens, gen_seconds=generation.seconds,
            feedback=findings_text(current, self.config.max_findings), feedback_source=FEEDBACK_SOURCE)
        return self._reload(program, epoch)

    def _reload(self, program: Program, epoch: int) -> SampleRecord:
        return next(s for s in self.store.samples(self.run.id, program.key)
                    if s.sample == program.sample and s.round == epoch)

    # checks ------------------------------------------------------------------------------------------------

    def _submit(self, program: Program, record: SampleRecord, current: list[Finding], pending: dict) -> None:
        if record.code is None:
            self._store_verdict(program, record, current, None)
            return
        known = self.prechecked.pop((program.key, program.sample), None) if record.round == 0 else None
        if known is not None:
            self._store_verdict(program, record, current, known)
            return
        future = self._pool.submit(check_code, program, record.code, self.config, self.sandbox)
        pending[future] = (program, record, current)

    def _harvest(self, pending: dict, block: bool) -> None:
        done, _waiting = wait(list(pending), timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for future in done:
            program, record, current = pending.pop(future)
            try:
                check = future.result()
            except (SandboxUnavailable, AnalyzerUnavailable):
                raise  # nothing else can be checked either; the command says how to fix it
            except Exception as exc:  # the sandbox failed: nothing is known about the program
                message = said("{program}: {error}", program=program.key, error=exc)  # its English goes to --json
                self.unchecked.append(message)
                self.reporter.sandbox_failed(message)
                continue
            self._store_verdict(program, record, current, check)

    def _store_verdict(self, program: Program, record: SampleRecord, current: list[Finding],
                       check: Optional[Check]) -> None:
        if record.round == 0:
            reason = None
        else:
            reason = decide(program, current, record.code, check)
        if check is not None and check.tests is not None:
            result = check.tests
            self.store.add_execution(record.id, Purpose.tests, result.status.value, result.passed,
                                     result.duration_s, json.loads(result.to_json()))
        elif program.task is not None:
            self.store.add_execution(record.id, Purpose.tests, NO_CODE, False, 0.0, {})
        findings = list(check.findings) if check is not None else []
        status = NO_CODE if check is None else Status.failed.value if findings else Status.passed.value
        self.store.add_execution(record.id, Purpose.analysis, status, check is not None and not findings, 0.0,
                                 {"findings": [f.to_dict() for f in findings], "kept": reason is None,
                                  "reason": reason.value if reason else None})
        self.reporter.judged(reason is None)


def check_code(program: Program, code: str, config: RepairConfig, sandbox) -> Check:
    """The tests (when the program has a task) and every chosen analyzer, on `code`. Raises when the sandbox could
    not say (a failure of the sandbox is never read as "no findings")."""
    chosen = set(config.analyzers)
    findings: list[Finding] = []
    tests = None
    static = list(config.static_analyzers)
    if program.task is not None:
        spec = program.task.test_job(code)
        tests = sandbox.run(spec.job(f"repair-{next(_ids)}", config.timeout_s, config.memory_mb))
        if tests.status is Status.sandbox_error:
            raise RuntimeError(said("the tests could not run: {reason}",
                                    reason=tests.details.get("sandbox") or tests.stderr.strip()))
        if spec.action is Action.memcheck and Tool.memcheck in static:
            # the tests ran under Valgrind already: memcheck's findings are that run's
            findings.extend(memcheck_analyzer.findings(tests, code, sandbox_file(program.language)))
            static.remove(Tool.memcheck)
    findings.extend(analyze(code, program.language, static, sandbox, file=program.file or None))
    if tests is not None and Tool.tests in chosen:
        findings.extend(tests_analyzer.findings(tests, code, program.language))
    return Check(tests, tuple(findings))
