"""Benchmarks: generate with a model, run in the sandbox, feed errors back (`--chain`), score pass@k.

runner.py holds the loop, runs.py starting and resuming stored runs, feedback.py what a model is told,
metrics.py pass@k and intervals.
"""
