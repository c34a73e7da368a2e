"""The settings of `codeforge finetune`: the method, what to train on, how the graphs and feedback enter the text,
the preference pairs, the LoRA adapter, the trainer, and where it all goes. One frozen dataclass, as trl's
SFTConfig; every option, `--config FILE` and the adapter's manifest derive from it.

A method's own options sit in their panel and are refused with another method, so a setting never does
nothing without saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Optional

from ..bench.config import StoredRunsConfig
from ..config import Settings, setting
from ..graphs.vocabulary import GraphChoice
from ..i18n import _
from ..models.options import DEFAULT_MODEL, Device
from ..rewards.groups import check_group_size
from ..rewards.rules import RewardKind, RewardShape
from ..sandbox.config import DOCKER_HOSTS_HELP
from ..sandbox.settings import Isolation

DATA, GRAPHS, FEEDBACK, PAIRS, GRPO, CURRICULUM, LORA, TRAIN, OUT = (
    "Data", "Graphs", "Execution feedback", "Preference pairs (--method dpo)", "Rewards (--method grpo)",
    "Curriculum (--curriculum ROUNDS)", "LoRA", "Training", "Output")


class Method(str, Enum):
    """How the adapter learns; each is one module of codeforge.finetune (sft.py, dpo.py, grpo.py) with trl's
    trainer."""

    sft = "sft"  # supervised: the loss is on the answer of prompt/completion rows
    dpo = "dpo"  # direct preference optimisation on (prompt, passing answer, failing answer) from stored runs
    grpo = "grpo"  # group relative policy optimisation: the model's own answers, rewarded by the sandbox


DEFAULT_LR = {Method.sft: 2e-4, Method.dpo: 5e-6, Method.grpo: 1e-5}
# DPO's beta keeps the adapter near the base model; GRPO's is the weight of its KL term, 0 in trl (no reference
# model is run at all).
DEFAULT_BETA = {Method.dpo: 0.1, Method.grpo: 0.0}
DEFAULT_DATA = ("mbpp",)


class GraphFormat(str, Enum):
    qa = "qa"  # question/answer rows about each program's graph beside the code rows; inference unchanged
    plan = "plan"  # the completion is the graph text (as comments) and then the code


@dataclass(frozen=True)
class FinetuneConfig(Settings):
    method: Method = setting(Method.sft, "sft: supervised on programs (--data) and feedback rows; dpo: preference "
                             "pairs mined from stored bench runs (--from-run), passing vs failing answers to one "
                             "prompt; grpo: the model answers the prompts of --data and the sandbox rewards each "
                             "answer.")
    model: str = setting(DEFAULT_MODEL, "The base model: hub id or local directory.", flags=("--model", "-m"))
    data: tuple[str, ...] = setting(DEFAULT_DATA, "sft's training data (grpo: its tasks' prompts and tests), "
                                    "comma-separated: mbpp (its prompt, train and validation splits; never the test "
                                    "split), jsonl:PATH, hub:OWNER/NAME (e.g. hub:KodCode/KodCode-V1), run:NAME "
                                    "(the passing samples of a stored bench run), go-unittest[:FOLDER] (Go unit "
                                    "tests of HumanEval-X's functions, or of a Go package's).",
                                    panel=DATA)
    out: Optional[Path] = setting(None, "The adapter's folder (checkpoints, adapter, manifest).", panel=OUT)
    base_only: bool = setting(False, "Build prompts as for a base model even when the model has a chat template "
                              "(bench --base-only must then be used too).", panel=DATA)
    limit: Optional[int] = setting(None, "Only the first N programs of each source (dpo: the first N tasks of each "
                                   "run).", min=1, panel=DATA)
    allow_contamination: bool = setting(False, "Keep rows that match a benchmark (the adapter is then marked "
                                        "contaminated in its manifest, and in every run that uses it).",
                                        panel=DATA)

    graph: GraphChoice = setting(GraphChoice.none, "Graph text in the training data: none, ast, cfg, cdg, dfg, "
                                 "pdg, or shuffled (PDG text with rewired edges: the control arm).", panel=GRAPHS)
    graph_format: GraphFormat = setting(GraphFormat.qa, "qa: question/answer rows about each program's graph "
                                        "beside the code rows; plan: the answer writes the graph (as comments), "
                                        "then the code.", panel=GRAPHS)
    graph_ratio: float = setting(1.0, "qa: question rows per code row.", min=0.0, panel=GRAPHS)

    feedback: bool = setting(False, "Add rows 'task + failed program + what went wrong -> fixed program' from "
                             "mutants of each reference, run in the sandbox.", panel=FEEDBACK)
    from_run: tuple[str, ...] = setting((), "Stored bench runs, comma-separated. sft: add feedback rows from chain "
                                        "runs (samples that failed in one round and passed in the next, with the "
                                        "feedback bench showed); dpo: the runs the preference pairs are mined "
                                        "from.", panel=DATA)
    mutants: int = setting(3, "Mutants tried per reference solution.", min=0, panel=FEEDBACK)
    workers: int = setting(2, "Sandbox programs run at once (mutants; grpo: rewards).", min=1,
                           env="CODEFORGE_SANDBOX_WORKERS",
                           panel=FEEDBACK)
    isolation: Isolation = setting(Isolation.worker, "worker: warm containers, a fresh uid per program; program: "
                                   "one container per program.", env="CODEFORGE_SANDBOX_ISOLATION",
                                   panel=FEEDBACK)
    docker_hosts: tuple[str, ...] = setting((), DOCKER_HOSTS_HELP, flags=("--docker-host",), repeat=True,
                                            env="CODEFORGE_DOCKER_HOSTS", panel=FEEDBACK)

    beta: Optional[float] = setting(None, "dpo: how far the adapter may move from the base model (higher: less; "
                                    "default 0.1); grpo: the weight of the KL term to the base model (default 0: "
                                    "none, as in trl).", min=0.0, panel=PAIRS)
    sft_weight: float = setting(0.0, "Weight of an added SFT loss on the chosen answers (0: none); it keeps their "
                                "likelihood from falling with the rejected ones'.", min=0.0, panel=PAIRS)
    max_pairs_per_task: int = setting(8, "At most this many pairs per task, spread over its prompts, passing and "
                                      "failing answers.", min=1, panel=PAIRS)
    held_back: float = setting(0.1, "Share of the pairs kept out of training (whole tasks) to measure preference "
                               "accuracy and reward margins on (0: none).", min=0.0, max=0.5, panel=PAIRS)
    pairs_out: Optional[Path] = setting(None, "Also write the pairs to this JSON-lines file (prompt, chosen, "
                                        "rejected, task, run, round, split) to inspect them.", panel=PAIRS)

    reward: RewardKind = setting(RewardKind.tests, "tests: from the task's tests (shaped by --reward-shape); "
                                 "graded: accepted 1, wrong answer or timeout -0.3, runtime error -0.6, compile "
                                 "error -1; go-coverage: a Go unit test (--data go-unittest): 0.5 runs, +0.25 succeeds, +0.05 all pass, "
                                 "+0.2 x coverage of the function under test.", panel=GRPO)
    reward_shape: RewardShape = setting(RewardShape.fraction, "How --reward tests scores a program that fails: "
                                        "binary (0), fraction (the share of tests passed), weighted (0.1 x that "
                                        "share; a pass is 1.1).", panel=GRPO)
    num_generations: int = setting(8, "Answers sampled per prompt (the group GRPO compares); it must divide "
                                   "--batch-size x --grad-accum, the answers of one step.", min=2, panel=GRPO)
    max_completion_length: int = setting(256, "Tokens per sampled answer (longer ones are cut); also per "
                                         "answer of the curriculum's bench runs.", min=1, panel=GRPO)
    temperature: float = setting(1.0, "Sampling temperature of the answers (higher: more varied); also of the "
                                 "curriculum's bench runs when --samples is above 1.", min=0.0, panel=GRPO)

    curriculum: int = setting(0, "Train in this many rounds (0: one ordinary run): each round trains (sft) on its "
                              "share of the tasks of --data plus the tasks the previous round's adapter failed, "
                              "then runs bench on the round's tasks; every round is a training run and a bench "
                              "run in the store, OUT/round-N its adapter.", min=0, panel=CURRICULUM)
    revisit_ratio: float = setting(1.0, "Share of the previous round's failed tasks trained on again (1: all; 0: "
                                   "none, the control arm).", min=0.0, max=1.0, panel=CURRICULUM)
    samples: int = setting(1, "Answers per task in each round's bench run (one is greedy; more are sampled at "
                           "--temperature); a task is failed when any of its answers fails.", min=1,
                           panel=CURRICULUM)
    then_dpo: bool = setting(False, "After each round's bench run, train the round's adapter further with dpo on "
                             "the pairs its answers give (passing vs failing answers to one task: needs --samples "
                             "2 or more); the next round starts from that adapter.", panel=CURRICULUM)

    rank: int = setting(16, "LoRA rank.", min=1, panel=LORA)
    alpha: int = setting(32, "LoRA alpha.", min=1, panel=LORA)
    dropout: float = setting(0.05, "LoRA dropout.", min=0.0, max=1.0, panel=LORA)
    target_modules: str = setting("all-linear", "The modules LoRA adapts: all-linear, or comma-separated names "
                                  "(q_proj,v_proj).", panel=LORA)
    from_adapter: Optional[Path] = setting(None, "Continue training this LoRA adapter (a folder; trained on the "
                                           "same --model) instead of a new one; it keeps its own rank and modules. "
                                           "dpo: a frozen copy of it is the reference.", panel=LORA)

    epochs: float = setting(3.0, "Passes over the data.", min=0.0, panel=TRAIN)
    lr: Optional[float] = setting(None, "Learning rate (default: 2e-4 for sft, 5e-6 for dpo, 1e-5 for grpo).",
                                  min=0.0,
                                  panel=TRAIN)
    batch_size: int = setting(4, "Rows per device per step.", min=1, panel=TRAIN)
    grad_accum: int = setting(4, "Steps whose gradients are summed before an update.", min=1, panel=TRAIN)
    max_length: int = setting(1024, "Tokens per row (longer rows are cut; with --packing, per packed sequence).",
                              min=16, panel=TRAIN)
    seed: int = setting(0, "Seeds the data order, the mutants and the LoRA initialisation.", panel=TRAIN)
    packing: bool = setting(True, "Pack rows into sequences of --max-length (trl's bfd packing, no padding).",
                            panel=TRAIN)
    gradient_checkpointing: bool = setting(True, "Recompute activations in the backward pass (less memory).",
                                           panel=TRAIN)
    four_bit: bool = setting(False, "QLoRA: the base model in 4 bits (bitsandbytes NF4, CUDA only).",
                             flags=("--4bit",), panel=TRAIN)
    eight_bit: bool = setting(False, "The base model in 8 bits (bitsandbytes, CUDA only).", flags=("--8bit",),
                              panel=TRAIN)
    device: Device = setting(Device.auto, "Where to train (auto: cuda when torch sees a GPU).", panel=TRAIN)
    save_steps: int = setting(50, "Save a checkpoint every N optimizer steps (and at the end).", min=1,
                              panel=TRAIN)

    name: Optional[str] = setting(None, "This training run's name in the results store (`codeforge finetune "
                                  "list`); default: OUT's folder name.", panel=OUT)
    resume: bool = setting(False, "Continue from the last checkpoint in --out.", stored=False, panel=OUT)
    merge: bool = setting(False, "Also write the base model merged with the adapter to OUT/merged (loadable by "
                          "bench --model and vLLM).", panel=OUT)
    dry_run: bool = setting(False, "Build and print the training data only.", stored=False, panel=OUT)
    db: Optional[Path] = setting(None, "The results store: run:NAME and --from-run read it, and the training run "
                                 "is recorded in it (default ./runs/codeforge.db).", env="CODEFORGE_DB",
                                 stored=False, panel=DATA)
    json: bool = setting(False, "Print the outcome as JSON on stdout.", stored=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.four_bit and self.eight_bit:
            raise ValueError(_("choose one of --4bit and --8bit"))
        for name, methods in METHOD_OPTIONS.items():
            if self.curriculum and (name in CURRICULUM_SAMPLING or self.then_dpo and Method.dpo in methods):
                continue
            if self.method not in methods and getattr(self, name) != _DEFAULTS[name]:
                raise ValueError(_("{option} is an option of --method {methods}").format(
                    option="--" + name.replace("_", "-"), methods=" and ".join(m.value for m in methods)))
        if self.from_adapter is not None:
            shaping = [f"--{n.replace('_', '-')}" for n in LORA_SHAPE if getattr(self, n) != _DEFAULTS[n]]
            if shaping:
                raise ValueError(_("{options}: these set the shape of a new adapter, and --from-adapter continues "
                                   "one with its own; leave them out").format(options=", ".join(shaping)))
        if self.curriculum:
            self._check_curriculum()
        else:
            given = [f"--{n.replace('_', '-')}" for n in CURRICULUM_OPTIONS if getattr(self, n) != _DEFAULTS[n]]
            if given:
                raise ValueError(_("{options}: an option of --curriculum ROUNDS").format(options=", ".join(given)))
        if self.method is Method.dpo:
            self._check_dpo()
        elif self.method is Method.grpo:
            self._check_grpo()
        elif not self.data and not self.from_run:
            raise ValueError(_("name the training data: --data mbpp, jsonl:PATH or run:NAME (or --from-run NAME)"))

    def _check_grpo(self) -> None:
        if not self.data:
            raise ValueError(_("--method grpo samples answers to the prompts of --data: name it (mbpp, jsonl:PATH or "
                               "go-unittest)"))
        if self.from_run or self.graph is not GraphChoice.none or self.feedback:
            raise ValueError(_("--from-run, --graph and --feedback make sft rows; --method grpo trains on the model's "
                               "own answers to the prompts of --data"))
        per_step = self.batch_size * self.grad_accum
        try:
            check_group_size(per_step, self.num_generations)
        except ValueError:
            sizes = ", ".join(str(n) for n in range(2, per_step + 1) if per_step % n == 0) or _("none: raise them")
            raise ValueError(_("--num-generations {count} does not divide the {per_step} answers a step samples "
                               "(--batch-size x --grad-accum) into whole groups: use one of {sizes}").format(
                count=self.num_generations, per_step=per_step, sizes=sizes)) from None

    def _check_curriculum(self) -> None:
        if self.method is not Method.sft:
            raise ValueError(_("--curriculum trains each round with sft (and dpo after it with --then-dpo): leave out "
                               "--method"))
        if len(self.data) != 1 or self.data[0].startswith("run:"):
            raise ValueError(_("--curriculum takes one task set in --data (mbpp, jsonl:PATH of tasks, or "
                               "hub:OWNER/NAME): its tasks are split over the rounds and benchmarked"))
        if self.from_run:
            raise ValueError(_("--curriculum makes its own bench runs; --from-run does not apply"))
        if self.merge:
            raise ValueError(_("--merge applies to one adapter; merge a round's adapter with a run of its own"))
        if self.then_dpo and self.samples < 2:
            raise ValueError(_("--then-dpo pairs passing and failing answers to one task: pass --samples 2 or more "
                               "(e.g. --samples 4)"))

    def _check_dpo(self) -> None:
        if not self.from_run:
            raise ValueError(_("--method dpo mines its pairs from stored bench runs: name them with --from-run "
                               "NAME[,NAME...] (a run with several samples per task, e.g. bench --samples 10)"))
        if self.data != DEFAULT_DATA:
            raise ValueError(_("--data is sft's training data; with --method dpo the pairs come from --from-run"))
        if self.graph is not GraphChoice.none or self.feedback:
            raise ValueError(_("--graph and --feedback make sft rows; with --method dpo the prompts are those bench "
                               "showed in the runs (their feedback, with any graph text, included)"))

    @property
    def run_name(self) -> str:
        return self.name or (self.out.resolve().name if self.out is not None else "adapter")

    @property
    def kl_beta(self) -> float:
        """--beta, or the method's default."""
        return DEFAULT_BETA.get(self.method, 0.0) if self.beta is None else self.beta

    @property
    def learning_rate(self) -> float:
        return DEFAULT_LR[self.method] if self.lr is None else self.lr

    @property
    def quantization(self) -> Optional[str]:
        return "4bit" if self.four_bit else "8bit" if self.eight_bit else None

    @property
    def target_module_list(self):
        names = [n.strip() for n in self.target_modules.split(",") if n.strip()]
        return "all-linear" if names == ["all-linear"] else names


_DEFAULTS = {f.name: f.default for f in FinetuneConfig.settings_fields()}
# Options that only some methods read: given with another method they are refused, never silently unused.
METHOD_OPTIONS = {
    **{name: (Method.dpo,) for name in ("sft_weight", "max_pairs_per_task", "held_back", "pairs_out")},
    "beta": (Method.dpo, Method.grpo),
    **{name: (Method.grpo,) for name in ("reward", "reward_shape", "num_generations", "max_completion_length",
                                         "temperature")},
}
# A curriculum samples its bench runs' answers with these, and its --then-dpo steps read dpo's options.
CURRICULUM_SAMPLING = ("max_completion_length", "temperature")
CURRICULUM_OPTIONS = ("revisit_ratio", "samples", "then_dpo")
LORA_SHAPE = ("rank", "alpha", "dropout", "target_modules")


@dataclass(frozen=True, kw_only=True)
class ShowFinetuneConfig(StoredRunsConfig):
    """`codeforge finetune show NAME`."""

    name: str = setting(help="The training run's name (see `codeforge finetune list`).", argument=True)
