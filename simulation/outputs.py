"""Every output of the model, declared once: the counterpart of ``param()`` for inputs.

An output is a column of the per-step table (``per_step``) or a value derived for a run from one
or two (``final_inaction`` reads ``inaction``; ``afraid_share`` divides ``afraid`` by
``inaction``). Each has a readable label, a short label, a unit, how a
run reduces it, whether policy can move it, its group (``GROUPS``: the headline, a form of
inaction, a cause, ...) and which way is better (``BETTER``), and for the parts of inaction and
the actions the colour every view draws them in. The step's columns (``STEP_COLUMNS``), the runs
table of a sweep, the one-run summary, plot labels and colours, the app's charts and the analysis
all read this table, and the lists of forms, causes and reasons (``FORMS``, ``CAUSES``,
``REASONS``) are derived from it; a new output is one ``output(...)`` line here (and its value in
``step.advance``).

One name per output: false action is ``formalism`` everywhere (stored results have always used
it); ``false_action``, the ODD's phrase, is kept as an alias (``ALIASES``, ``canonical``).

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
#: Which way an output is better: ``lower`` (inaction), ``higher`` (bold work, real output) or
#: ``neither`` (a count of events whose level is not good or bad in itself, a belief).
Better = Literal["lower", "higher", "neither"]
BETTER: tuple[str, ...] = ("lower", "higher", "neither")
#: The groups of outputs, in report order. ``headline``: inaction; ``form``: its three forms;
#: ``diagnostic``: a figure kept to compare with an earlier definition; ``action``: the active
#: choices; ``cause``: its Shapley split; ``reason``: the reasons inactive cadres give;
#: ``composition``: each as a share of inaction; ``output``: work done and its effort;
#: ``welfare``: output less effort and the harm of review's errors, and what the regime's levers
#: cost; ``outcome``: the fate of bold
#: work; ``review``: what review finds and gets wrong; ``sanction``: sanctions by rung;
#: ``career``: promotion, vacancies, exits; ``cadre``: means over cadres; ``belief``: learnt
#: beliefs; ``survey``: what cadres would answer to the surveys' questions (``simulation.survey``,
#: the calibration's targets); ``exogenous``: draws no policy moves.
GROUPS: tuple[str, ...] = (
    "headline", "form", "diagnostic", "action", "cause", "reason", "composition", "output",
    "welfare", "outcome", "review", "sanction", "career", "cadre", "belief", "survey",
    "exogenous",
)


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
        group: which family it belongs to (one of ``GROUPS``).
        better: ``lower``, ``higher`` or ``neither`` (one of ``BETTER``).
        colour: the colour every view draws it in (forms, actions, causes, reasons), else None.
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
    group: str = "headline"
    better: Better = "neither"
    colour: str | None = None

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
    group: str,
    better: Better,
    colour: str | None = None,
) -> Output:
    """Declare an output (a per-step column unless ``of`` names the column it derives from)."""
    if group not in GROUPS or better not in BETTER:
        raise ValueError(f"output {name!r}: group {group!r} must be one of {GROUPS} and "
                         f"better {better!r} one of {BETTER}")
    if name in OUTPUTS:
        raise ValueError(f"output {name!r} is declared twice")
    for source in (of, per):
        if source is not None and (source not in OUTPUTS or not OUTPUTS[source].per_step):
            raise ValueError(f"output {name!r}: {source!r} is not a per-step output declared "
                             "before")
    if (reduce == "ratio") != (per is not None):
        raise ValueError(f"output {name!r}: a 'ratio' output needs per=, and only it")
    declared = Output(name, label, short, unit, reduce, of, policy, per_step=of is None, per=per,
                      scale=scale, rare=rare, group=group, better=better, colour=colour)
    OUTPUTS[name] = declared
    return declared


#: Version of what the outputs mean, written into every results manifest. 4 since every rule in
#: a decision is a learnt belief and the mean of each is an output (issue 22). 3 since avoidance
#: counts initiative withheld for any of the three causes, with the fear-only figure kept as
#: ``avoidance_fear``, and effort cost and welfare are outputs (December 2026); 2 since inaction
#: had three forms (before, ``inaction`` was the idle share, today's lying_flat).
OUTPUTS_VERSION = 4
#: What changed at each version, for results folders that record an older one.
OUTPUTS_HISTORY: dict[int, str] = {
    1: "inaction was the idle share (today's lying_flat); no forms, causes or reasons",
    2: "avoidance counted only routine work that removing the perceived sanction risk would "
       "turn bold (today's avoidance_fear); no effort_cost or welfare",
    3: "cadres decided on the written ladder, generalised accountability and formalism "
       "detection at once and learnt only enforcement, from priors; no belief_detect_formal, "
       "belief_punish_routine, belief_accused, belief_upheld, belief_*_cost or sanction_cost",
    4: "every rule that enters a decision is a learnt belief: the mean belief in each "
       "(belief_detect_formal ... belief_removal_cost) and the expected cost of the next "
       "sanction (sanction_cost) added; belief_accuse is the mean of belief_accused x "
       "belief_upheld",
}

SHARE = "share"
PROBABILITY = "probability"
#: Event rates (a share of cadres a year) are shown per 1 000 cadres a year, everywhere.
PER_1000 = 1000.0
EVENT_UNIT = "per 1 000 cadres a year"


def event(name: str, label: str, short: str, *, group: str, better: Better = "neither",
          rare: bool = False) -> Output:
    """Declare an event rate: a share of cadres a year, shown per 1 000 cadres a year."""
    return output(name, label, short, SHARE, scale=PER_1000, rare=rare, group=group,
                  better=better)


# Okabe-Ito colours of the parts of inaction and of the actions: each keeps its colour in the
# app's pyramid and charts, the publication figures and the validation figures.
VERMILLION, GREY, SKY_BLUE, BLUISH_GREEN = "#D55E00", "#9A9A9A", "#56B4E9", "#009E73"
YELLOW, ORANGE, BLUE, REDDISH_PURPLE = "#F0E442", "#E69F00", "#0072B2", "#CC79A7"


# Inaction and its three forms (shares of all cadres): the forms add up to the headline.
output("inaction", "Inaction (lying flat + false action + avoidance)", "Inaction", SHARE,
       group="headline", better="lower")
output("final_inaction", "Inaction in the final year", "Final inaction", SHARE,
       reduce="final", of="inaction", group="headline", better="lower")
output("lying_flat", "Lying flat (idle share)", "Lying flat", SHARE, group="form",
       better="lower", colour=VERMILLION)
output("formalism", "False action (formal-work share)", "False action", SHARE, group="form",
       better="lower", colour=GREY)
output("avoidance", "Responsibility avoidance (hard task withheld, any cause)", "Avoidance",
       SHARE, group="form", better="lower", colour=YELLOW)
# The version-2 avoidance, kept for comparison: not a form (the forms add up to the headline).
output("avoidance_fear", "Avoidance held back by fear alone (version-2 avoidance)",
       "Avoidance (fear alone)", SHARE, group="diagnostic", better="lower")
# Actions: idle (= lying_flat), formal (= formalism), routine and bold add up to 1.
output("routine", "Routine work share", "Routine work", SHARE, group="action",
       better="neither", colour=SKY_BLUE)
output("bold", "Bold work share", "Bold work", SHARE, group="action", better="higher",
       colour=BLUISH_GREEN)
# Causes of inaction (Shapley split) and the reasons inactive cadres give; each adds up to it.
# A cause is a signed share: it can dip slightly below 0 (docs/ODD.md section 8.2).
# A reason takes the colour of its cause.
_CAUSES = (  # name, label, short, the reason as given, as said, colour
    ("unwilling", "unwilling (motivation)", "Unwilling", "missing benefit", "no benefit",
     ORANGE),
    ("unable", "unable (ability)", "Unable", "task beyond ability", "cannot", BLUE),
    ("afraid", "afraid (sanction risk)", "Afraid", "fear of sanction", "afraid",
     REDDISH_PURPLE),
)
for _cause, _label, _short, _, _, _colour in _CAUSES:
    output(_cause, f"Inaction: {_label}", _short, SHARE, group="cause", better="lower",
           colour=_colour)
for _cause, _, _, _reason, _says, _colour in _CAUSES:
    output(f"reason_{_cause}", f"Reason given: {_reason}", f"Says: {_says}", SHARE,
           group="reason", better="lower", colour=_colour)
# Compositions: shares of inaction (ratio of run means), comparable across regimes.
for _part, _what in (("lying_flat", "lying flat"), ("formalism", "false action"),
                     ("avoidance", "avoidance"), ("unwilling", "unwilling"),
                     ("unable", "unable"), ("afraid", "afraid"),
                     ("reason_unwilling", "reason: no benefit"),
                     ("reason_unable", "reason: cannot"), ("reason_afraid", "reason: afraid")):
    output(f"{_part}_share", f"Share of inaction: {_what}", f"{_what.capitalize()} (share)",
           "share of inaction", reduce="ratio", of=_part, per="inaction", group="composition",
           better="neither")
# Output per cadre.
output("real_output", "Real output per cadre", "Real output", "output units per cadre",
       group="output", better="higher")
output("measured_output", "Measured output per cadre", "Measured output",
       "output units per cadre", group="output", better="neither")
output("effort_cost", "Effort cost borne per cadre", "Effort cost", "utility per cadre",
       group="output", better="lower")
output("welfare", "Welfare: output less effort and the harm of wrongful sanctions and shielded "
       "violations", "Welfare", "output units per cadre", group="welfare", better="higher")
output("policy_cost", "Policy cost of the regime's resource-using levers", "Policy cost",
       "output units per cadre", group="welfare", better="lower")
# Outcomes of bold work and of review (shares of all cadres).
event("bold_success", "Successful bold work", "Bold successes", group="outcome",
      better="higher")
event("bold_failure", "Failed bold work", "Bold failures", group="outcome")
event("tolerated_failures", "Failures tolerated by review", "Tolerated failures",
      group="review")
event("punished_failures", "Honest failures punished", "Punished failures", group="review",
      better="lower", rare=True)
event("violations_exposed", "Violations exposed to review", "Exposed violations",
      group="review")
event("shielded_violations", "Shielded violations (wrongly tolerated)", "Shielded violations",
      group="review", better="lower", rare=True)
event("caught_inaction", "Inaction or formalism caught", "Caught inaction", group="review")
event("false_accusations", "False accusations", "False accusations", group="review",
      better="lower", rare=True)
event("cleared_accusations", "False accusations cleared", "Cleared accusations",
      group="review", rare=True)
event("wrongful_sanctions", "Wrongful sanctions", "Wrongful sanctions", group="review",
      better="lower", rare=True)
event("leader_sanctions", "Unit leaders warned (dual investigation)", "Leaders warned",
      group="sanction", rare=True)
event("sanctions", "Sanctions (any ground)", "Sanctions", group="sanction")
event("warnings", "Sanctions at the warning rung", "Warnings", group="sanction")
event("demotions", "Sanctions at the demotion rung", "Demotions", group="sanction", rare=True)
event("removals", "Removals from the service", "Removals", group="sanction", rare=True)
event("probation_failures", "Probation failures", "Probation failures", group="sanction",
      rare=True)
# Careers and the organisation.
event("promotions", "Promotions", "Promotions", group="career")
event("self_recommendations", "Self-recommendations", "Self-recommendations", group="career")
output("senior_vacancy_rate", "Vacancy rate of senior positions", "Senior vacancies",
       "share of senior positions", group="career",
       better="lower")  # vacant share of positions at ranks >= 1 at year end
output("meritocracy", "Meritocracy (rank-ability correlation)", "Meritocracy", "correlation",
       group="career", better="higher")
event("retirements", "Retirements", "Retirements", group="career")
event("turnover", "Turnover (retired or removed)", "Turnover", group="career")
# Means over cadres.
output("mean_motivation", "Mean motivation", "Motivation", "0-1", group="cadre",
       better="higher")
output("mean_ability", "Mean ability", "Ability", "0-1", group="cadre", better="higher")
output("belief_punish", "Belief: failure is punished", "Belief: punished", PROBABILITY,
       group="belief", better="neither")
output("belief_detect", "Belief: inaction is detected", "Belief: detected", PROBABILITY,
       group="belief", better="neither")
output("belief_promote", "Belief: performance is promoted", "Belief: promoted", "[-1, 1]",
       group="belief", better="neither")
output("belief_accuse", "Belief: bold work falsely accused and the charge upheld",
       "Belief: accused", PROBABILITY, group="belief", better="neither")
output("belief_detect_formal", "Belief: formal work is caught as inaction",
       "Belief: formalism caught", PROBABILITY, group="belief", better="neither")
output("belief_punish_routine", "Belief: a routine mishap is punished",
       "Belief: mishap punished", PROBABILITY, group="belief", better="neither")
output("belief_accused", "Belief: bold work is falsely accused", "Belief: accusation",
       PROBABILITY, group="belief", better="neither")
output("belief_upheld", "Belief: a false accusation is upheld", "Belief: upheld", PROBABILITY,
       group="belief", better="neither")
output("belief_warning_cost", "Belief: cost of a warning", "Belief: warning cost", "utility",
       group="belief", better="neither")
output("belief_demotion_cost", "Belief: cost of a demotion", "Belief: demotion cost",
       "utility", group="belief", better="neither")
output("belief_removal_cost", "Belief: cost of removal", "Belief: removal cost", "utility",
       group="belief", better="neither")
output("sanction_cost", "Expected cost of the next sanction (believed rung cost and career "
       "stake)", "Sanction cost", "utility per cadre", group="belief", better="neither")
# Survey answers (shares of all cadres): every cause an inactive cadre names (multi-response, so
# they may add up to more than inaction: records.named_causes), and two questions read off each
# cadre's utility (simulation.survey).
for _cause, _, _, _reason, _says, _ in _CAUSES:
    output(f"names_{_cause}", f"Inactive, names among its reasons: {_reason}",
           f"Names: {_says}", SHARE, group="survey", better="neither")
output("effort_over_reward", "Says its effort exceeds its reward", "Effort over reward", SHARE,
       group="survey", better="neither")
output("held_back_by_fear", "Held back by fear: would do more without the sanction risk",
       "Held back by fear", SHARE, group="survey", better="neither")
# Exogenous: 1 in a year a policy reversal scrapped bold projects.
output("policy_reversal", "Policy reversal years", "Policy reversals", "share of years",
       policy=False, rare=True, group="exogenous", better="neither")

#: Columns of the per-step table, in order (after ``step`` and ``regime``).
STEP_COLUMNS: tuple[str, ...] = tuple(o.name for o in OUTPUTS.values() if o.per_step)
#: Run outputs derived from a per-step column (always in a sweep's runs table, after the means).
DERIVED: tuple[str, ...] = tuple(o.name for o in OUTPUTS.values() if not o.per_step)


def in_group(group: str, per_step: bool | None = None) -> tuple[str, ...]:
    """The outputs of one group, in declaration order (only per-step ones, or only derived)."""
    if group not in GROUPS:
        raise ValueError(f"unknown output group {group!r}; groups: {', '.join(GROUPS)}")
    return tuple(o.name for o in OUTPUTS.values()
                 if o.group == group and per_step in (None, o.per_step))


def colours(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The declared colour of each named output (the ones without a colour left out)."""
    return {n: OUTPUTS[n].colour for n in names if OUTPUTS[n].colour is not None}


