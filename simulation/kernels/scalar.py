"""Scalar twins of formulas in simulation.formulas, for the compiled phase kernels.

Each is the NumPy formula of the same name for one cadre, written with the same operations in
the same order, so a kernel gives the NumPy path's values bit for bit; tests/test_kernels_phases.py
pins each twin to its formula. Transcendental functions are not here: kernels take their values
computed in bulk by NumPy (Numba's libm may differ in the last bit).
"""

from __future__ import annotations

from simulation.kernels.jit import kernel


@kernel
def smooth(old: float, new: float, rate: float) -> float:
    """formulas.smooth: old + rate * (new - old)."""
    return old + rate * (new - old)


@kernel
def perceived_update(belief: float, evidence: float, credited: float, events: float,
                     exposure: float, memory: float, rule_weight: float) -> tuple[float, float]:
    """formulas.perceived_update for one cadre: (belief, evidence) after a year's cases."""
    kept = memory * evidence
    total = kept + exposure
    numerator = (rule_weight * credited * (1.0 - memory)
                 + memory * belief * (rule_weight + evidence) + events)
    weight = rule_weight + total
    if weight > 0.0:
        return numerator / weight, total
    return belief, total


@kernel
def formal_credit(visibility: float, evaluation_precision: float) -> float:
    """formulas.formal_credit: visibility * (1 - evaluation_precision)."""
    return visibility * (1.0 - evaluation_precision)


@kernel
def maximum(a: float, b: float) -> float:
    """np.maximum of two floats: the larger, NaN if either is NaN (as NumPy propagates it)."""
    return a if (a >= b or a != a) else b


@kernel
def clip01(x: float) -> float:
    """np.clip(x, 0, 1) of one float (NaN stays NaN)."""
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


@kernel
def indicator(flag: bool) -> float:
    """A boolean as NumPy casts it to float: 1.0 or 0.0."""
    return 1.0 if flag else 0.0
