"""Each metric of a list of (answer, reference) pairs, as its package computes it.

Every value is on 0..1 (sacrebleu's 0..100 scores divided by 100), one per pair, or None where the metric does
not apply to the pair (CodeBLEU of prose, or of a language its package has no grammar for). An empty answer (no
code in the model's output) scores 0: it is as far from the reference as an answer can be, as pass@k counts it
failed. Each metric also has a signature: the package, its version and its settings, stored beside every value
so that values computed differently are never averaged together.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Optional, Sequence

from ..i18n import _
from . import EXTRA, Metric, MetricError

# codeforge's languages in the codebleu package's names (its grammars: tree-sitter's, which codeforge ships too)
CODEBLEU_LANGUAGES = {"python": "python", "go": "go", "c": "c", "cpp": "cpp"}
BERTSCORE_DEFAULT = "roberta-large"  # bert-score's own default for English (layer 17)
_PACKAGES = {Metric.bleu: "sacrebleu", Metric.chrf: "sacrebleu", Metric.codebleu: "codebleu",
             Metric.bertscore: "bert-score"}


@dataclass(frozen=True)
class Pair:
    """An answer and the reference it is compared with; `language` is the program's (python, go, c, cpp), or
    None for prose (a text task)."""

    answer: str
    reference: str
    language: Optional[str]


def package_version(metric: Metric) -> str:
    """The version of the package behind `metric`; a MetricError naming the extra when it is not installed."""
    try:
        return metadata.version(_PACKAGES[metric])
    except metadata.PackageNotFoundError:
        if metric is Metric.codebleu:  # its tree-sitter pin is older than codeforge's, so it is not in the extra
            raise MetricError(_("codebleu needs the codebleu package: pip install --no-deps codebleu==0.7.0 (without "
                                "its dependencies: it runs with codeforge's tree-sitter and grammars)")) from None
        raise MetricError(_("{metric} needs the {package} package: {install}").format(
            metric=metric.value, package=_PACKAGES[metric], install=EXTRA)) from None


def signature(metric: Metric, bertscore_model: Optional[str] = None) -> str:
    """What a value of `metric` was computed with (the package, its version, its settings)."""
    version = package_version(metric)
    if metric is Metric.bleu:
        return f"sacrebleu {version} sentence BLEU, effective order, tok:13a, smooth:exp"
    if metric is Metric.chrf:
        return f"sacrebleu {version} sentence chrF, char order 6, word order 0, beta 2"
    if metric is Metric.codebleu:
        return f"codebleu {version}, weights 0.25,0.25,0.25,0.25"
    model, layer = bertscore_choice(bertscore_model)
    return f"bert-score {version} F1, {model} layer {layer}, no idf, no baseline rescaling"


def bertscore_choice(model: Optional[str]) -> tuple[str, int]:
    """The model BERTScore embeds with and its layer: bert-score's tuned layer for a model it knows (by its hub
    name, or a local folder named like one), else the model's last layer."""
    from bert_score.utils import model2layers

    chosen = model or BERTSCORE_DEFAULT
    if model and (model.startswith((".", "/", "~")) or "\\" in model) and not Path(model).expanduser().is_dir():
        raise MetricError(_("--bertscore-model {model}: no such folder (pass a folder holding a BERT-like model, or a "
                            "hub name such as roberta-large)").format(model=model))
    known = model2layers.get(chosen) or model2layers.get(Path(chosen).name)
    if known is not None:
        return chosen, known
    config = Path(chosen) / "config.json"
    if config.is_file():
        import json

        layers = json.loads(config.read_text()).get("num_hidden_layers")
        if isinstance(layers, int) and layers > 0:
            return chosen, layers
    raise MetricError(_("bert-score does not know which layer of {model} to use: pass --bertscore-model with a "
                        "local folder holding the model (its config.json names its layers), or one of bert-score's "
                        "models (e.g. roberta-large)").format(model=chosen))


def compute(metric: Metric, pairs: Sequence[Pair], bertscore_model: Optional[str] = None) -> list[Optional[float]]:
    """`metric` of every pair (see the module's docstring)."""
    package_version(metric)
    values: list[Optional[float]] = [None] * len(pairs)
    todo = []
    for i, pair in enumerate(pairs):
        if metric is Metric.codebleu and CODEBLEU_LANGUAGES.get(pair.language or "") is None:
            continue  # prose, or a language without a CodeBLEU grammar
        if not pair.answer.strip():
            values[i] = 0.0
            continue
        todo.append(i)
    if not todo:
        return values
    chosen = [pairs[i] for i in todo]
    if metric is Metric.bleu:
        found = _sacrebleu(chosen, chrf=False)
    elif metric is Metric.chrf:
        found = _sacrebleu(chosen, chrf=True)
    elif metric is Metric.codebleu:
        found = _codebleu(chosen)
    else:
        found = _bertscore(chosen, bertscore_model)
    for i, value in zip(todo, found):
        values[i] = min(1.0, max(0.0, value))  # sacrebleu's 100 can come back as 100.00000000000004
    return values


def _sacrebleu(pairs: Sequence[Pair], chrf: bool) -> list[float]:
    from sacrebleu.metrics import BLEU, CHRF

    scorer = CHRF() if chrf else BLEU(effective_order=True)
    return [scorer.sentence_score(p.answer, [p.reference]).score / 100 for p in pairs]


def _codebleu(pairs: Sequence[Pair]) -> list[float]:
    from codebleu import calc_codebleu

    found = []
    for p in pairs:
        try:
            found.append(float(calc_codebleu([p.reference], [p.answer], lang=CODEBLEU_LANGUAGES[p.language])
                               ["codebleu"]))
        except (ImportError, AttributeError, TypeError) as exc:  # a grammar package it cannot load
            raise MetricError(_("codebleu cannot parse {language} here ({error}): reinstall it with {install}")
                              .format(language=p.language, error=exc, install=EXTRA)) from exc
    return found


def _bertscore(pairs: Sequence[Pair], model: Optional[str]) -> list[float]:
    import logging

    from bert_score import BERTScorer

    name, layer = bertscore_choice(model)
    logging.getLogger("transformers").setLevel(logging.ERROR)
    try:
        scorer = BERTScorer(model_type=name, num_layers=layer, batch_size=16)
    except (OSError, ValueError) as exc:  # not in the local cache and no hub, or not a model folder
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MetricError(_("BERTScore's model {model} could not be loaded ({reason}): pass --bertscore-model DIR, a "
                            "local folder holding a BERT-like model (config, weights, tokenizer)")
                          .format(model=name, reason=why)) from exc
    precision, recall, f1 = scorer.score([p.answer for p in pairs], [p.reference for p in pairs])
    return [float(v) for v in f1.tolist()]
