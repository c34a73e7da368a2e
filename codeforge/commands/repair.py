"""`codeforge repair FILE... | DATASET | --run NAME`: analyser findings fed back to a model until the code is clean
and still passes. Every option comes from codeforge/repair/config.py."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..i18n import _, english, ngettext
from ..repair.config import RepairConfig
from ._output import console as _console
from ._output import fail as _fail
from .bench_view import ProgressReporter


def register(app: typer.Typer) -> None:
    """`codeforge repair` is one command of the root app (it has no subcommands)."""
    from ._settings import settings_command

    settings_command(app, "repair", RepairConfig, no_args_is_help=True)(repair)


def repair(config: RepairConfig) -> None:
    """Feed analyzer findings back to a model until the code is clean and still passes its tests.

    The analyzers: bandit (Python), memcheck (C, C++), go vet and staticcheck (Go), the task's own tests. Every
    finding goes to the model; its patch is kept only when it still passes the tests and has fewer findings by
    severity; at most --epochs rounds.

    What to repair: program files (language from the suffix), a dataset (generated first, as `codeforge bench`
    does, then repaired), or --run NAME (every sample of a stored bench run; stored as NAME+REPAIR). Every epoch
    is stored and the same command again resumes; `codeforge report` shows EFR and findings before and after.
    Exit 0: done (or nothing to repair); 2: bad input (nothing lost); 3: some programs could not be checked
    (sandbox errors): run the same command again.

    Example: codeforge repair humaneval --model reference --analyzers bandit,tests
    """
    from ..repair.session import RepairError, run_repair
    from .bench import _quiet_libraries, _terminate_as_interrupt
    _terminate_as_interrupt()
    _quiet_libraries()
    out = _console(stderr=config.json)
    try:
        with EpochProgress(out) as reporter:
            outcome = run_repair(config, reporter, bench_reporter=reporter)
    except RepairError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail(_("interrupted. Everything finished so far is stored; run the same command again to resume."), 130)
    if outcome.run is None:
        _print_checks(out, outcome, config)
    else:
        _print_run(out, outcome, config)
    if outcome.unchecked:
        raise typer.Exit(3)


def _print_checks(out: Console, outcome, config: RepairConfig) -> None:
    """A dry run, or a new run with nothing to repair: the findings of the starting code."""
    if config.json:
        typer.echo(json.dumps(checks_json(outcome), indent=2))
    found = sum(len(c.findings) for c in outcome.checks.values())
    for program in outcome.programs:
        check = outcome.checks.get((program.key, program.sample))
        if check is None or not check.findings:
            continue
        label = program.key + (" " + _("(sample {sample})").format(sample=program.sample) if program.sample else "")
        count = len(check.findings)
        out.print(Text(f"{label}: " + ngettext("{count} finding", "{count} findings", count).format(count=count),
                       style="bold"))
        for finding in check.findings:
            where = _("line {line}").format(line=finding.line) if finding.line else "-"
            cwe = f" CWE-{finding.cwe}" if finding.cwe else ""
            first = finding.message.strip().splitlines()[0] if finding.message.strip() else ""
            out.print(Text.assemble(f"  {finding.tool.value} {finding.rule} ",
                                    (finding.severity.value, _SEVERITY_STYLE[finding.severity.value]),
                                    f"{cwe} {where}: {first}"), soft_wrap=True)
    checked = len(outcome.checks)
    if outcome.clean:
        out.print(ngettext("nothing to repair: no analyzer found anything in {count} program ({analyzers})",
                           "nothing to repair: no analyzer found anything in {count} programs ({analyzers})",
                           checked).format(count=checked, analyzers=", ".join(t.value for t in config.analyzers)),
                  highlight=False)
    else:
        out.print(ngettext("{count} finding", "{count} findings", found).format(count=found) + " "
                  + ngettext("in {count} checked program", "in {count} checked programs", checked).format(
                      count=checked)
                  + (" " + _("(dry run: nothing generated or stored)") if config.dry_run else ""), highlight=False)
    for message in outcome.unchecked:
        out.print(Text.assemble((_("not checked (sandbox error): "), "yellow"), message))


_SEVERITY_STYLE = {"high": "red", "medium": "yellow", "low": "cyan"}


def checks_json(outcome) -> dict:
    programs = []
    for program in outcome.programs:
        check = outcome.checks.get((program.key, program.sample))
        programs.append({"program": program.key, "sample": program.sample, "language": program.language.value,
                         "checked": check is not None,
                         "tests": None if check is None or check.tests is None else check.tests.status.value,
                         "findings": [] if check is None else [f.to_dict() for f in check.findings]})
    return {"programs": programs, "unchecked": [english(u) for u in outcome.unchecked], "stored": False}


def _print_run(out: Console, outcome, config: RepairConfig) -> None:
    from ..repair.scores import repair_summaries
    from ..store import Store
    from .repair_view import print_repair, repair_json

    with Store.open(outcome.db, create=False) as store:
        summaries = repair_summaries(store, outcome.run)
    print_repair(out, outcome.run, summaries)
    where = _("resumed as {name} on {dataset} in {path}") if outcome.resumed else \
        _("stored as {name} on {dataset} in {path}")
    out.print(where.format(name=escape(outcome.run.name), dataset=escape(outcome.run.dataset),
                           path=escape(str(outcome.db)))
              + (_("; each program's epochs written to {path}").format(path=escape(str(outcome.export)))
                 if outcome.export else ""), highlight=False)
    for message in outcome.unchecked:
        out.print(Text.assemble((_("not checked (sandbox error; run the command again): "), "yellow"), message))
    if config.json:
        typer.echo(json.dumps({**repair_json(outcome.run, summaries), "unchecked": [english(u) for u in outcome.unchecked],
                               "db": str(outcome.db)}, indent=2))


class EpochProgress(ProgressReporter):
    """Bench's bars while a dataset is generated, then one bar per epoch counting the programs judged, with how
    many patches were kept."""

    def epoch_started(self, epoch: int, to_generate: int, to_check: int) -> None:
        self.kept = self.judged_count = 0
        self.epoch = epoch
        total = to_generate + to_check
        label = _("epoch 0 (the starting code)") if epoch == 0 else _("epoch {epoch}").format(epoch=epoch)
        self.bar = self.progress.add_task(label, total=max(total, 1), note=_("nothing left to do") if not total else "")
        if not total:
            self.progress.update(self.bar, completed=1)

    def judged(self, kept: bool) -> None:
        self.judged_count += 1
        self.kept += int(kept)
        note = _("patches kept {kept}/{judged}").format(kept=self.kept, judged=self.judged_count) if self.epoch else ""
        self.progress.update(self.bar, advance=1, note=note)

    def sandbox_failed(self, message: str) -> None:
        self.progress.console.print(Text.assemble((_("sandbox error (the program stays unchecked): "), "yellow"),
                                                  message))
