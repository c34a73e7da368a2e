"""Reports from stored runs: charts (matplotlib), one self-contained HTML page, significance.

data.py reads the store into per-method results (and defines "solved"), stats.py holds McNemar's exact test,
the paired bootstrap and Holm's correction, charts.py draws one PNG per chart, html.py writes the page,
terminal.py the rich tables, build.py ties them together and writes report.json.
"""
