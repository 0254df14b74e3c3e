"""Benchmarking: datasets x deployments x repeats -> one result row each."""
