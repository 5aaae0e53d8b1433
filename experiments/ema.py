"""CadreSim under the EMA Workbench, with common random numbers (docs/ema-workbench.md).

Config paths are EMA uncertainties and levers; outcomes come from the output registry.

The EMA Workbench (``pip install ema_workbench``, not a CadreSim dependency) samples scenarios
and policies and calls a model once per replicate. Each replicate r gets the same seed in every
experiment, the seed a CadreSim sweep with the same root seed gives replicate r
(``experiments.engine.design.run_seed``), so policies are compared on common random numbers.
Only :func:`cadresim_model` imports the workbench; the run itself is the sweep engine's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from experiments.engine.design import run_seed
from experiments.engine.run import simulate_run
from experiments.engine.spec import parameter_type
from simulation.loading import load_config
from simulation.model import lever_overrides
from simulation.outputs import OUTPUTS, reduce_run

__all__ = ["CadreSimRun", "cadresim_model", "ema_name", "replicate_seeds"]


def ema_name(path: str) -> str:
    """A config path as an EMA parameter name (an identifier): ``regime__support__care``.

    CadreModel and :class:`CadreSimRun` read ``__`` as ``.``.
    """
    return path.replace(".", "__")


def replicate_seeds(root: int, replications: int) -> list[int]:
    """The seed of each replicate: replicate r's is the same in every experiment (CRN)."""
    return [run_seed(root, 0, replicate) for replicate in range(replications)]


@dataclass(frozen=True)
class CadreSimRun:
    """The function EMA calls: one CadreSim run, reduced to the registry's run outputs.

    Called with the replicate's ``seed`` and the sampled parameters by EMA name (or dotted
    path). A plain, picklable object, so EMA's multiprocessing evaluator can ship it.

    Attributes:
        preset: the base config (a preset name or YAML path; None: the defaults).
        outcomes: names in ``simulation.outputs.OUTPUTS``.
        steps: years per run (None: the config's ``steps``).
        burn_in: initial years left out of each run's means (the sweeps' convention).
        fixed: dotted config overrides applied to every run, under the sampled parameters.
    """

    preset: str | None = None
    outcomes: tuple[str, ...] = ("inaction",)
    steps: int | None = None
    burn_in: int = 0
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [name for name in self.outcomes if name not in OUTPUTS]
        if unknown:
            raise ValueError(f"unknown outcomes {unknown}; known: {', '.join(OUTPUTS)}")

    def __call__(self, seed: int, **parameters: Any) -> dict[str, float]:
        """The run's value of each outcome, for this seed and these parameter values."""
        config = load_config(self.preset, {**self.fixed, **lever_overrides(parameters)})
        steps = config.steps if self.steps is None else self.steps
        table = simulate_run(config, int(seed), steps)
        return reduce_run(table, self.burn_in, self.outcomes)


def _parameters(bounds: Mapping[str, Sequence[float]]) -> list[Any]:
    """EMA parameters for config paths with (low, high) bounds, typed as the config field."""
    from ema_workbench import IntegerParameter, RealParameter

    made = []
    for path, (low, high) in bounds.items():
        kind = IntegerParameter if parameter_type(path) is int else RealParameter
        made.append(kind(ema_name(path), low, high))
    return made


def cadresim_model(
    name: str,
    run: CadreSimRun,
    uncertainties: Mapping[str, Sequence[float]] | None = None,
    levers: Mapping[str, Sequence[float]] | None = None,
    replications: int = 10,
    seed: int = 20261121,
) -> Any:
    """An ``ema_workbench.ReplicatorModel`` running CadreSim.

    Args:
        name: the EMA model's name (an identifier).
        run: what each run is (base config, outcomes, steps, burn-in).
        uncertainties: config path -> (low, high), sampled as scenarios.
        levers: config path -> (low, high), sampled as policies.
        replications: replicates per experiment; their seeds come from ``seed``
            (:func:`replicate_seeds`), the same in every experiment.
        seed: the root seed of the replicates' seeds.

    Each outcome is an ``ArrayOutcome``: one value per replicate, in replicate order
    (``ema_workbench.process_replications`` takes their mean).
    """
    from ema_workbench import ArrayOutcome, ReplicatorModel

    model = ReplicatorModel(name, function=run)
    model.uncertainties = _parameters(uncertainties or {})
    model.levers = _parameters(levers or {})
    model.outcomes = [ArrayOutcome(name) for name in run.outcomes]
    model.replications = [{"seed": s} for s in replicate_seeds(seed, replications)]
    return model
