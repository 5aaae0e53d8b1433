"""The look of every figure: colours, the Matplotlib style, the page width, and how it is saved.

The publication figures (``cadresim plot``), the validation figures and the calibration report
draw with these. The colours of the parts of inaction and of the actions are declared with the
outputs (``simulation.outputs``: the app, which may not import ``experiments``, reads them
there too); the regime colours and the style are this module's. Figures are saved as a 300 dpi
PNG and a vector PDF whose metadata carry no date, so drawing a figure again gives the same bytes.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping
from pathlib import Path

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from simulation.outputs import ACTION_OUTPUTS, CAUSES, FORMS, REASONS, colours

#: The three forms of inaction (they add up to the headline ``inaction``).
FORM_COLOURS: dict[str, str] = colours(FORMS)
#: The causes of inaction, and false action beside them (hatched or apart in bars).
CAUSE_COLOURS: dict[str, str] = colours((*CAUSES, "formalism"))
#: The reasons cadres give take the colour of their cause.
REASON_COLOURS: dict[str, str] = colours(REASONS)
#: Each action in the colour of the output that holds its share (idle is lying flat).
ACTION_COLOURS: dict[str, str] = {
    action: colours((name,))[name] for action, name in ACTION_OUTPUTS.items()
}
#: Regimes and point groups: ten colours, none a form or cause colour (a regime is also named
#: beside its mark, so colour is never the only cue).
GROUP_COLOURS: tuple[str, ...] = (
    "#1B9E77", "#444444", "#7570B3", "#66A61E", "#A6761D", "#E7298A", "#17BECF", "#8C564B",
    "#BCBD22", "#1F3A93",
)
#: First-order and total sensitivity indices.
SOBOL_COLOURS: dict[str, str] = {"S1": "#31688E", "ST": "#8FD744"}
#: One Matplotlib style for every figure (used with ``matplotlib.rc_context``); the app's
#: screen style (``simulation.viz.app.SCREEN_STYLE``) is this with larger type, a test says so.
STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "lines.linewidth": 1.6,
    "errorbar.capsize": 3,
    "pdf.fonttype": 42,  # embed TrueType: text stays text in the PDF
    "savefig.dpi": 300,
}
#: Inches: a journal page's width.
FULL_WIDTH = 7.0
DPI = 300
#: PDF metadata with no creation date: a figure drawn again is the same file.
PDF_METADATA: dict[str, str | None] = {"CreationDate": None}


class Skip(Exception):
    """The data does not support this figure; the message says why."""


def group_colour(i: int) -> str:
    """The i-th group colour (cycles)."""
    return GROUP_COLOURS[i % len(GROUP_COLOURS)]


def new_figure(width: float, height: float) -> Figure:
    """An empty figure on the Agg canvas (no pyplot: nothing global changes for the caller)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, stem: Path, *, tight: bool = False,
                style: Mapping[str, object] | None = STYLE) -> list[Path]:
    """Write ``stem.png`` (300 dpi) and ``stem.pdf``, the PDF without a creation date.

    Args:
        fig: the figure.
        stem: the files' path without a suffix (its folder is made if missing).
        tight: crop the files to what is drawn (``bbox_inches="tight"``).
        style: the Matplotlib settings in force while saving (None: the caller's).
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, pdf = stem.parent / f"{stem.name}.png", stem.parent / f"{stem.name}.pdf"
    crop = {"bbox_inches": "tight"} if tight else {}
    with mpl.rc_context(dict(style or {})):
        fig.savefig(png, dpi=DPI, **crop)
        fig.savefig(pdf, metadata=PDF_METADATA, **({"dpi": DPI} if style else {}), **crop)
    return [png, pdf]


def wrap(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters (words kept whole)."""
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False,
                                   break_on_hyphens=False)) or text


def fit_xticklabels(fig: Figure, ax: Axes) -> None:
    """Rotate the x tick labels by 30 degrees, each on one line, if any two of them overlap."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    if any(a.x1 > b.x0 for a, b in itertools.pairwise(boxes)):
        # Several lines turned together crowd their neighbours: one line each when slanted.
        ax.set_xticks(ax.get_xticks(),
                      [" ".join(t.get_text().split()) for t in ax.get_xticklabels()])
        for tick in ax.get_xticklabels():
            tick.set_rotation(30)
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")


def fit_title(fig: Figure, text: str, **kwargs: object) -> None:
    """Set the figure's title (left, bold, 10 pt), wrapped onto more lines until it fits."""
    options = {"x": 0.02, "ha": "left", "fontsize": 10, "fontweight": "bold", **kwargs}
    title = fig.suptitle(text, **options)
    fit_width(fig, title, text)


def fit_width(fig: Figure, artist: Text, text: str, margin: float = 4.0) -> None:
    """Wrap ``artist`` (showing ``text``) onto more lines until it lies inside the figure.

    ``margin`` is in points from the figure's right edge.
    """
    renderer = fig.canvas.get_renderer()
    right = fig.bbox.x1 - margin * fig.dpi / 72
    width = max(len(line) for line in text.splitlines()) if text else 0
    while width > 12:
        fig.draw_without_rendering()
        if artist.get_window_extent(renderer).x1 <= right:
            return
        width = int(width * 0.85)
        artist.set_text("\n".join(wrap(line, width) for line in text.splitlines()))
