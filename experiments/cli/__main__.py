"""``python -m experiments.cli``: the ``cadresim`` command."""

from experiments.cli.main import main

raise SystemExit(main())
