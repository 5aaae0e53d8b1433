"""Hypothesis strategies for valid model configurations, shared by the property tests.

``configs`` draws an organisation's shape and a handful of regime levers (sometimes with a regime
switch part-way); ``allowed_floats`` draws any value a config field allows, favouring the ends of
its range and the tiniest positive numbers, where samplers break first.
"""

from __future__ import annotations

from hypothesis import strategies as st

from simulation import load_config
from simulation.loading import field_info

unit = st.floats(0.0, 1.0)


@st.composite
def configs(draw):
    """A random valid config: organisation shape plus a handful of regime levers."""
    n_cadres = draw(st.integers(20, 300))
    unit_size = draw(st.integers(2, min(40, n_cadres)))
    peers_in_unit = draw(st.integers(0, unit_size - 1))
    overrides = {
        "organisation.n_cadres": n_cadres,
        "organisation.n_ranks": draw(st.integers(2, 8)),
        "organisation.pyramid_ratio": draw(st.floats(0.05, 0.95)),
        "organisation.initial_fill": draw(st.floats(0.5, 1.0)),
        "organisation.unit_size": unit_size,
        "organisation.peers_in_unit": peers_in_unit,
        "organisation.peers_cross_unit": draw(st.integers(0 if peers_in_unit else 1, 4)),
        "behaviour.temperature": draw(st.one_of(st.just(0.0), st.floats(0.01, 2.0))),
        "population.violation_prone_share": draw(unit),
        "regime.fault_tolerance.tolerance": draw(unit),
        "regime.fault_tolerance.precision": draw(unit),
        "regime.fault_tolerance.reuse_disciplined": draw(unit),
        "regime.accountability.annual_evaluation": draw(unit),
        "regime.accountability.generalised_accountability": draw(unit),
        "regime.accountability.dual_investigation": draw(unit),
        "regime.accountability.sanction_years": draw(st.integers(0, 5)),
        "regime.accountability.strike_expiry": draw(st.integers(1, 6)),
        "regime.promotion.performance_weight": draw(unit),
        "regime.promotion.min_tenure": draw(st.integers(0, 8)),
        "regime.promotion.fast_track_share": draw(st.floats(0.0, 0.5)),
        "regime.promotion.age_ceiling": draw(st.sampled_from([0, 35, 45, 55])),
        "regime.promotion.self_recommendation": draw(unit),
        "regime.promotion.front_line_quota": draw(unit),
        "regime.promotion.probation_years": draw(st.integers(0, 3)),
        "regime.support.training": draw(st.floats(0.0, 0.5)),
        "regime.support.commendation": draw(st.floats(0.0, 0.2)),
        "regime.support.policy_volatility": draw(unit),
        "regime.supervision.false_accusation_rate": draw(unit),
        "regime.supervision.public_clues": draw(unit),
    }
    if draw(st.booleans()):
        # A regime change part-way through (transition experiments).
        overrides |= {
            "switch.step": draw(st.integers(1, 6)),
            "switch.regime.fault_tolerance.tolerance": draw(unit),
            "switch.regime.accountability.annual_evaluation": draw(unit),
            "switch.regime.promotion.min_tenure": draw(st.integers(0, 8)),
            "switch.regime.promotion.probation_years": draw(st.integers(0, 3)),
        }
    return load_config(overrides=overrides)


def bounds(path: str) -> tuple[float, float]:
    """The lower and upper limits the config field at ``path`` allows."""
    lo = hi = None
    for meta in field_info(path).metadata:
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
    return lo, hi


def allowed_floats(path: str) -> st.SearchStrategy[float]:
    """Any allowed value, with the range's ends and the tiniest positive numbers favoured."""
    lo, hi = bounds(path)
    corners = [lo, hi, *(x for x in (5e-324, 1e-160, 1e-9) if lo <= x <= hi)]
    return st.one_of(
        st.sampled_from(corners),
        st.floats(lo, hi, allow_nan=False, allow_subnormal=lo <= 0),
    )
