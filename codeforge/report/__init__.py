"""Reports from stored runs: charts (matplotlib), one self-contained HTML page, significance.

data.py reads the store into per-method results on the tasks every chosen run covers (and defines "solved"
and "unfinished"), and the chosen repair runs epoch by epoch, shown apart; stats.py holds McNemar's exact
test, the paired bootstrap and Holm's correction, document.py the `Report` and its definitions, charts.py
draws one PNG per chart, html.py writes the page, terminal.py the rich tables, build.py ties them together
and writes report.json, config.py holds the command's settings. failure.py says why a stored sample failed
(for `bench show --task`). Scores and their intervals come from bench/scores.py (repair runs: repair/scores.py);
nothing here imports the bench orchestrator, a model or the sandbox.
"""
