"""Benchmarks: generate with a model, run in the sandbox, feed errors back (`--chain`), score pass@k.

config.py holds the settings (BenchConfig), session.py one invocation, runner.py the loop, runs.py starting
and resuming stored runs, feedback.py what a model is told, failure.py why a sample failed (both read results
through sandbox/failure.py), scores.py pass@k, intervals and per-task results.
"""
