"""Shared helpers of cimsim's Python tools (scripts/sweep.py, scripts/plot.py).

Standard library only, so the sweep tool runs on any cluster node with a Python 3.9+;
matplotlib is imported by plot.py alone.
"""
