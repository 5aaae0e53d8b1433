"""The ``cadresim`` command line: ``main`` and one module per subcommand.

``run`` and ``regimes`` (one configuration), ``sweep`` (an experiment spec into a results folder),
``analyze`` and ``plot`` (a results folder), ``validate`` (the validation suite), ``calibrate``
(a fit to published figures), ``search`` and ``discover`` (regimes and scenarios).
"""

from experiments.cli.main import EXIT_USAGE, build_parser, main

__all__ = ["EXIT_USAGE", "build_parser", "main"]
