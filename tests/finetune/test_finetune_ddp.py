"""`codeforge finetune` under a launcher, as on several GPUs, with two CPU processes (DDP over gloo): one adapter
and one manifest, every step over the rows of both processes, each line printed once, and a stop asked of one
process stops both at the same step with a checkpoint that resumes.

`accelerate launch --cpu --num_processes 2` starts one process (accelerate's multi-CPU launch goes through
mpirun), so the tests launch as on a GPU machine, with `--multi_gpu`, and train with `--device cpu`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from tiny_tasks import codeforge, write_tasks

from codeforge.models.manifest import load_manifest
from tests.tiny_model import build_tiny_model

# 16 rows of 4 per process and step, twice: 8 steps in one process, 4 in two. Unpacked, because packing makes the
# 16 tiny rows one sequence, which the distributed sampler would repeat to give each process one.
TRAIN = ["--epochs", "2", "--batch-size", "4", "--grad-accum", "1", "--device", "cpu", "--no-packing"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    return build_tiny_model(folder / "tiny", chat=False, pad_token="<|file_sep|>"), write_tasks(folder / "t.jsonl")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launcher(name: str, processes: int = 2) -> list[str]:
    """`accelerate launch` / `torchrun` (their modules, so the environment's own copies run)."""
    port = str(_free_port())
    if name == "accelerate":
        return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes",
                str(processes), "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                "--main_process_port", port]
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes), "--master_port", port]


def launched(name: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*launcher(name), "-m", "codeforge", *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ))


def test_the_processes_agree_on_one_verdict_before_any_trains(tmp_path):
    script = tmp_path / "verdicts.py"
    script.write_text(
        "import json, os, pathlib, sys\n"
        "from codeforge.finetune.ranks import agree, is_main, world_size\n"
        "rank = int(os.environ['RANK'])\n"
        "rows = [{'prompt': 'p', 'completion': 'c'}]\n"
        "said = [agree(None, rows, cpu=True),\n"
        "        agree('bad --out' if rank == 1 else None, rows, cpu=True),\n"
        "        agree(f'bad {rank}', None, cpu=True),\n"
        "        agree(None, rows if rank == 0 else rows * 2, cpu=True)]\n"
        "said = {'rank': rank, 'main': is_main(), 'world_size': world_size(), 'said': said}\n"
        "pathlib.Path(sys.argv[1], f'{rank}.json').write_text(json.dumps(said))\n")
    result = subprocess.run([*launcher("torchrun"), str(script), str(tmp_path)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [json.loads((tmp_path / f"{rank}.json").read_text()) for rank in (0, 1)]
    assert [(line["main"], line["world_size"]) for line in lines] == [(True, 2), (False, 2)]
    first, second = (line["said"] for line in lines)
    assert first == second  # every process ends the same way
    assert first[:3] == [None, "process 1 of 2: bad --out", "bad 0"]
    assert "the 2 processes built different training rows" in first[3]


@pytest.fixture(scope="module")
def one_process(tmp_path_factory, tiny):
    model, tasks = tiny
    out = tmp_path_factory.mktemp("one") / "adapter"
    codeforge("finetune", "--model", str(model), "--data", f"jsonl:{tasks}", "--out", str(out), *TRAIN)
    return load_manifest(out)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["accelerate", "torchrun"])
def test_two_processes_train_one_adapter_on_the_rows_of_both_and_print_once(tmp_path, tiny, one_process, name):
    model, tasks = tiny
    out = tmp_path / "adapter"
    args = ["finetune", "--model", str(model), "--data", f"jsonl:{tasks}", "--out", str(out), *TRAIN]
    result = launched(name, *args, "--json")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out.rglob("codeforge-adapter.json")] == ["codeforge-adapter.json"]
    assert [p.relative_to(out).as_posix() for p in out.glob("**/adapter_model.safetensors")] == [
        "adapter_model.safetensors", "checkpoints/checkpoint-4/adapter_model.safetensors"]
    manifest = load_manifest(out)
    assert (one_process.train["world_size"], manifest.train["world_size"]) == (1, 2)
    # each step took 4 rows in each process: half the steps of one process for the same rows and epochs
    assert (one_process.train["steps"], manifest.train["steps"]) == (8, 4)
    assert json.loads(result.stdout)["manifest"]["train"] == manifest.train  # one JSON document: one process printed
    for line in ["training rows", "no row matches a benchmark", "checkpoint saved:", "step 4/4", "adapter saved in",
                 "next: codeforge bench"]:
        assert result.stderr.count(line) == 1, line
    # the same command again: each process refuses, the error is said once and nothing is changed
    again = launched(name, *args)
    assert again.returncode != 0
    assert again.stderr.count("error: ") == 1 and "already holds a trained adapter" in again.stderr
    assert load_manifest(out) == manifest


def _process_of_rank(launcher_pid: int, rank: int):
    import psutil

    for child in psutil.Process(launcher_pid).children(recursive=True):
        try:
            if child.environ().get("RANK") == str(rank) and "codeforge" in child.cmdline():
                return child
        except psutil.NoSuchProcess:
            continue
    return None


@pytest.mark.slow
def test_a_stop_asked_of_one_process_stops_both_at_one_step_and_resumes(tmp_path, tiny):
    model, tasks = tiny
    out = tmp_path / "adapter"
    # one step per epoch in two processes: 16 rows, 8 per process and step
    args = ["finetune", "--model", str(model), "--data", f"jsonl:{tasks}", "--out", str(out), "--batch-size", "8",
            "--grad-accum", "1", "--device", "cpu", "--no-packing", "--save-steps", "1", "--lr", "1e-3"]
    process = subprocess.Popen([*launcher("accelerate"), "-m", "codeforge", *args, "--epochs", "500"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not (out / "checkpoints" / "checkpoint-2").is_dir() and time.monotonic() < deadline:
        time.sleep(0.2)
    second = _process_of_rank(process.pid, 1)
    assert second is not None
    second.send_signal(signal.SIGTERM)  # as a scheduler would stop one worker: the main one is not told
    try:
        _, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the launcher and both processes
        pytest.fail("the processes did not stop: one waits for the other in a step it never takes")
    assert process.returncode != 0
    assert stderr.count("error: interrupted at step") == 1 and "--resume" in stderr
    saved = max(int(p.name.split("-")[1]) for p in (out / "checkpoints").glob("checkpoint-*"))
    assert 2 <= saved < 500 and load_manifest(out) is None
    state = json.loads((out / "checkpoints" / f"checkpoint-{saved}" / "trainer_state.json").read_text())
    assert state["global_step"] == saved
    resumed = launched("accelerate", *args, "--epochs", str(saved + 2), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert load_manifest(out).train["steps"] == saved + 2
