"""Benchmarks run by `make bench`: each prints figures measured in one run, with its target."""
