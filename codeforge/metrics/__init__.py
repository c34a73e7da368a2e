"""Similarity metrics beside pass@k: BLEU, chrF (sacrebleu), CodeBLEU (the codebleu package) and BERTScore
(bert-score), each of an answer against the task's reference, through the packages that define them.

This module is light (the enum and the errors); `similarity.py` imports a metric's package only when that
metric is computed. The packages come with the optional extra `codeforge[metrics]`.
"""

from __future__ import annotations

from enum import Enum

EXTRA = "pip install 'codeforge[metrics]'"


class Metric(str, Enum):
    """The similarity metrics `--metrics` takes."""

    bleu = "bleu"  # sacrebleu's sentence BLEU (effective order), 0..1
    codebleu = "codebleu"  # CodeBLEU (n-gram, weighted n-gram, syntax and data-flow match, equal weights), 0..1
    chrf = "chrf"  # sacrebleu's chrF (character n-gram F-score, beta 2), 0..1
    bertscore = "bertscore"  # BERTScore F1 of contextual embeddings, about 0..1


class MetricError(Exception):
    """A metric cannot be computed here; the message says which extra or model to install or pass."""
