"""A real sandbox that counts how many jobs it runs at once."""

from __future__ import annotations

import threading

from codeforge.sandbox import DockerSandbox


class CountingSandbox(DockerSandbox):
    """DockerSandbox, plus the most jobs it ran at the same time and how many it finished."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._counting = threading.Lock()
        self.running = self.most = self.finished = 0

    def run(self, job):
        with self._counting:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return super().run(job)
        finally:
            with self._counting:
                self.running -= 1
                self.finished += 1
