"""Views of the model: the interactive page (``app.py``, ``make app``) and its colours.

Each output's colour is declared with the output (``simulation.outputs``); the publication
figures read the same colours through ``experiments.analysis.style``. The page and its figure
functions import Solara and Matplotlib, so they load on first use.
"""

from simulation.lazy import lazy_exports

_APP = "simulation.viz.app"
_LAZY = {
    name: _APP for name in (
        "ACTION_COLOURS", "CAUSE_COLOURS", "FORM_COLOURS", "NO_ACTION_COLOUR", "REASON_COLOURS",
        "SCREEN_STYLE", "Page", "action_shares_figure", "inaction_forms_figure",
        "inaction_reasons_figure", "inaction_split_figure", "pyramid_figure", "start_model",
    )
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = list(_LAZY)
