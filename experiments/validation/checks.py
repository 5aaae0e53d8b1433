"""The validation suite's checks, listed in report order: analytic limits, then stylised facts.

Adding a check: define it as a module-level ``Check`` in ``analytic.py`` or ``patterns.py``,
add it here, and give it a result block in ``docs/validation.md``.
"""

from __future__ import annotations

from experiments.validation import analytic, patterns
from experiments.validation.core import Check

#: Every check, in the order they run and are reported.
CHECKS: tuple[Check, ...] = (
    analytic.LOGIT_CLOSED_FORM,
    analytic.LOGIT_BEST_RESPONSE_LIMIT,
    analytic.BECKER_TOLERANCE_THRESHOLD,
    analytic.BECKER_DETECTION_THRESHOLD,
    analytic.HOLMSTROM_MILGROM_MULTITASK,
    patterns.LI_ZHOU_RELATIVE_PERFORMANCE,
    patterns.LI_ZHOU_RECORD_VS_SINGLE_YEAR,
    patterns.TU_GONG_ACCOUNTABILITY_SHIFT,
    patterns.WANG_CHILLING_EFFECT,
    patterns.HOLMSTROM_MILGROM_PROMOTION,
    patterns.LAZEAR_ROSEN_PRIZE,
    patterns.LAZEAR_ROSEN_NOISE,
    patterns.NAGIN_CERTAINTY_VS_SEVERITY,
    patterns.CAREER_CONCERNS_AGE_CEILING,
    patterns.CHEN_INSPECTION_PERSISTENCE,
)
