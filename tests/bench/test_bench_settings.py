"""One settings object per bench run: --config and --print-config, the stored settings, rerun, and the identity
that guards resuming. Runs go through the real sandbox and a real store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import yaml
from test_bench_cli import codeforge

from codeforge.bench.config import BenchConfig
from codeforge.bench.runs import differences, open_run, stored_settings
from codeforge.models.base import Generation, ModelInfo, PromptMode
from codeforge.store import Store, StoreError


def test_bench_help_shows_how_to_run_a_benchmark_and_its_options():
    shown = codeforge("bench", "--help", env={"COLUMNS": "200"}).stdout
    assert "codeforge bench DATASET [OPTIONS]" in shown and "jsonl:PATH" in shown and "humaneval-x-cpp" in shown
    assert "run " in shown and "rerun" in shown
    options = codeforge("bench", "run", "--help", env={"COLUMNS": "200"}).stdout
    for flag in ("--model", "--chain", "--samples", "--temperature", "--feedback", "--k", "--config",
                 "--print-config", "--from-hub", "--dtype", "--device"):
        assert flag in options, flag
    assert "hf|openai|vllm|reference" in options  # allowed values are listed


def test_print_config_then_config_reproduces_the_stored_settings_and_rerun_repeats_them(tmp_path, docker_client):
    db = str(tmp_path / "c.db")
    printed = codeforge("bench", "humaneval", "--model", "reference", "--limit", "2", "--k", "1",
                        "--max-new-tokens", "64", "--run-name", "A", "--print-config").stdout
    settings = yaml.safe_load(printed)
    assert settings["limit"] == 2 and settings["ks"] == [1] and settings["max_new_tokens"] == 64
    assert settings["dataset"] == "humaneval" and "db" not in settings and "json" not in settings
    config = tmp_path / "run.yaml"
    config.write_text(printed)
    codeforge("bench", "humaneval", "--config", str(config), "--db", db)
    stored = codeforge("bench", "show", "A", "--db", db, "--settings").stdout
    assert stored == printed  # what the run stored is exactly what --config gave it
    # The stored settings fed back as a config file make the same run: resuming it changes nothing.
    config.write_text(stored)
    again = json.loads(codeforge("bench", "humaneval", "--config", str(config), "--db", db, "--json").stdout)
    assert again["resumed"] and again["rounds"][0]["samples"] == 2
    # TOML works too, and a flag beats the file.
    toml = tmp_path / "run.toml"
    toml.write_text('model = "reference"\nlimit = 1\nrun_name = "T"\nks = [1]\n')
    shown = yaml.safe_load(codeforge("bench", "humaneval", "--config", str(toml), "--limit", "3",
                                     "--print-config").stdout)
    assert (shown["limit"], shown["run_name"], shown["model"]) == (3, "T", "reference")
    rerun = json.loads(codeforge("bench", "rerun", "A", "--run-name", "B", "--db", db, "--json").stdout)
    assert rerun["run"] == "B" and not rerun["resumed"] and rerun["rounds"][0]["solved"] == 2
    b = yaml.safe_load(codeforge("bench", "show", "B", "--db", db, "--settings").stdout)
    assert {**b, "run_name": "A"} == settings


def test_the_environment_beats_the_config_file_and_a_flag_beats_both(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("workers: 3\nmodel: reference\n")
    from_file = yaml.safe_load(codeforge("bench", "humaneval", "--config", str(config), "--print-config").stdout)
    assert from_file["workers"] == 3
    env = {"CODEFORGE_SANDBOX_WORKERS": "5"}
    from_env = yaml.safe_load(codeforge("bench", "humaneval", "--config", str(config), "--print-config",
                                        env=env).stdout)
    assert from_env["workers"] == 5
    flag = yaml.safe_load(codeforge("bench", "humaneval", "--config", str(config), "--workers", "1",
                                    "--print-config", env=env).stdout)
    assert flag["workers"] == 1


def test_a_dot_env_file_in_the_working_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text("CODEFORGE_SANDBOX_WORKERS=4\n")
    import os
    import subprocess
    import sys

    shown = subprocess.run([sys.executable, "-m", "codeforge", "bench", "humaneval", "--print-config"],
                           capture_output=True, text=True, cwd=tmp_path, check=True,
                           env={k: v for k, v in os.environ.items() if k != "CODEFORGE_SANDBOX_WORKERS"})
    assert yaml.safe_load(shown.stdout)["workers"] == 4


@pytest.mark.parametrize("text, message", [
    ("bogus: 1\n", "unknown setting(s) bogus"),
    ("temperature: hot\n", "temperature takes a number, not 'hot'"),
    ("feedback: oracle\n", "use one of visible, hidden"),
    ("samples: 0\n", "--samples must be at least 1"),
    ("- a list\n", "must hold `name: value` pairs"),
])
def test_a_bad_config_file_is_one_plain_line(tmp_path, text, message):
    config = tmp_path / "run.yaml"
    config.write_text(text)
    result = codeforge("bench", "humaneval", "--config", str(config), "--print-config", check=False)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_changing_the_device_or_dtype_under_the_same_name_is_refused(tmp_path, docker_client):
    db = str(tmp_path / "c.db")
    base = ("bench", "humaneval", "--model", "reference", "--limit", "1", "--db", db, "--run-name", "R")
    codeforge(*base, "--device", "cpu", "--dtype", "float32")
    for flag, value in (("--device", "cuda"), ("--dtype", "bfloat16")):
        args = [*base, "--device", "cpu", "--dtype", "float32"]
        args[args.index(flag) + 1] = value
        clash = codeforge(*args, check=False)
        assert clash.returncode == 2 and flag.strip("-") in clash.stderr and "--run-name" in clash.stderr


def test_show_uses_the_ks_the_run_stored(tmp_path, docker_client):
    db = str(tmp_path / "c.db")
    codeforge("bench", "humaneval", "--model", "reference", "--limit", "2", "--samples", "2", "--temperature",
              "0.5", "--k", "1,2", "--db", db)
    shown = json.loads(codeforge("bench", "show", "reference", "--db", db, "--json").stdout)
    assert set(shown["rounds"][0]["pass_at_k"]) == {"1", "2"}


def test_samples_with_greedy_decoding_get_a_warning(tmp_path, docker_client):
    result = codeforge("bench", "humaneval", "--model", "reference", "--limit", "1", "--samples", "2",
                       "--db", str(tmp_path / "c.db"))
    assert "greedy decoding gives 2 identical samples" in result.stdout


# -- the identity, on the store directly ----------------------------------------------------------------------


@dataclass
class FakeModel:
    """A loaded model as open_run sees it: only its info matters here."""

    details: dict = field(default_factory=dict)

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(backend="hf", model="m", mode=PromptMode.chat, details=self.details)


def test_a_resumed_run_whose_model_resolves_to_another_dtype_is_refused(tmp_path):
    config = BenchConfig(dataset="humaneval", model="m")
    with Store.open(tmp_path / "c.db") as store:
        open_run(store, "R", "humaneval", ["HumanEval/0"], config, lambda: FakeModel({"device": "cpu",
                                                                                       "dtype": "float32"}))
        _, generator, resumed = open_run(store, "R", "humaneval", ["HumanEval/0"], config,
                                         lambda: FakeModel({"device": "cuda", "dtype": "bfloat16"}))
        assert resumed
        with pytest.raises(StoreError, match="dtype: stored 'float32', now 'bfloat16'"):
            generator()
        _, same, _ = open_run(store, "R", "humaneval", ["HumanEval/0"], config,
                              lambda: FakeModel({"device": "cpu", "dtype": "float32"}))
        assert same().info.details["dtype"] == "float32"


def test_runs_stored_before_the_settings_object_resume_unchanged(tmp_path):
    """An earlier codeforge stored `quantization` and no ks, device or data source: they ran with defaults."""
    old = {"model": "m", "backend": "hf", "adapter": None, "base_only": False, "quantization": None,
           "device": "auto", "dtype": "auto", "batch_size": 16, "base_url": None, "concurrency": 8, "samples": 1,
           "temperature": 0.0, "top_p": 0.95, "max_new_tokens": 768, "seed": 0, "chain": 0, "feedback": "visible",
           "timeout_s": None, "memory_mb": 1024, "dataset_path": None, "model_info": {}, "prompt_mode": "chat"}
    with Store.open(tmp_path / "c.db") as store:
        run = store.create_run("R", "humaneval", model="m", backend="hf", adapter=None, prompt_mode="chat",
                               feedback="visible", chain=0, samples_per_task=1, seed=0, config=old, versions={})
        settings = stored_settings(run)
    assert settings["ks"] == [1, 10, 100] and settings["four_bit"] is False and "quantization" not in settings
    assert differences(settings, BenchConfig(dataset="humaneval", model="m").to_dict()) == []
    assert differences(settings, BenchConfig(dataset="humaneval", model="m", four_bit=True).to_dict()) == \
        ["four_bit: stored False, now True"]


# -- answers reach the reference backend only -------------------------------------------------------------------


class RecordingModel:
    """A model backend that keeps every request it is sent and answers with a plausible wrong function."""

    def __init__(self):
        self.requests = []
        self.info = ModelInfo(backend="openai", model="recording", mode=PromptMode.chat)

    def generate(self, requests, sampling):
        for request in requests:
            self.requests.append(request)
            yield Generation(key=request.key, text="```python\ndef f():\n    return None\n```")

    def close(self):
        pass


def test_references_never_reach_a_non_reference_backend(tmp_path, docker_client, monkeypatch):
    from codeforge.bench import session
    from codeforge.sandbox import DockerSandbox, SandboxSettings
    from codeforge.tasks import load_tasks

    given = []
    model = RecordingModel()

    def load(options, references=None, prose=frozenset()):
        given.append(references)
        return model

    monkeypatch.setattr(session, "load_generator", load)
    config = BenchConfig(dataset="humaneval", backend="openai", model="recording", limit=3, chain=1,
                         db=tmp_path / "c.db")
    with DockerSandbox(SandboxSettings(workers=2), client=docker_client) as sandbox:
        session.run_bench(config, sandbox=sandbox)
    assert given == [None] and len(model.requests) == 6  # round 0 and one feedback round, three tasks
    solutions = [t.reference[len(t.prompt):].strip() for t in load_tasks("humaneval", limit=3)]
    for request in model.requests:
        text = json.dumps([request.text, request.messages, request.prefill, request.stop])
        assert not any(solution in text for solution in solutions)
