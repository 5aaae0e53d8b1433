"""Designing regimes: multi-objective search over levers, and scenario discovery (PRIM).

``cadresim search`` (``report.run_search``) and ``cadresim discover`` (``discovery``,
``prim``); docs/search.md.
"""
