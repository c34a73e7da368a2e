"""The similarity metrics against their packages' own results on fixed pairs: sacrebleu (BLEU, chrF), codebleu
(CodeBLEU, with codeforge's tree-sitter and grammars rather than the older ones it pins) and bert-score on a tiny
BERT the test builds (no hub here)."""

from __future__ import annotations

from importlib import metadata

import pytest

from codeforge.metrics import Metric, MetricError
from codeforge.metrics import similarity
from codeforge.metrics.similarity import Pair, compute, signature

from tests.tiny_model import build_tiny_bert

PYTHON = "def add(a, b):\n    return a + b\n"
PAIRS = [  # (answer, reference): close, rewritten, unrelated
    ("def add(a, b):\n    return b + a\n", PYTHON),
    ("def add(x, y):\n    s = x + y\n    return s\n", PYTHON),
    ("import os\nprint(os.getcwd())\n", PYTHON),
]
SAME = {  # one program per language, compared with itself
    "python": PYTHON,
    "go": "package main\n\nfunc Add(a int, b int) int {\n\treturn a + b\n}\n",
    "c": "int add(int a, int b) {\n    int s = a + b;\n    return s;\n}\n",
    "cpp": "#include <vector>\nint sum(std::vector<int> xs) {\n    int s = 0;\n    for (int x : xs) s += x;\n"
           "    return s;\n}\n",
}


def pairs(language="python"):
    return [Pair(answer, reference, language) for answer, reference in PAIRS]


def test_bleu_and_chrf_are_sacrebleus_sentence_scores():
    import sacrebleu

    bleu = compute(Metric.bleu, pairs())
    chrf = compute(Metric.chrf, pairs())
    assert bleu == pytest.approx([sacrebleu.sentence_bleu(a, [r]).score / 100 for a, r in PAIRS])
    assert chrf == pytest.approx([sacrebleu.sentence_chrf(a, [r]).score / 100 for a, r in PAIRS])
    assert bleu[0] > bleu[2] and chrf[0] > chrf[1] > chrf[2]  # closer answers score higher
    assert compute(Metric.bleu, [Pair(PYTHON, PYTHON, "python")]) == [1.0]  # sacrebleu's 100.00000000000004
    assert compute(Metric.chrf, [Pair(PYTHON, PYTHON, None)]) == [1.0]


def test_codebleu_is_the_packages_with_our_grammars():
    from codebleu import calc_codebleu

    found = compute(Metric.codebleu, pairs())
    assert found == pytest.approx([calc_codebleu([r], [a], lang="python")["codebleu"] for a, r in PAIRS])
    assert 0.0 <= min(found) and max(found) < 1.0
    # identical programs score 1.0 in every language codeforge runs (CodeBLEU's range is 0 to 1)
    for language, program in SAME.items():
        assert compute(Metric.codebleu, [Pair(program, program, language)]) == [1.0], language


def test_prose_has_no_codebleu_and_an_empty_answer_scores_zero():
    assert compute(Metric.codebleu, [Pair("A cat sat.", "The cat sat.", None)]) == [None]
    for metric in (Metric.bleu, Metric.chrf, Metric.codebleu):
        assert compute(metric, [Pair("", PYTHON, "python"), Pair(PYTHON, PYTHON, "python")]) == [0.0, 1.0]


def test_a_missing_package_names_what_to_install(monkeypatch):
    real = metadata.version

    def without(name):
        if name in ("sacrebleu", "codebleu"):
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(similarity.metadata, "version", without)
    with pytest.raises(MetricError, match=r"pip install 'codeforge\[metrics\]'"):
        compute(Metric.bleu, pairs())
    with pytest.raises(MetricError, match="pip install --no-deps codebleu"):
        signature(Metric.codebleu)


def test_signatures_name_the_package_version_and_settings():
    assert signature(Metric.bleu).startswith(f"sacrebleu {metadata.version('sacrebleu')} sentence BLEU")
    assert signature(Metric.codebleu).startswith(f"codebleu {metadata.version('codebleu')}")
    assert "roberta-large layer 17" in signature(Metric.bertscore)


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


def test_bertscore_runs_offline_on_a_local_model(bert):
    from bert_score import score

    texts = [("def add(a, b): return a + b", "def add(a, b): return a + b"),
             ("def add(a, b): return b + a", "def add(a, b): return a + b"),
             ("import os", "class Stack: pass")]
    found = compute(Metric.bertscore, [Pair(a, r, None) for a, r in texts], str(bert))
    _, _, f1 = score([a for a, _ in texts], [r for _, r in texts], model_type=str(bert), num_layers=2)
    assert found == pytest.approx(f1.tolist(), abs=1e-6)
    assert found[0] == pytest.approx(1.0, abs=1e-5) and found[2] < found[0]
    assert f"{bert} layer 2" in signature(Metric.bertscore, str(bert))  # its last layer: bert-score has no tuned one


def test_bertscore_refuses_a_model_it_cannot_use(tmp_path):
    with pytest.raises(MetricError, match="no such folder"):
        signature(Metric.bertscore, str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(MetricError, match="which layer"):
        signature(Metric.bertscore, str(tmp_path / "empty"))
