"""Benchmarks (see bench/README.md); run as modules from the repository root."""
