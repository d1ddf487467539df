"""Benchmarks of the workbench against a bare Flask floor (`make bench`).

They report figures and never fail on them: the run writes ``benchmarks/RESULTS.md`` and a plot.
"""
