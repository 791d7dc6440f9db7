"""Benchmarks behind ``snn-control bench <name>``; each returns a dict of named figures."""
