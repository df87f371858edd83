"""Benchmarks: `python -m benchmarks.<name>` (make bench)."""
