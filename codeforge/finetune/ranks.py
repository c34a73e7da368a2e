"""Several processes, one command: under `accelerate launch` or `torchrun` (DDP) every process runs the whole
`codeforge finetune`, builds the same rows and trains on its share of them. Only the main process prints,
writes the manifest and merges; the others stay silent and end with the same exit status.

Reading the rank is cheap (environment variables, no torch import): the command asks before anything loads.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
from typing import Optional

from ..i18n import _

# The variables torchrun / accelerate launch set, then those of mpirun (accelerate's multi-CPU launch).
RANK = ("RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "PMI_RANK")
WORLD_SIZE = ("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMI_SIZE")


def _first(names: tuple[str, ...], default: int) -> int:
    for name in names:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return default


def world_size() -> int:
    return _first(WORLD_SIZE, 1)


def rank() -> int:
    return _first(RANK, 0)


def is_main() -> bool:
    return rank() == 0


def agree(error: Optional[str], rows: Optional[list[dict]], cpu: bool) -> Optional[str]:
    """What every process says about its input, made one verdict before any of them trains or writes to --out.

    Each process has checked --out and built its rows on its own; a process that found nothing wrong must not
    go on alone (it would wait for the others until the launcher's timeout), and rows that differ would give
    the processes different step counts (a hang in the first all-reduce they disagree on). Returns the error
    all processes end with (the main process's own, else the first other one's), or None.
    """
    if world_size() == 1:
        return error
    import torch.distributed as dist
    from accelerate import PartialState

    if not dist.is_initialized():
        PartialState(cpu=cpu)  # the process group the trainer then uses (gloo on CPU, nccl on GPUs)
        # left to the interpreter's exit, gloo's threads can abort the process ("terminate called without an
        # active exception") after the command has ended well
        atexit.register(_leave)
    digest = None if rows is None else hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
    said: list = [None] * dist.get_world_size()
    dist.all_gather_object(said, (error, digest))
    for rank, (message, _digest) in enumerate(said):
        if message:
            return message if rank == 0 else _("process {rank} of {count}: {error}").format(
                rank=rank, count=len(said), error=message)
    if len({d for _message, d in said}) > 1:
        return _("the {count} processes built different training rows (the sandbox runs of --feedback mutants "
                 "can end differently in each); train in one process").format(count=len(said))
    return None


def _leave() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def together() -> None:
    """Wait until every process gets here. A process that ends with an error status makes the launcher stop the
    others at once: they wait for the main one to have saved its checkpoint and said why."""
    if world_size() == 1:
        return
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
