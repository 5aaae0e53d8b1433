"""The bridge to pyABC: a seeded sampler whose model runs go through the engine.

pyABC (ABC-SMC) runs the generations, adapts the tolerance and the proposal, weights the
particles, and keeps every generation in an SQLite history that a later run continues from
(resume after a kill). What pyABC's own parallel samplers do not give is reproducibility: they
accept whichever particles finish first. :class:`SeededSampler` makes a generation a pure
function of the seed: evaluation ``i`` of generation ``t`` runs with the global NumPy state
seeded from (seed, t, i) (pyABC draws proposals from it) and its model seed drawn from that, and
particles are accepted in index order until the population is full.

An evaluation is paused where pyABC asks the model (``evaluation.PausedEvaluation``): pyABC
proposes each evaluation's parameters in this process; the draws of a round run as one batch
through the engine (``simulate.simulate_draws``: warm workers, supervision, retries); then each
evaluation resumes from its seeded state with the draw's statistics, and pyABC computes its
distance, acceptance and weight. So the result does not depend on the executor, the number of
workers or the timing.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pyabc
from pyabc.sampler import Sampler
from scipy.stats._continuous_distns import _log_gauss_mass, _norm_logpdf
from tqdm.auto import tqdm

from experiments.calibration.evaluation import PausedEvaluation, running
from experiments.calibration.priors import PriorSet
from experiments.calibration.simulate import Draw, simulate_draws
from experiments.calibration.store import read_parts, write_rows
from experiments.calibration.targets import TargetSet
from experiments.engine.batching import replicates_per_batch
from experiments.engine.executors import parallelism

#: pyABC's loggers print a line per generation and per adaptation; the progress bars say enough.
for _name in ("ABC", "pyabc", "Sampler", "Epsilon", "Distance", "Acceptor", "History"):
    logging.getLogger(_name).setLevel(logging.WARNING)


#: Suffix of a parameter that pyABC samples on the log scale (a log-uniform prior).
LOG = "__log"


def pyabc_name(path: str, log: bool = False) -> str:
    """A parameter's name in pyABC's history: the dotted path with dots as double underscores.

    With ``log`` the name ends in ``__log``: pyABC holds the logarithm of the value.
    """
    return path.replace(".", "__") + (LOG if log else "")


def config_path(name: str) -> str:
    """Inverse of :func:`pyabc_name` (the dotted path, with or without ``__log``)."""
    return name.removesuffix(LOG).replace("__", ".")


def natural(name: str, value: float) -> float:
    """A value as the model takes it: pyABC's logarithm of a ``__log`` parameter exponentiated."""
    return math.exp(value) if name.endswith(LOG) else float(value)


