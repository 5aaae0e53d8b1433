"""Which implementation runs each phase of a step: the NumPy reference or the compiled kernels.

The backend is chosen here and nowhere else. :func:`in_force` reads ``kernels.backend()`` (set
by ``CADRESIM_KERNELS``, ``kernels.use`` or ``kernels.using``) and returns that backend's table
of the functions that differ between the two paths; ``step.advance`` asks for it once a step and
hands each entry to its phase. Phase modules and kernels never choose, and neither imports the
other. Numba is imported only when the compiled table is first built.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation import (
    accountability,
    decision,
    demography,
    kernels,
    learning,
    outcomes,
    perceived,
    population,
    promotion,
    statistics,
    streams,
)
from simulation.records import Inaction


class Phases(NamedTuple):
    """The functions one backend runs, by the NumPy reference's name; same arguments, same bits."""

    backend: str  # one of kernels.BACKENDS
    career_weights: decision.CareerWeights  # phase 1, an input of the utility
    sanctions_at: decision.SanctionsAt  # phase 1, an input of the utility
    effort_costs: Callable[..., NDArray[np.float64]]  # phase 1, the effort the choices cost
    decide: Callable[..., tuple[NDArray[np.int8], Inaction]]  # phase 1
    realise: outcomes.Realise  # phase 2, from its draws
    judge: accountability.Judge  # phase 3, all but the demotions
    form_pool: promotion.FormPool  # phase 4, the scored candidates
    fill: promotion.Fill  # phase 4, the places (the compiled twin may leave a year to NumPy)
    fast_track: promotion.FastTrack  # phase 4, the band (likewise)
    publish: promotion.Publish  # phase 4, the published statistics
    learn: Callable[..., None]  # phase 5, once the role models are chosen
    organisation_cases: Callable[..., NDArray[np.float64]]  # phase 5, the year's cases
    grow_older: demography.GrowOlder  # phase 6, the clocks
    start_careers: population.CareerStart  # phase 6, entrants
    slot_words: population.SlotWords  # phase 6, the entrants' random words (the same words)
    tally: Callable[..., NDArray[np.int64]]  # the step's counts
    averages: Callable[..., Sequence[float]]  # the step's means
    # Phases 1 and 3 to 6 and the statistics over a batch of replicates (simulation.batched);
    # None: each run alone.
    decide_each: Callable[..., tuple] | None = None
    demote_each: Callable[..., None] | None = None
    means_each: Callable[..., NDArray[np.float64]] | None = None
    band_each: Callable[..., tuple] | None = None
    promote_each: Callable[..., tuple] | None = None
    seen_each: Callable[..., tuple] | None = None
    cases_each: Callable[..., NDArray[np.float64]] | None = None
    learn_each: Callable[..., None] | None = None
    start_each: Callable[..., None] | None = None
    statistics_each: Callable[..., tuple] | None = None


def reference() -> Phases:
    """The NumPy path, which the kernels are checked and benchmarked against."""
    return Phases(
        backend="numpy",
        career_weights=decision.career_weights,
        sanctions_at=decision.sanctions_at,
        effort_costs=decision.effort_costs,
        decide=decision.decide,
        realise=outcomes.realise,
        judge=accountability.judge,
        form_pool=promotion.form_pool,
        fill=promotion.fill,
        fast_track=promotion.fast_track_band,
        publish=promotion.publish,
        learn=learning.learn,
        organisation_cases=perceived.organisation_cases,
        grow_older=demography.grow_older,
        start_careers=population.start_careers,
        slot_words=streams.Streams.slot_words,
        tally=statistics.tally,
        averages=statistics.averages,
    )


@functools.cache
def _kernel_modules() -> tuple[ModuleType, ...]:
    """The kernel modules, imported (and so compiled or loaded) on the first compiled step."""
    from simulation.kernels import accountability as judging
    from simulation.kernels import decide as deciding
    from simulation.kernels import demography as ageing
    from simulation.kernels import learning as learnt
    from simulation.kernels import outcomes as realised
    from simulation.kernels import promotion as promoting
    from simulation.kernels import segments as batched
    from simulation.kernels import statistics as counted
    from simulation.kernels import streams as drawing

    return judging, deciding, ageing, learnt, realised, promoting, counted, drawing, batched


def compiled() -> Phases:
    """The Numba kernels (simulation/kernels/), imported, and so compiled or loaded, here.

    The modules are imported once; their functions are looked up on each call, so a function
    replaced in its module (a test's spy) is the one the next step runs.
    """
    judging, deciding, ageing, learnt, realised, promoting, counted, drawing, batched = (
        _kernel_modules())
    return Phases(
        backend="numba",
        career_weights=deciding.career_weights,
        sanctions_at=deciding.sanctions_at,
        effort_costs=deciding.effort_costs,
        decide=deciding.decide,
        realise=realised.produce,
        judge=judging.judge,
        form_pool=promoting.form_pool,
        fill=promoting.fill,
        fast_track=promoting.fast_track_band,
        publish=promoting.publish,
        learn=learnt.learn,
        organisation_cases=learnt.organisation_cases,
        grow_older=ageing.age_one_year,
        start_careers=ageing.start_careers,
        slot_words=drawing.slot_words,
        tally=counted.tally,
        averages=counted.averages,
        decide_each=batched.decide_accounted,
        demote_each=batched.demote_each,
        means_each=batched.means_of_segments,
        band_each=batched.band_each,
        promote_each=batched.promote_each,
        seen_each=batched.seen_of,
        cases_each=batched.cases_each,
        learn_each=batched.learn_each,
        start_each=batched.start_careers_each,
        statistics_each=batched.statistics_each,
    )


def in_force() -> Phases:
    """The table of the backend in force now (``kernels.backend()``).

    Built on each call, a handful of lookups: a step run inside ``kernels.using(...)`` takes
    that backend's path even if the model was made outside it.
    """
    return compiled() if kernels.compiled() else reference()

