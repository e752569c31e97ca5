"""The performance benchmark suite (`make bench`): scenarios measured beside same-run baselines.

See benchmarks/README.md for what is measured, the budgets, and the latest table.
"""
