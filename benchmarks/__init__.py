"""Benchmarks: speed and memory of CadreSim against a per-agent reference (``make bench``)."""
