"""CadreSim under the EMA Workbench: an exploratory sweep with common random numbers.

Two deep uncertainties (how heavy the workload is, how often policy reverses) and two levers
(fault tolerance and care for cadres) sampled by Latin hypercube; every experiment runs the same
replicate seeds, so any two policies are compared on common random numbers. Run it with

    pip install ema_workbench
    python docs/examples/ema_workbench_example.py

(about a minute on one core at this size). Explained in docs/ema-workbench.md.
"""

from __future__ import annotations

from typing import Any

from ema_workbench import SequentialEvaluator, process_replications

from experiments.ema import CadreSimRun, cadresim_model

UNCERTAINTIES = {"regime.support.burden": (0.0, 2.0),
                 "regime.support.policy_volatility": (0.0, 0.2)}
LEVERS = {"regime.fault_tolerance.tolerance": (0.0, 1.0), "regime.support.care": (0.0, 1.0)}
OUTCOMES = ("inaction", "afraid_share", "wrongful_sanctions", "real_output")


def explore(
    scenarios: int = 8,
    policies: int = 4,
    replications: int = 5,
    n_cadres: int = 300,
    steps: int = 30,
    burn_in: int = 10,
    seed: int = 20261121,
) -> tuple[Any, dict[str, Any]]:
    """Run the experiments: EMA's experiments table and each outcome per experiment, replicate."""
    run = CadreSimRun(preset="default", outcomes=OUTCOMES, steps=steps, burn_in=burn_in,
                      fixed={"organisation.n_cadres": n_cadres})
    model = cadresim_model("cadresim", run, uncertainties=UNCERTAINTIES, levers=LEVERS,
                           replications=replications, seed=seed)
    with SequentialEvaluator(model) as evaluator:
        return evaluator.perform_experiments(
            scenarios=scenarios, policies=policies,
            uncertainty_sampling_kwargs={"rng": seed}, lever_sampling_kwargs={"rng": seed + 1},
        )


if __name__ == "__main__":
    experiments, outcomes = explore()
    means = process_replications(outcomes)  # the mean over each experiment's replicates
    table = experiments.assign(**{name: means[name] for name in OUTCOMES})
    print(table.groupby("policy")[list(OUTCOMES)].mean().round(4).to_string())
