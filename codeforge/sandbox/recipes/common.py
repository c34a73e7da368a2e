"""What every language's recipe shares: runner steps, the statuses no language decides, and the Result."""

from __future__ import annotations

from typing import Any, Optional

from ..jobs import Job, Result, Status

STEP_KEYS = ("name", "exit_code", "signal", "duration_s")
# Signal numbers as the programs' kernel (Linux, x86_64 and aarch64) numbers them: the host may be another OS.
LINUX_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
                 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
                 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP",
                 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
                 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS"}


def step(name: str, argv: list[str], env: Optional[dict] = None, cwd: str = ".", stdin: Optional[str] = None,
         stop_on_failure: bool = True) -> dict:
    return {"name": name, "argv": argv, "env": env or {}, "cwd": cwd, "stdin": stdin,
            "stop_on_failure": stop_on_failure}


def find_step(response: dict, name: str) -> Optional[dict]:
    for item in response.get("steps", []):
        if item.get("name") == name:
            return item
    return None


def sandbox_limits_status(response: dict) -> Optional[Status]:
    """The statuses that no language decides: runner trouble, memory, wall clock, output flood."""
    if response.get("anomaly"):
        return Status.sandbox_error
    if response.get("oom"):
        return Status.oom
    steps = response.get("steps", [])
    if any(s.get("timed_out") for s in steps):
        return Status.timeout
    if any(s.get("output_limit") for s in steps):
        return Status.output_limit
    return None


def make_result(job: Job, response: dict, status: Status, shown: Optional[dict],
                details: Optional[dict[str, Any]] = None) -> Result:
    """Assemble a Result whose stdout/stderr/exit code are those of the step `shown`."""
    shown = shown or {}
    info: dict[str, Any] = {"steps": [{k: s.get(k) for k in STEP_KEYS} for s in response.get("steps", [])]}
    if shown.get("signal"):
        info["signal"] = signal_name(shown["signal"])
        info["signal_number"] = shown["signal"]
    if response.get("anomaly"):
        info["sandbox"] = response["anomaly"]
    info.update(details or {})
    truncated = any(s.get("stdout_truncated") or s.get("stderr_truncated") for s in response.get("steps", []))
    return Result(
        id=job.id,
        status=status,
        exit_code=shown.get("exit_code"),
        stdout=shown.get("stdout", ""),
        stderr=shown.get("stderr", ""),
        truncated=truncated,
        duration_s=float(response.get("duration_s") or 0.0),
        details=info,
    )


def signal_name(number: int) -> str:
    """The name of a Linux signal number (the container's numbering, whatever the host's)."""
    return LINUX_SIGNALS.get(number) or f"signal {number}"


def exit_status(step_report: Optional[dict]) -> Status:
    if step_report and step_report.get("exit_code") == 0 and not step_report.get("signal"):
        return Status.passed
    return Status.failed


NOT_INSTALLED = 127  # the runner's exit status for a step whose program is not in the image


def interpret_analyze(job: Job, response: dict, tools: tuple[str, ...]) -> Result:
    """An `analyze` job: each tool's exit code and raw output in details["tools"], for the analyzers to read.

    A tool exits non-zero when it finds something, so `passed` means only that every tool ran; one missing
    from the image is `sandbox_error` (the image predates the tool), never a clean verdict."""
    reports = {name: {k: (find_step(response, name) or {}).get(k) for k in ("exit_code", "stdout", "stderr")}
               for name in tools}
    details: dict[str, Any] = {"tools": reports}
    status = sandbox_limits_status(response)
    missing = [name for name in tools if find_step(response, name) is None
               or reports[name]["exit_code"] == NOT_INSTALLED]
    if status is None and missing:
        status = Status.sandbox_error
        details["missing"] = missing  # the others' reports still stand
        details["sandbox"] = (f"{', '.join(missing)} did not run (not in the image?): run "
                              f"`codeforge sandbox build {job.language.value}`")
    shown = find_step(response, tools[-1]) if tools else None
    return make_result(job, response, status or Status.passed, shown, details)