#: The headline: inaction (its per-step column; ``final_inaction`` is derived from it).
HEADLINE: str = in_group("headline", per_step=True)[0]
#: The three forms of inaction, in stacking order (they add up to ``inaction``).
FORMS: tuple[str, ...] = in_group("form")
#: The causes of inaction, in stacking order (they add up to ``inaction``).
CAUSES: tuple[str, ...] = in_group("cause")
#: The reasons inactive cadres give, in ``CAUSES`` order (they add up to ``inaction``).
REASONS: tuple[str, ...] = in_group("reason")
#: The per-step output holding each action's share (``simulation.formulas.ACTIONS`` order).
ACTION_OUTPUTS: dict[str, str] = {
    "idle": "lying_flat", "formal": "formalism", "routine": "routine", "bold": "bold",
}
#: Other names an output was known by (a spec, a config or a reader may still use them): the
#: ODD calls formal work "false action", and ``decision`` once named the form ``false_action``.
ALIASES: dict[str, str] = {"false_action": "formalism"}


def canonical(name: str) -> str:
    """An output's name in the registry (an alias resolved; any other name unchanged)."""
    return ALIASES.get(name, name)

#: Order of outputs in reports and tables: inaction, its causes and its final value first.
REPORT_ORDER: tuple[str, ...] = tuple(
    dict.fromkeys((HEADLINE, *CAUSES, *DERIVED, "formalism", *OUTPUTS))
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