class UniformRV(pyabc.RV):
    """scipy's uniform distribution, its density worked out here to the bit as scipy gives it.

    Made as ``UniformRV("uniform", low, width)``. pyABC asks the prior's density one parameter
    at a time, for every proposal and every weight: through scipy's generic path that cost
    about 40 us a call, the largest part of a calibration's own work after pyABC's history.
    Draws stay scipy's (they consume NumPy's global state, which the particles' seeds fix).
    """

    def pdf(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """1 / width on [low, low + width], 0 outside, NaN at NaN (scipy's ``uniform.pdf``)."""
        low, width = self.args
        if args or kwargs or self.kwargs or np.ndim(x) != 0 or not width > 0:
            return super().pdf(x, *args, **kwargs)
        z = (x - low) / width
        if z != z:
            return np.float64(np.nan)
        return np.float64(1.0 / width) if 0.0 <= z <= 1.0 else np.float64(0.0)


class OneModelRV(pyabc.RV):
    """pyABC's prior over models when there is one, its mass worked out here as scipy gives it.

    Made as ``OneModelRV("randint", 0, 1)``; pyABC asks its mass for every proposal and weight.
    """

    def pmf(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """1 at 0, NaN at NaN, 0 elsewhere (scipy's ``randint(0, 1).pmf``)."""
        if args or kwargs or self.args != (0, 1) or self.kwargs or np.ndim(x) != 0:
            return super().pmf(x, *args, **kwargs)
        if x != x:
            return np.float64(np.nan)
        return np.float64(1.0 if x == 0 else 0.0)


class TruncNormRV(pyabc.RV):
    """scipy's truncated normal distribution, its density worked out here as scipy gives it.

    Made as ``TruncNormRV("truncnorm", a, b, mean, sd)``. scipy's generic ``pdf`` checks the
    arguments and works out the normal mass between the bounds at every call (about 40 us);
    here the mass is worked out once, by scipy's own function, and each density takes the same
    steps as scipy's (``exp(norm_logpdf(z) - log_mass) / sd`` inside the bounds, 0 outside,
    NaN at NaN). Draws stay scipy's.
    """

    def pdf(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """The density at a scalar ``x`` (anything else goes through scipy)."""
        if args or kwargs or self.kwargs or np.ndim(x) != 0 or len(self.args) != 4:
            return super().pdf(x, *args, **kwargs)
        a, b, loc, scale = self.args
        if not (a < b and scale > 0):
            return super().pdf(x, *args, **kwargs)
        if getattr(self, "_mass_of", None) != (a, b):
            self._log_mass = _log_gauss_mass(np.asarray(a), np.asarray(b))
            self._mass_of = (a, b)
        z = np.asarray((np.asarray(x) - np.asarray(loc)) / np.asarray(scale), dtype=np.float64)
        if z != z:
            return np.float64(np.nan)
        if not a <= z <= b:
            return np.float64(0.0)
        return (np.exp(_norm_logpdf(z) - self._log_mass) / np.asarray(scale))[()]


class Perturbation(pyabc.MultivariateNormalTransition):
    """pyABC's multivariate normal kernel, its single draw made without pandas arithmetic.

    The same two draws from NumPy's global state (a particle by weight, then its Gaussian
    step) and the same sums, so the same proposals; pyABC's version built and added two
    pandas Series a proposal (about 90 us). What NumPy's ``choice`` and ``multivariate_normal``
    work out afresh at each call, the weights' cumulative sum and the covariance's
    decomposition, is worked out once per fit (``_factors``) and used as they use it.
    """

    def rvs_single(self) -> pyabc.Parameter:
        """One proposal: a particle drawn by weight, moved by a Gaussian step."""
        cdf, factor = self._factors()
        # NumPy's choice(p=w): one uniform, placed in the weights' normalised cumulative sum.
        index = int(cdf.searchsorted(np.random.random_sample(), side="right"))  # noqa: NPY002
        # NumPy's multivariate_normal: standard normals times the covariance's SVD factor,
        # plus the zero mean (as NumPy adds it: a -0.0 becomes 0.0).
        step = np.random.standard_normal(factor.shape[0]).reshape(-1, factor.shape[0])  # noqa: NPY002
        step = np.dot(step, factor)
        step += np.zeros(factor.shape[0])
        step.shape = (factor.shape[0],)
        return pyabc.Parameter(dict(zip(self.X.columns, self._X_arr[index] + step, strict=True)))

    def _factors(self) -> tuple[np.ndarray, np.ndarray]:
        """The weights' cumulative sum and the covariance's factor, for this fit's w and cov."""
        cached = getattr(self, "_cached_factors", None)
        if cached is not None and cached[0] is self.w and cached[1] is self.cov:
            return cached[2], cached[3]
        # NumPy's checks of the weights, with NumPy's errors, on a state of its own
        np.random.RandomState(0).choice(self._range, p=self.w, replace=True)
        w = np.asarray(self.w, dtype=np.float64)
        cdf = w.cumsum()
        cdf /= cdf[-1]
        cov = np.asarray(self.cov, dtype=np.float64)
        _, s, v = np.linalg.svd(cov)
        if not np.allclose(np.dot(v.T * s, v), cov, rtol=1e-8, atol=1e-8):
            warnings.warn("covariance is not symmetric positive-semidefinite.",
                          RuntimeWarning, stacklevel=3)
        factor = np.sqrt(s)[:, None] * v
        self._cached_factors = (self.w, self.cov, cdf, factor)
        return cdf, factor


def pyabc_prior(priors: PriorSet) -> pyabc.Distribution:
    """The priors as a pyABC Distribution of independent scipy random variables.

    A log-uniform prior is sampled as a uniform prior on the logarithm: the proposal kernel
    then moves particles on the scale the prior is flat on. On the natural scale the density
    of a log-uniform prior is far higher at its low end than a Gaussian kernel can follow, so
    particles proposed there carry large importance weights and the effective sample size
    collapses (measured on the shipped targets: docs/calibration.md, section 4).
    """
    rvs = {}
    for path, p in priors.parameters.items():
        name = pyabc_name(path, log=p.log_scale)
        if p.distribution == "uniform":
            rv = UniformRV("uniform", p.low, p.high - p.low)
        elif p.distribution == "loguniform":
            low, high = math.log(p.low), math.log(p.high)
            rv = UniformRV("uniform", low, high - low)
        else:
            a, b = (p.low - p.mean) / p.sd, (p.high - p.mean) / p.sd
            rv = TruncNormRV("truncnorm", a, b, p.mean, p.sd)
        rvs[name] = rv
    return pyabc.Distribution(**rvs)


def pyabc_distance(targets: TargetSet) -> pyabc.PNormDistance:
    """Euclidean distance of standardised errors.

    The square root of the sum over targets of ((sim - obs) / tol)^2; ``tol`` is the target's
    sampling s.e. and mapping looseness combined.
    """
    weights = {name: 1.0 / tol for name, tol in targets.tolerances().items()}
    return pyabc.PNormDistance(p=2, fixed_weights=weights)


class TargetModel:
    """pyABC's model: parameter draw -> the targets' statistics (NaN-free: NaN becomes 1e6).

    The model seed is drawn from NumPy's global state, which the sampler has seeded for this
    evaluation, so a particle is a pure function of (calibration seed, generation, index). The
    model runs nothing itself: it hands the draw to the paused evaluation it runs in
    (:mod:`experiments.calibration.evaluation`), which the sampler answers with the statistics
    once the engine has simulated it.
    """

    def __init__(self, targets: TargetSet) -> None:
        self.targets = targets

    def __call__(self, pars: Mapping[str, float]) -> dict[str, float]:
        """The targets' statistics for one parameter draw (NaN replaced by 1e6)."""
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002 (pyABC's global state)
        draw = Draw({config_path(k): natural(k, v) for k, v in pars.items()}, seed)
        evaluation = running()
        if evaluation is None:
            raise RuntimeError("the calibration model runs only in the seeded sampler's "
                               "evaluations")
        stats = evaluation.ask(draw)
        return {k: (v if math.isfinite(v) else 1e6) for k, v in stats.items()}


#: Runs per executor task in a generation's rounds. A task's runs share a batch (particles of
#: one size differ only in ``simulation.batched.PER_RUN`` fields), which makes runs cheaper the
#: more a task holds; but once the round has the particles it needs, the runs still in flight
#: (at most 2 x workers tasks) finish for nothing. Measured on the documented fit (2 workers,
#: ``benchmarks.calibration_bench``, sweep / fit runs per CPU second): 2.41 at 2 runs a task,
#: 1.91 at 4, 1.75-1.80 at 8, 1.85 at 16 (rounds of 60-130 draws). The fewest a round's task
#: holds; larger rounds hold a whole batch (``round_chunk``).
ROUND_CHUNK = 8


def round_chunk(runs: int, workers: int, n_cadres: int) -> int:
    """Runs per executor task in a round of ``runs`` runs on ``workers`` workers.

    ROUND_CHUNK, raised towards a whole batch of the engine's (``replicates_per_batch``: 16
    runs of 400 cadres, as a sweep's) while a task stays at most an eighth of a worker's share
    of the round: then the runs left in flight when the round has its particles stay a small
    part of it. A batch of 16 runs of 400 cadres costs about a ninth less a run
    than one of 8 (``benchmarks.batched_bench --draws``).
    """
    per_task = runs // (8 * max(1, workers))
    return max(ROUND_CHUNK, min(replicates_per_batch(n_cadres), per_task))


def evaluation_seeds(seed: int, t: int, start: int, stop: int) -> list[int]:
    """Seeds of evaluations ``start..stop-1`` of generation ``t``: each a function of its index."""
    return [
        int(np.random.SeedSequence([seed, t + 1, i]).generate_state(1)[0])
        for i in range(start, stop)
    ]


def particle_row(index: int, particle: Any) -> dict[str, Any]:
    """One evaluated particle as a flat table row (for the evaluation cache)."""
    row: dict[str, Any] = {"index": index, "weight": particle.weight,
                           "distance": particle.distance, "accepted": particle.accepted}
    row |= {f"par:{k}": float(v) for k, v in particle.parameter.items()}
    row |= {f"stat:{k}": float(v) for k, v in particle.sum_stat.items()}
    return row


def row_particle(row: Mapping[str, Any]) -> Any:
    """Inverse of :func:`particle_row`."""
    pars = {k[4:]: float(v) for k, v in row.items() if k.startswith("par:")}
    stats = {k[5:]: float(v) for k, v in row.items() if k.startswith("stat:")}
    return pyabc.Particle(
        m=0, parameter=pyabc.Parameter(pars), weight=float(row["weight"]), sum_stat=stats,
        distance=float(row["distance"]), accepted=bool(row["accepted"]),
    )


class AcceptedPrefix:
    """How many particles of a round, taken in index order from ``start``, are accepted so far.

    ``cached`` and ``fresh`` hold the round's finished particles by index (``fresh`` fills as
    runs come back); the prefix is the unbroken run of finished ones from ``start``.
    """

    def __init__(self, start: int, needed: int, cached: Mapping[int, Any],
                 fresh: Mapping[int, Any]) -> None:
        """Count from ``start`` until ``needed`` particles are accepted."""
        self.next = start
        self.needed = needed
        self.accepted = 0
        self.cached = cached
        self.fresh = fresh

    @property
    def enough(self) -> bool:
        """Whether the prefix holds the ``needed`` accepted particles (it is extended first)."""
        while self.accepted < self.needed:
            particle = self.cached.get(self.next, self.fresh.get(self.next))
            if particle is None:
                return False
            self.accepted += bool(particle.accepted)
            self.next += 1
        return True

    def end(self, stop: int) -> int:
        """Where the particles pyABC needs end: ``stop``, or after the last accepted one needed."""
        return self.next if self.enough else stop


class SeededSampler(Sampler):
    """A pyABC sampler whose result depends on the seed only; the engine runs the model.

    With ``cache_dir``, every finished batch of evaluations is stored (Parquet, atomically) under
    its generation and indices; a rerun after a kill reads them back instead of simulating
    again, so no finished simulation is repeated, even inside an unfinished generation.

    Args:
        model: the target model pyABC evaluates (the same object).
        executor: runs the model runs (a warm process pool, a Dask executor, this process).
        seed: the calibration seed.
        progress: show one tqdm bar per generation.
        cache_dir: folder of the evaluation cache (None: no cache).
        run_timeout: seconds a model run may take (None: no limit).
    """

    def __init__(
        self,
        model: TargetModel,
        executor: Executor,
        seed: int,
        progress: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        run_timeout: float | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.executor = executor
        self.seed = int(seed)
        self.progress = progress
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.run_timeout = run_timeout
        self.simulated = 0  # evaluations actually simulated by this object (not read back)

    def round_size(self, n: int, accepted: int, evaluated: int) -> int:
        """Evaluations of the next round (deterministic).

        The first n, then what the acceptance rate so far says is still needed (at least one
        per worker, at most 20 n).
        """
        if evaluated == 0:
            return n
        rate = max(accepted / evaluated, 0.02)
        need = math.ceil(1.1 * (n - accepted) / rate)
        return int(min(max(need, parallelism(self.executor)), 20 * n))

    def _cached(self, t: int) -> dict[int, Any]:
        if self.cache_dir is None:
            return {}
        table = read_parts(self.cache_dir, f"t{t + 1:03d}")
        return {int(r["index"]): row_particle(r) for r in table.to_dict("records")}

    def _evaluate(self, simulate_one: Any, t: int, start: int, stop: int,
                  cached: dict[int, Any], needed: int) -> list[Any]:
        """Particles ``start..`` of generation ``t`` in index order, until ``needed`` accepted.

        The round's draws run as one batch; once the particles finished in an unbroken run
        from ``start`` hold ``needed`` accepted ones, no further runs are sent (those already
        sent finish and are cached). Which particles are accepted does not depend on that:
        each is a function of its index, and pyABC takes them in index order.
        """
        todo = [i for i in range(start, stop) if i not in cached]
        seeds = [evaluation_seeds(self.seed, t, i, i + 1)[0] for i in todo]
        evaluations = [PausedEvaluation(simulate_one, seed) for seed in seeds]
        fresh: dict[int, Any] = {}
        prefix = AcceptedPrefix(start, needed, cached, fresh)

        def store(finished: list[tuple[int, dict[str, float]]]) -> None:
            particles = {todo[j]: evaluations[j].resume(stats) for j, stats in finished}
            fresh.update(particles)
            if self.cache_dir is not None:
                write_rows([particle_row(i, p) for i, p in sorted(particles.items())],
                           self.cache_dir / f"t{t + 1:03d}-{min(particles):08d}.parquet")

        try:
            draws = [evaluation.start() for evaluation in evaluations]
            targets = self.model.targets
            runs = len(draws) * len(targets.regimes) * targets.simulation.replications
            simulate_draws(draws, targets, self.executor, on_draws=store,
                           run_timeout=self.run_timeout, enough=lambda: prefix.enough,
                           chunk_size=round_chunk(runs, parallelism(self.executor),
                                                  targets.simulation.n_cadres))
        finally:  # the draws not simulated (enough accepted, or the round failed)
            for evaluation in evaluations:
                evaluation.abandon()
        self.simulated += len(fresh)
        return [cached[i] if i in cached else fresh[i] for i in range(start, prefix.end(stop))]

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Any,
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        """Evaluate seeded particles in index order until ``n`` are accepted (pyABC's API)."""
        cached = self._cached(t)
        sample = self._create_empty_sample()
        accepted = evaluated = 0
        label = "calibration sample" if t < 0 else f"generation {t}"
        with tqdm(total=n, desc=label, disable=not self.progress or None, leave=False) as bar:
            while accepted < n and evaluated < max_eval:
                size = self.round_size(n, accepted, evaluated)
                if math.isfinite(max_eval):
                    size = min(size, int(max_eval) - evaluated)
                particles = self._evaluate(simulate_one, t, evaluated, evaluated + size, cached,
                                           n - accepted)
                for particle in particles:  # in index order: independent of timing
                    sample.append(particle)
                    evaluated += 1
                    if particle.accepted:
                        accepted += 1
                        bar.update()
                        if accepted == n:
                            break
        self.nr_evaluations_ = evaluated
        if accepted < n:
            sample.ok = False
        return sample


class ResumableQuantileEpsilon(pyabc.QuantileEpsilon):
    """pyABC's quantile tolerance schedule, made to survive a resume.

    It starts at ``initial_epsilon`` (accept every prior draw in generation 0), then takes the
    ``alpha``-quantile of the last population's distances. pyABC's own class sets the initial
    value again when a loaded run continues; here a continued run (t > 0) takes the quantile of
    the last stored population, as the uninterrupted run did. It reads the distances the
    history stored (``history``, set when the history is opened) rather than letting pyABC
    recompute them from summary statistics the history does not keep: the distance's weights
    are fixed, so they are the same numbers.
    """

    #: The history a continued run reads its last population's distances from (None: pyABC
    #: recomputes them, which needs a history that kept the summary statistics).
    history: Any = None

    def initialize(
        self, t: int, get_weighted_distances: Any, get_all_records: Any,
        max_nr_populations: int, acceptor_config: dict,
    ) -> None:
        """Set the tolerance of a continued run from its last stored population."""
        if t > 0:
            self._update(t, get_weighted_distances() if self.history is None
                         else self.history.get_weighted_distances(t - 1))


def make_abc(
    targets: TargetSet,
    priors: PriorSet,
    population_size: int,
    executor: Executor,
    seed: int,
    progress: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    run_timeout: float | None = None,
) -> pyabc.ABCSMC:
    """An ABC-SMC object ready to run.

    It holds the target model, the priors, a standardised distance, a median tolerance
    schedule that starts by accepting every prior draw, and the seeded sampler.
    """
    model = TargetModel(targets)
    return pyabc.ABCSMC(
        models=model,
        parameter_priors=pyabc_prior(priors),
        distance_function=pyabc_distance(targets),
        population_size=population_size,
        transitions=Perturbation(),
        model_prior=OneModelRV("randint", 0, 1),
        eps=ResumableQuantileEpsilon(initial_epsilon=1e9, alpha=0.5),
        sampler=SeededSampler(model, executor, seed, progress=progress, cache_dir=cache_dir,
                              run_timeout=run_timeout),
    )
