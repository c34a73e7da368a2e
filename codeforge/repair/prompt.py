"""What the model is shown in a repair epoch: the task (when there is one), the current code, and every finding,
grouped by tool with its line, rule, severity and CWE. `--max-findings` keeps the most severe and the prompt
says how many were left out, and of which severity. A patch that was not kept is named, with why, so the model
does not write it again.
"""

from __future__ import annotations

from collections import Counter
from typing import Optional, Sequence

from ..analyzers.base import Finding, Severity
from ..models.prompts import COMMENT, FENCE_TAGS, LANGUAGE_NAMES, stop_sequences
from ..vocabulary import RejectReason

_RANK = {Severity.high: 0, Severity.medium: 1, Severity.low: 2}
WHY_NOT_KEPT = {
    RejectReason.no_code: "your last answer held no code",
    RejectReason.fails_tests: "your last rewrite did not pass the task's tests, so it was not kept",
    RejectReason.not_fewer_findings: "your last rewrite did not have fewer problems, so it was not kept",
}


def ordered(findings: Sequence[Finding]) -> list[Finding]:
    """Most severe first; then by tool and line, so the same findings always read the same."""
    return sorted(findings, key=lambda f: (_RANK[f.severity], f.tool.value, f.line or 0, f.rule, f.message))


def findings_text(findings: Sequence[Finding], max_findings: int) -> str:
    """Every finding (up to `max_findings`, the most severe), grouped by tool, as a person would read them."""
    shown = ordered(findings)[:max_findings]
    left = ordered(findings)[max_findings:]
    lines = [f"The analyzers found {_count(len(findings), 'problem')} in it:"]
    for tool in dict.fromkeys(f.tool for f in shown):
        group = [f for f in shown if f.tool is tool]
        lines.append(f"\n{tool.value} ({len(group)}):")
        for finding in group:
            lines.extend(_finding_lines(finding))
    if left:
        by_severity = Counter(f.severity.value for f in left)
        detail = ", ".join(f"{by_severity[s.value]} {s.value}" for s in _RANK if by_severity[s.value])
        lines.append(f"\n({_count(len(left), 'more finding')} not shown: {detail})")
    return "\n".join(lines)


def _finding_lines(finding: Finding) -> list[str]:
    where = f"line {finding.line} " if finding.line else ""
    labels = [finding.rule, finding.severity.value] + ([f"CWE-{finding.cwe}"] if finding.cwe else [])
    message, *more = finding.message.strip().splitlines() or [""]
    lines = [f"- {where}[{', '.join(labels)}]: {message}"]
    lines.extend(f"    {line}" for line in more)
    if finding.code_line:
        lines.append(f"    the line: {finding.code_line}")
    return lines


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _instruction(language: str, has_task: bool) -> str:
    keep = "still solves the task" if has_task else "still does what it does now"
    return (f"Rewrite the program so that it has none of these problems and {keep}. Return the complete "
            f"corrected {LANGUAGE_NAMES[language]} program in one markdown code block.")


def chat_repair_prompt(language: str, code: str, findings: str, task_prompt: Optional[str] = None,
                       rejected: Optional[RejectReason] = None) -> tuple[tuple[dict, ...], str]:
    """(messages, prefill) for an instruct model."""
    fence, name = FENCE_TAGS[language], LANGUAGE_NAMES[language]
    parts = []
    if task_prompt:
        parts.append(f"The task:\n```{fence}\n{task_prompt.strip(chr(10)).rstrip()}\n```")
        parts.append(f"A {name} program written for it:")
    else:
        parts.append(f"A {name} program:")
    parts.append(f"```{fence}\n{_with_newline(code)}```")
    parts.append(findings)
    if rejected is not None:
        parts.append(WHY_NOT_KEPT[rejected].capitalize() + ".")
    parts.append(_instruction(language, task_prompt is not None))
    prefill = f"Here is the complete corrected {name} program:\n```{fence}\n"
    return ({"role": "user", "content": "\n\n".join(parts)},), prefill


def base_repair_prompt(language: str, code: str, findings: str, task_prompt: Optional[str] = None,
                       rejected: Optional[RejectReason] = None) -> tuple[str, tuple[str, ...]]:
    """(text, stop sequences) for a base model: the program and its findings as comments, then the task's prompt
    to continue (or, for a file with no task, a fresh start of the whole program)."""
    mark = COMMENT[language]

    def commented(text: str) -> str:
        return "".join(f"{mark} {line}".rstrip() + "\n" for line in text.rstrip("\n").splitlines())

    note = commented(WHY_NOT_KEPT[rejected].capitalize() + ".") if rejected is not None else ""
    head = (f"{mark} A program:\n{commented(code)}{commented(findings)}{note}"
            f"{mark} The same program with none of these problems:\n\n")
    if task_prompt:
        return head + task_prompt, stop_sequences(language, prompt_opens_function=True)
    return head, stop_sequences(language, prompt_opens_function=False)


def _with_newline(code: str) -> str:
    return code if code.endswith("\n") else code + "\n"
