"""Benchmarks of the ADM kiosk against the budgets in DESIGN.md: ``python -m bench`` (or ``./dev bench``).

Not part of the test command. Prints one table and writes ``bench/results.json``: for each figure the
measured value, the budget and the ratio (value / budget; above 1 is over budget).
"""
