"""CadreSim's model package: cadres choosing how hard to work under a policy regime.

Exports load on first use (``simulation.lazy``), so ``from simulation import ConfigError`` does
not import Mesa, and ``cadresim regimes`` or a bad config answers quickly.
"""

from simulation.lazy import lazy_exports

_EXPORTS = {
    "ACTIONS": "simulation.formulas",
    **dict.fromkeys(("CAUSES", "OUTPUTS", "STEP_COLUMNS", "Output", "output", "reduce_run"),
                    "simulation.outputs"),
    "Cadre": "simulation.agents",
    "CadreModel": "simulation.model",
    **dict.fromkeys(("ModelConfig", "Regime"), "simulation.config"),
    "ConfigError": "simulation.errors",
    **dict.fromkeys(("list_presets", "load_config"), "simulation.loading"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
