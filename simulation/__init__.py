"""CadreSim's model package: cadres choosing how hard to work under a policy regime."""

from simulation.agents import Cadre
from simulation.config import ModelConfig, Regime
from simulation.formulas import ACTIONS
from simulation.loading import ConfigError, list_presets, load_config
from simulation.model import CadreModel

__all__ = [
    "ACTIONS",
    "Cadre",
    "CadreModel",
    "ConfigError",
    "ModelConfig",
    "Regime",
    "list_presets",
    "load_config",
]
