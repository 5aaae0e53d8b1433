"""Calibration of CadreSim's behavioural parameters to published survey figures (issue 15).

Entry points (imported on first use: pyABC is not loaded by ``import experiments.calibration``):

- ``calibrate(targets, priors, out, Budget(...), seed=, executor=)``: fit, check and report
  (``experiments.calibration.fit``);
- ``compare_regimes(posterior, regimes, out, draws=, seed=)``: regime comparison carrying the
  parameter uncertainty (``experiments.calibration.compare``);
- ``load_targets``, ``load_priors``: validated inputs.

The command line is ``cadresim calibrate`` (``experiments.cli.calibrate``);
``python -m experiments.calibration`` is the same command.

docs/calibration.md describes the method, the targets and the outputs.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Budget": "experiments.calibration.fit",
    "CalibrationResult": "experiments.calibration.fit",
    "calibrate": "experiments.calibration.fit",
    "compare_regimes": "experiments.calibration.compare",
    "load_priors": "experiments.calibration.priors",
    "load_targets": "experiments.calibration.targets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'experiments.calibration' has no attribute {name!r}")
