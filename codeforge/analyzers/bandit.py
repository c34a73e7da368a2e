"""bandit (Python security linter), run in the Python sandbox image on one file; every finding it reports.

B101 (assert_used) is skipped by default: tests and contracts assert on purpose; so is B322 (input), which
only Python 2's input deserved and which later bandit releases dropped. A file that does not parse
is a finding (rule "syntax-error", high), never a clean file. The CWE is bandit's own (`issue_cwe`, from
bandit 1.7.3 on); Debian bookworm ships 1.6.2, which gives none, so the rule's CWE as later bandit releases
state it is used where the JSON has none.
"""

from __future__ import annotations

import json
import re
from typing import Optional

from ..i18n import said
from ..vocabulary import Language
from ._sandbox import report_of, tool_reports
from .base import Finding, Severity, Tool, code_line, sandbox_file

DEFAULT_SKIP = frozenset({"B101", "B322"})
# bandit's rule -> CWE, as bandit >= 1.7.3 reports it (bandit/plugins, bandit/blacklists).
RULE_CWE = {
    "B101": 703, "B102": 78, "B103": 732, "B104": 605, "B105": 259, "B106": 259, "B107": 259, "B108": 377,
    "B110": 703, "B112": 703, "B113": 400, "B201": 94, "B202": 22, "B301": 502, "B302": 502, "B303": 327,
    "B304": 327, "B305": 327, "B306": 377, "B307": 78, "B308": 79, "B310": 22, "B311": 330, "B312": 319,
    "B313": 20, "B314": 20, "B315": 20, "B316": 20, "B317": 20, "B318": 20, "B319": 20,
    "B321": 319, "B323": 295, "B324": 327, "B401": 319, "B402": 319, "B403": 502, "B404": 78, "B405": 20,
    "B406": 20, "B407": 20, "B408": 20, "B409": 20, "B411": 20, "B412": 284, "B413": 327,
    "B501": 295, "B502": 327, "B503": 327, "B504": 327, "B505": 326, "B506": 20, "B507": 295, "B508": 319,
    "B509": 319, "B601": 78, "B602": 78, "B603": 78, "B604": 78, "B605": 78, "B606": 78, "B607": 78,
    "B608": 89, "B609": 155, "B610": 89, "B611": 89, "B701": 94, "B702": 80, "B703": 80,
}
_LINE = re.compile(r"line (\d+)")


class Bandit:
    name = Tool.bandit
    languages = frozenset({Language.python})

    def __init__(self, skip: frozenset[str] = DEFAULT_SKIP):
        self.skip = frozenset(skip)

    def analyze(self, code: str, language: Language, sandbox, task=None) -> list[Finding]:
        return self.findings(tool_reports(code, language, sandbox), code)

    def findings(self, result, code: str) -> list[Finding]:
        report = report_of(result, "bandit", Tool.bandit)
        return parse(report.get("stdout") or "", code, self.skip, report.get("stderr") or "")


def parse(output: str, code: str, skip=DEFAULT_SKIP, stderr: str = "") -> list[Finding]:
    """bandit's `-f json` report -> Findings, in line order; a file bandit could not parse is a finding."""
    try:
        data = json.loads(output)
    except ValueError:
        raise RuntimeError(said("bandit wrote no JSON report: {output}",
                                output=(stderr or output).strip()[-300:])) from None
    found = []
    for error in data.get("errors") or []:
        reason = str(error.get("reason") or "the file does not parse")
        line = _syntax_error_line(code)
        found.append(Finding(Tool.bandit, "syntax-error", Severity.high, None, None, _name(error.get("filename")),
                             line, reason, code_line(code, line)))
    for issue in data.get("results") or []:
        rule = str(issue.get("test_id") or "")
        if rule in skip:
            continue
        line = issue.get("line_number")
        cwe = (issue.get("issue_cwe") or {}).get("id") or RULE_CWE.get(rule)
        found.append(Finding(Tool.bandit, rule, Severity(str(issue.get("issue_severity", "high")).lower()),
                             str(issue.get("issue_confidence", "")).lower() or None, int(cwe) if cwe else None,
                             _name(issue.get("filename")), line,
                             str(issue.get("issue_text") or issue.get("test_name") or rule),
                             code_line(code, line)))
    return sorted(found, key=lambda f: (f.line or 0, f.rule))


def _name(path: Optional[str]) -> str:
    return (path or sandbox_file(Language.python)).rsplit("/", 1)[-1]


def _syntax_error_line(code: str) -> Optional[int]:
    try:
        compile(code, "main.py", "exec", dont_inherit=True, flags=0x400)  # ast.PyCF_ONLY_AST: nothing runs
    except SyntaxError as exc:
        return exc.lineno
    except ValueError:  # a NUL byte
        return None
    return None
