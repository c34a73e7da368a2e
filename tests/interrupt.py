"""Programs a test interrupts as Ctrl-C does (SIGINT) start with SIGINT's default action, whatever the test process
inherited: a suite started in the background by a shell without job control (`nohup make test &` in a script)
ignores SIGINT, and so would every program it starts, which would then never see the test's Ctrl-C."""

from __future__ import annotations

import signal


def with_default_sigint() -> None:
    """Popen's preexec_fn: SIGINT back to its default action in the child, before it runs the program."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
