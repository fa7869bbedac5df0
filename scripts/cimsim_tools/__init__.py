"""Shared helpers of cimsim's Python tools (scripts/sweep.py, scripts/plot.py, scripts/study.py).

Debian's python3 with python3-jsonschema (spec validation, imported on first use, so a Slurm
array task needs the standard library only), python3-matplotlib (plots) and python3-numpy
(the study's fits). The sweep CSV is written and read by table.py alone.
"""
