"""Human names and units for metrics, parameters and regimes, for tables and figure axes.

Metric names follow docs/ODD.md section 9 (Outputs); parameter names and units come from the
config schema (``simulation.loading.field_info``), so a renamed field is renamed everywhere.
"""

from __future__ import annotations

from typing import NamedTuple

from simulation import ConfigError
from simulation.loading import field_info
from simulation.step import STEP_COLUMNS


class Label(NamedTuple):
    """A readable name, a short name for crowded places, and the unit."""

    name: str
    short: str
    unit: str


#: Every per-step output (``STEP_COLUMNS``) and ``final_inaction``; units as in docs/ODD.md.
METRICS: dict[str, Label] = {
    "inaction": Label("Inaction (idle share of cadres)", "Inaction", "share"),
    "final_inaction": Label("Inaction in the final year", "Final inaction", "share"),
    "formalism": Label("Formalism (formal-work share)", "Formalism", "share"),
    "routine": Label("Routine work share", "Routine work", "share"),
    "bold": Label("Bold work share", "Bold work", "share"),
    "unwilling": Label("Inaction: unwilling (motivation)", "Unwilling", "share"),
    "unable": Label("Inaction: unable (ability)", "Unable", "share"),
    "afraid": Label("Inaction: afraid (sanction risk)", "Afraid", "share"),
    "real_output": Label("Real output per cadre", "Real output", "output units per cadre"),
    "measured_output": Label(
        "Measured output per cadre", "Measured output", "output units per cadre"
    ),
    "bold_success": Label("Successful bold work", "Bold successes", "share"),
    "bold_failure": Label("Failed bold work", "Bold failures", "share"),
    "tolerated_failures": Label("Failures tolerated by review", "Tolerated failures", "share"),
    "punished_failures": Label("Honest failures punished", "Punished failures", "share"),
    "violations_exposed": Label("Violations exposed to review", "Exposed violations", "share"),
    "shielded_violations": Label(
        "Shielded violations (wrongly tolerated)", "Shielded violations", "share"
    ),
    "caught_inaction": Label("Inaction or formalism caught", "Caught inaction", "share"),
    "false_accusations": Label("False accusations", "False accusations", "share"),
    "cleared_accusations": Label("False accusations cleared", "Cleared accusations", "share"),
    "wrongful_sanctions": Label("Wrongful sanctions", "Wrongful sanctions", "share"),
    "leader_sanctions": Label("Unit leaders warned (dual investigation)", "Leaders warned",
                              "share"),
    "sanctions": Label("Sanctions (any ground)", "Sanctions", "share"),
    "warnings": Label("Sanctions at the warning rung", "Warnings", "share"),
    "demotions": Label("Sanctions at the demotion rung", "Demotions", "share"),
    "removals": Label("Removals from the service", "Removals", "share"),
    "probation_failures": Label("Probation failures", "Probation failures", "share"),
    "promotions": Label("Promotions", "Promotions", "share"),
    "self_recommendations": Label("Self-recommendations", "Self-recommendations", "share"),
    "senior_vacancy_rate": Label(
        "Vacancy rate of senior positions", "Senior vacancies", "share of senior positions"
    ),
    "meritocracy": Label("Meritocracy (rank-ability correlation)", "Meritocracy", "[-1, 1]"),
    "retirements": Label("Retirements", "Retirements", "share"),
    "turnover": Label("Turnover (retired or removed)", "Turnover", "share"),
    "mean_motivation": Label("Mean motivation", "Motivation", "0-1"),
    "mean_ability": Label("Mean ability", "Ability", "0-1"),
    "belief_punish": Label("Belief: failure is punished", "Belief: punished", "probability"),
    "belief_detect": Label("Belief: inaction is detected", "Belief: detected", "probability"),
    "belief_promote": Label("Belief: performance is promoted", "Belief: promoted", "0-1"),
    "belief_accuse": Label("Belief: falsely accused", "Belief: accused", "probability"),
    "policy_reversal": Label("Policy reversal years", "Policy reversals", "share of years"),
}

#: The causes of inaction, in stacking order (they add up to ``inaction``).
CAUSES: tuple[str, ...] = ("unwilling", "unable", "afraid")


def metric_label(metric: str) -> Label:
    """The label of a metric; an unknown metric keeps its code name (so new outputs still plot)."""
    return METRICS.get(metric, Label(metric, metric, ""))


def parameter_label(path: str) -> Label:
    """The label of a config field (dotted path) from its schema title and unit."""
    try:
        info = field_info(path)
    except ConfigError:
        return Label(path, path, "")
    title = info.title or path.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    unit = str(extra.get("unit") or "")
    if path.startswith("switch.regime."):
        title = f"{title} (after switch)"
    return Label(title, title, unit)


def label(name: str) -> Label:
    """The label of a metric or a parameter, whichever ``name`` is."""
    if name in METRICS or "." not in name:
        return metric_label(name)
    return parameter_label(name)


def axis_label(name: str) -> str:
    """``Name [unit]`` for an axis or a column header."""
    lab = label(name)
    return f"{lab.name} [{lab.unit}]" if lab.unit else lab.name


def regime_label(name: str) -> str:
    """A preset's code name as words: ``jilin_three_ups_downs`` -> ``Jilin three ups downs``."""
    words = str(name).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else str(name)


def format_value(value: object) -> str:
    """A parameter value for a label: integers plain, floats to 4 significant digits."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    try:
        return format_value(value.item())  # numpy scalars
    except AttributeError:
        return str(value)


def check_complete() -> list[str]:
    """Outputs of the model that have no label (empty when the table is complete)."""
    return [name for name in (*STEP_COLUMNS, "final_inaction") if name not in METRICS]
