"""CadreSim's model package: cadres choosing how hard to work under a policy regime."""

from simulation.agents import Cadre
from simulation.config import ModelConfig, Regime
from simulation.formulas import ACTIONS
from simulation.loading import ConfigError, list_presets, load_config
from simulation.model import CadreModel
from simulation.outputs import CAUSES, OUTPUTS, STEP_COLUMNS, Output, output, reduce_run

__all__ = [
    "ACTIONS",
    "CAUSES",
    "OUTPUTS",
    "STEP_COLUMNS",
    "Cadre",
    "CadreModel",
    "ConfigError",
    "ModelConfig",
    "Output",
    "Regime",
    "list_presets",
    "load_config",
    "output",
    "reduce_run",
]
