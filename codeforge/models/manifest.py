"""The manifest every adapter folder holds (`codeforge-adapter.json`): what the adapter was trained from and how,
so a run that uses it can say which method it measures.

    {"format": 1, "method": "sft" | "dpo" | "grpo", "base_model", "data": {source: sha256}, "graph", "graph_format",
     "feedback": [sources], "rows": {"code", "plan", "qa", "feedback", "pair", "preference", "feedback_preference",
     "held_back", "total"}, "contamination": {"dropped", "kept", "contaminated"}, "prompt_mode", "settings": {...},
     "seed", "versions": {...}, "train": {"steps", "final_loss", "seconds", "tokens", "world_size",
     "learning_rate"}, "preference": {...}}

`preference` is empty for sft. For dpo: "pairs" (run:NAME -> {"first_round", "chain"} pair counts), "tasks",
"held_back" ({"pairs", "tasks", "before": the base model's mean log-probabilities of the chosen and rejected
answers, "after": "accuracy", "margin", rewards, log-probabilities and loss of the trained adapter}),
"max_pairs_per_task", "beta", "sft_weight". For grpo: "reward" ({"kind", "shape", "name", "num_generations",
"beta", "temperature", "max_completion_length", "mean_first_step", "mean_last_step", "completions", "masked"
(answers without a reward: the sandbox failed), "groups", "zero_variance_groups", "zero_variance_share",
"reward_seconds", "wait_share" (of the training's wall time)}). Manifests written before `method` existed read
as sft. `curriculum` is empty unless the adapter is a round of `finetune --curriculum`: "name", "round" (from
1), "rounds", "step" ("sft", or "dpo" after the round's bench run), "new" and "revisited" (task ids),
"started_from" (the adapter it continued, or null).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from ..i18n import _

FILE = "codeforge-adapter.json"
FORMAT = 1


class ManifestError(ValueError):
    pass


@dataclass
class Manifest:
    base_model: str
    data: dict  # source -> sha256 of what was read
    graph: str
    graph_format: str
    feedback: list  # where feedback rows came from: "mutants", "run:NAME"
    rows: dict  # row kind -> count, and "total"
    contamination: dict  # {"dropped": n, "kept": n, "contaminated": bool}
    prompt_mode: str  # chat or base
    settings: dict
    seed: int
    versions: dict
    train: dict = field(default_factory=dict)  # steps, final_loss, seconds, tokens, world_size (processes)
    format: int = FORMAT
    method: str = "sft"
    preference: dict = field(default_factory=dict)  # dpo: where the pairs came from, held-back measurements
    curriculum: dict = field(default_factory=dict)  # a round of finetune --curriculum: its name, round, tasks

    @property
    def contaminated(self) -> bool:
        return bool(self.contamination.get("contaminated"))

    def label(self) -> str:
        """A short description for tables: the method (graph and format for sft), feedback, contamination."""
        if self.graph != "none":
            parts = [_("graph {graph} ({format})").format(graph=self.graph, format=self.graph_format)]
        else:
            parts = [_("graph {graph}").format(graph=self.graph)]
        reward = self.preference.get("reward")
        if self.method == "grpo" and reward:
            data = ", ".join(self.data) or "-"
            if reward.get("kind") == "tests":  # only tests is shaped
                parts = [_("grpo on {data} with the {reward} reward ({shape})").format(
                    data=data, reward=reward.get("kind"), shape=reward.get("shape"))]
            else:
                parts = [_("grpo on {data} with the {reward} reward").format(data=data, reward=reward.get("kind"))]
            if reward.get("mean_last_step") is not None:
                parts.append(_("mean reward {first:.2f} in the first step, {last:.2f} in the last").format(
                    first=reward["mean_first_step"], last=reward["mean_last_step"]))
        elif self.method != "sft":
            parts = [_("{method} on pairs from {runs}").format(
                method=self.method, runs=", ".join(self.preference.get("pairs", {})) or "-")]
            accuracy = self.preference.get("held_back", {}).get("after", {}).get("accuracy")
            if accuracy is not None:
                parts.append(_("held-back preference accuracy {accuracy:.2f}").format(accuracy=accuracy))
        if self.curriculum:
            parts.append(_("curriculum {name} round {round} of {rounds} ({new} new, {revisited} revisited tasks)")
                         .format(name=self.curriculum.get("name"), round=self.curriculum.get("round"),
                                 rounds=self.curriculum.get("rounds"), new=len(self.curriculum.get("new", [])),
                                 revisited=len(self.curriculum.get("revisited", []))))
        if self.feedback:
            parts.append(_("feedback from {sources}").format(sources=", ".join(self.feedback)))
        parts.append(_("{count} contaminated rows dropped").format(count=self.contamination.get("dropped", 0)))
        if self.contaminated:
            parts.append(_("CONTAMINATED"))
        return "; ".join(parts)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / FILE
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        os.replace(partial, path)
        return path


def load_manifest(folder) -> Optional[Manifest]:
    """The manifest of an adapter folder, or None when it has none (an adapter trained elsewhere)."""
    path = Path(folder) / FILE
    if not path.is_file():
        return None
    try:
        values = json.loads(path.read_text())
        return Manifest(**values)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ManifestError(_("{path}: not a codeforge adapter manifest ({reason})").format(path=path,
                                                                                       reason=exc)) from None
