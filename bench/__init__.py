"""Benchmarks (docs/PERFORMANCE.md): each script runs alone; run_all.py runs them all."""
