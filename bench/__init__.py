"""``make bench``: cold starts, warm cost, AWS calls per operation and package sizes, measured in one run.

Not a test: it prints a table and writes ``.local/bench.json``. Every figure is set
against a reference measured in the same run (the floor), so the ratios travel between
machines better than the absolute times do.
"""
