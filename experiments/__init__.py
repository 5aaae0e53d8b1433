"""CadreSim experiments: running, storing, analysing and plotting many model runs.

One room per role (docs/architecture.md):

* ``experiments.engine``: spec -> design points -> seeded runs on an executor -> results folder;
* ``experiments.analysis``: results folder -> statistics, tables, figures (never the model);
* ``experiments.cli``: the ``cadresim`` command, one module per subcommand;
* ``experiments.validation``: the model against analytic limits and published stylised facts;
* ``experiments.calibration``: behavioural parameters fitted to published figures;
* ``experiments.search``: regimes searched on several objectives, scenarios discovered;
* ``experiments.ema``: CadreSim as an EMA Workbench model.

Everything public is importable from here (``from experiments import load_results, analyze``);
names load on first use, so ``import experiments`` stays cheap.
"""

from experiments.analysis import _EXPORTS as _ANALYSIS
from experiments.engine import _EXPORTS as _ENGINE
from simulation.lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(_ENGINE, "experiments.engine"),
    **dict.fromkeys(_ANALYSIS, "experiments.analysis"),
    "main": "experiments.cli",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
