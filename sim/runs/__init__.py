"""Runs: sweep plans and seeds, executors, the result files, comparisons and figures."""
