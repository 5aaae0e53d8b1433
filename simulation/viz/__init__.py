"""Views of the model: the interactive page (``app.py``, ``make app``) and the shared palette.

The page and its figure functions import Solara and Matplotlib, so they load on first use.
"""

from simulation.lazy import lazy_exports
from simulation.viz.palette import (
    ACTION_COLOURS,
    CAUSE_COLOURS,
    FORM_COLOURS,
    NO_ACTION_COLOUR,
    REASON_COLOURS,
)

_APP = "simulation.viz.app"
_LAZY = {
    "Page": _APP,
    "action_shares_figure": _APP,
    "inaction_forms_figure": _APP,
    "inaction_reasons_figure": _APP,
    "inaction_split_figure": _APP,
    "pyramid_figure": _APP,
    "start_model": _APP,
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "ACTION_COLOURS",
    "CAUSE_COLOURS",
    "FORM_COLOURS",
    "NO_ACTION_COLOUR",
    "REASON_COLOURS",
    *_LAZY,
]
