"""Every output of the model, declared once: the counterpart of ``param()`` for inputs.

An output is a column of the per-step table (``per_step``) or a value derived for a run from one
or two (``final_inaction`` reads ``inaction``; ``afraid_share`` divides ``afraid`` by
``inaction``). Each has a readable label, a short label, a unit, how a
run reduces it and whether policy can move it. The step's columns (``STEP_COLUMNS``), the runs
table of a sweep, the one-run summary, plot labels, the app's charts and the analysis all read
this table; a new output is one ``output(...)`` line here (and its value in ``step.advance``).

How a run reduces an output (``reduce``):

* ``"mean"``: the mean over the steps after the burn-in. **Burn-in convention**: ``burn_in`` is
  the number of initial steps left out, so with ``burn_in = B`` the run's value is the mean over
  steps ``B + 1 .. steps`` (rows ``B ..`` of the per-step table). Every runner uses it: sweeps,
  ``cadresim run --burn-in``, the validation suite and the directional tests.
* ``"final"``: the value in the final step (no burn-in).
* ``"ratio"``: the mean of ``of`` over the mean of ``per``, both after the burn-in (a
  composition: each cause as a share of inaction). 0 where the denominator's mean is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:  # tables are read through their methods: a spec's validation needs no pandas
    import pandas as pd

Reduce = Literal["mean", "final", "ratio"]


@dataclass(frozen=True)
class Output:
    """One model output.

    Attributes:
        name: the column name in tables and results (``inaction``).
        label: a readable name for axes and headers.
        short: a short name for crowded places (legends, tick labels).
        unit: the unit (``share`` = share of all cadres per year, unless stated).
        reduce: how a run reduces it: ``"mean"`` after the burn-in, ``"final"`` step, or
            ``"ratio"`` of two means.
        of: the per-step column a derived output reads (None: the output itself).
        per: the denominator column of a ``"ratio"`` output.
        policy: False for an output no policy lever can move (an exogenous draw).
        per_step: True for a column of the per-step table; False for a derived run output.
        scale: how figures and summaries show it: its value times ``scale`` in ``shown_unit``
            (event rates: 1000, per 1 000 cadres a year; everything else 1, in ``unit``).
        rare: True for a rare-event share whose run values pile up near 0 (a skewed,
            far-from-normal distribution): regime comparisons bootstrap its differences
            (``experiments.analysis.differences``) instead of using a t-interval.
    """

    name: str
    label: str
    short: str
    unit: str
    reduce: Reduce = "mean"
    of: str | None = None
    policy: bool = True
    per_step: bool = True
    per: str | None = None
    scale: float = 1.0
    rare: bool = False

    @property
    def shown_unit(self) -> str:
        """The unit of the value as shown (``unit`` unless scaled)."""
        return EVENT_UNIT if self.scale == PER_1000 else self.unit

    @property
    def column(self) -> str:
        """The per-step column this output reads."""
        return self.of or self.name


#: Every output by name, in model order.
OUTPUTS: dict[str, Output] = {}


def output(
    name: str,
    label: str,
    short: str,
    unit: str,
    *,
    reduce: Reduce = "mean",
    of: str | None = None,
    per: str | None = None,
    policy: bool = True,
    scale: float = 1.0,
    rare: bool = False,
) -> Output:
    """Declare an output (a per-step column unless ``of`` names the column it derives from)."""
    if name in OUTPUTS:
        raise ValueError(f"output {name!r} is declared twice")
    for source in (of, per):
        if source is not None and (source not in OUTPUTS or not OUTPUTS[source].per_step):
            raise ValueError(f"output {name!r}: {source!r} is not a per-step output declared "
                             "before")
    if (reduce == "ratio") != (per is not None):
        raise ValueError(f"output {name!r}: a 'ratio' output needs per=, and only it")
    declared = Output(name, label, short, unit, reduce, of, policy, per_step=of is None, per=per,
                      scale=scale, rare=rare)
    OUTPUTS[name] = declared
    return declared


#: Version of what the outputs mean, written into every results manifest. 3 since avoidance
#: counts initiative withheld for any of the three causes, with the fear-only figure kept as
#: ``avoidance_fear``, and effort cost and welfare are outputs (December 2026); 2 since inaction
#: had three forms (before, ``inaction`` was the idle share, today's lying_flat).
OUTPUTS_VERSION = 3
#: What changed at each version, for results folders that record an older one.
OUTPUTS_HISTORY: dict[int, str] = {
    1: "inaction was the idle share (today's lying_flat); no forms, causes or reasons",
    2: "avoidance counted only routine work that removing the perceived sanction risk would "
       "turn bold (today's avoidance_fear); no effort_cost or welfare",
    3: "avoidance counts routine work that lifting any of the three causes would turn bold; "
       "avoidance_fear, effort_cost and welfare added",
}

SHARE = "share"
PROBABILITY = "probability"
#: Event rates (a share of cadres a year) are shown per 1 000 cadres a year, everywhere.
PER_1000 = 1000.0
EVENT_UNIT = "per 1 000 cadres a year"


def event(name: str, label: str, short: str, rare: bool = False) -> Output:
    """Declare an event rate: a share of cadres a year, shown per 1 000 cadres a year."""
    return output(name, label, short, SHARE, scale=PER_1000, rare=rare)


# Inaction and its three forms (shares of all cadres): the forms add up to the headline.
output("inaction", "Inaction (lying flat + false action + avoidance)", "Inaction", SHARE)
output("final_inaction", "Inaction in the final year", "Final inaction", SHARE,
       reduce="final", of="inaction")
output("lying_flat", "Lying flat (idle share)", "Lying flat", SHARE)
output("formalism", "False action (formal-work share)", "False action", SHARE)
output("avoidance", "Responsibility avoidance (hard task withheld, any cause)", "Avoidance",
       SHARE)
output("avoidance_fear", "Avoidance held back by fear alone (version-2 avoidance)",
       "Avoidance (fear alone)", SHARE)
# Actions: idle (= lying_flat), formal (= formalism), routine and bold add up to 1.
output("routine", "Routine work share", "Routine work", SHARE)
output("bold", "Bold work share", "Bold work", SHARE)
# Causes of inaction (Shapley split) and the reasons inactive cadres give; each adds up to it.
output("unwilling", "Inaction: unwilling (motivation)", "Unwilling", SHARE)
output("unable", "Inaction: unable (ability)", "Unable", SHARE)
output("afraid", "Inaction: afraid (sanction risk)", "Afraid", SHARE)
output("reason_unwilling", "Reason given: missing benefit", "Says: no benefit", SHARE)
output("reason_unable", "Reason given: task beyond ability", "Says: cannot", SHARE)
output("reason_afraid", "Reason given: fear of sanction", "Says: afraid", SHARE)
# Compositions: shares of inaction (ratio of run means), comparable across regimes.
for _part, _what in (("lying_flat", "lying flat"), ("formalism", "false action"),
                     ("avoidance", "avoidance"), ("unwilling", "unwilling"),
                     ("unable", "unable"), ("afraid", "afraid"),
                     ("reason_unwilling", "reason: no benefit"),
                     ("reason_unable", "reason: cannot"), ("reason_afraid", "reason: afraid")):
    output(f"{_part}_share", f"Share of inaction: {_what}", f"{_what.capitalize()} (share)",
           "share of inaction", reduce="ratio", of=_part, per="inaction")
# Output per cadre.
output("real_output", "Real output per cadre", "Real output", "output units per cadre")
output("measured_output", "Measured output per cadre", "Measured output",
       "output units per cadre")
output("effort_cost", "Effort cost borne per cadre", "Effort cost", "utility per cadre")
output("welfare", "Welfare: output less effort and the harm of wrongful sanctions and shielded "
       "violations", "Welfare", "output units per cadre")
# Outcomes of bold work and of review (shares of all cadres).
event("bold_success", "Successful bold work", "Bold successes")
event("bold_failure", "Failed bold work", "Bold failures")
event("tolerated_failures", "Failures tolerated by review", "Tolerated failures")
event("punished_failures", "Honest failures punished", "Punished failures", rare=True)
event("violations_exposed", "Violations exposed to review", "Exposed violations")
event("shielded_violations", "Shielded violations (wrongly tolerated)", "Shielded violations",
      rare=True)
event("caught_inaction", "Inaction or formalism caught", "Caught inaction")
event("false_accusations", "False accusations", "False accusations", rare=True)
event("cleared_accusations", "False accusations cleared", "Cleared accusations", rare=True)
event("wrongful_sanctions", "Wrongful sanctions", "Wrongful sanctions", rare=True)
event("leader_sanctions", "Unit leaders warned (dual investigation)", "Leaders warned", rare=True)
event("sanctions", "Sanctions (any ground)", "Sanctions")
event("warnings", "Sanctions at the warning rung", "Warnings")
event("demotions", "Sanctions at the demotion rung", "Demotions", rare=True)
event("removals", "Removals from the service", "Removals", rare=True)
event("probation_failures", "Probation failures", "Probation failures", rare=True)
# Careers and the organisation.
event("promotions", "Promotions", "Promotions")
event("self_recommendations", "Self-recommendations", "Self-recommendations")
output("senior_vacancy_rate", "Vacancy rate of senior positions", "Senior vacancies",
       "share of senior positions")  # vacant share of positions at ranks >= 1 at year end
output("meritocracy", "Meritocracy (rank-ability correlation)", "Meritocracy", "correlation")
event("retirements", "Retirements", "Retirements")
event("turnover", "Turnover (retired or removed)", "Turnover")
# Means over cadres.
output("mean_motivation", "Mean motivation", "Motivation", "0-1")
output("mean_ability", "Mean ability", "Ability", "0-1")
output("belief_punish", "Belief: failure is punished", "Belief: punished", PROBABILITY)
output("belief_detect", "Belief: inaction is detected", "Belief: detected", PROBABILITY)
output("belief_promote", "Belief: performance is promoted", "Belief: promoted", "[-1, 1]")
output("belief_accuse", "Belief: falsely accused", "Belief: accused", PROBABILITY)
# Exogenous: 1 in a year a policy reversal scrapped bold projects.
output("policy_reversal", "Policy reversal years", "Policy reversals", "share of years",
       policy=False, rare=True)

#: Columns of the per-step table, in order (after ``step`` and ``regime``).
STEP_COLUMNS: tuple[str, ...] = tuple(o.name for o in OUTPUTS.values() if o.per_step)
#: Run outputs derived from a per-step column (always in a sweep's runs table, after the means).
DERIVED: tuple[str, ...] = tuple(o.name for o in OUTPUTS.values() if not o.per_step)
#: The causes of inaction, in stacking order (they add up to ``inaction``).
CAUSES: tuple[str, ...] = ("unwilling", "unable", "afraid")
#: Order of outputs in reports and tables: inaction, its causes and its final value first.
REPORT_ORDER: tuple[str, ...] = tuple(
    dict.fromkeys(("inaction", *CAUSES, *DERIVED, "formalism", *OUTPUTS))
)


def run_outputs(kept: tuple[str, ...] | list[str] = STEP_COLUMNS) -> tuple[str, ...]:
    """The run values a sweep stores: the kept per-step outputs, then the derived ones.

    A derived output is stored when its source columns are kept (``afraid_share`` needs
    ``afraid`` and ``inaction``).
    """
    derived = tuple(
        name for name in DERIVED
        if all(src in kept for src in (OUTPUTS[name].of, OUTPUTS[name].per) if src is not None)
    )
    return (*kept, *derived)


def reduce_output(
    table: pd.DataFrame, out: Output, burn_in: int = 0, reduce: Reduce | None = None
) -> float:
    """A run's value of one output from its per-step table.

    Reduced as the registry says, or as ``reduce`` overrides ("mean" or "final" of the
    output's column).
    """
    how = reduce or out.reduce
    values = table[out.column].to_numpy(float)
    if how == "final":
        return float(values[-1])
    if how == "ratio":
        total = float(np.mean(table[out.per].to_numpy(float)[burn_in:]))
        return float(np.mean(values[burn_in:])) / total if total > 0 else 0.0
    return float(np.mean(values[burn_in:]))


def reduce_run(
    table: pd.DataFrame, burn_in: int = 0, names: tuple[str, ...] | list[str] | None = None
) -> dict[str, float]:
    """A run's value of each output in ``names`` (default: every output) from its per-step table.

    Args:
        table: the per-step table (one row per step, oldest first).
        burn_in: initial steps left out of the means (the module's burn-in convention).
        names: the outputs to reduce, in the order returned.
    """
    values = {}
    for name in OUTPUTS if names is None else names:
        values[name] = reduce_output(table, OUTPUTS[name], burn_in)
    return values
