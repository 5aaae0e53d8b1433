"""Colours and the figure style shared by every view.

Okabe-Ito colours, so the app, the notebooks, the publication figures and the validation
figures read alike.
"""

#: Each action keeps its colour in the pyramid, the charts and the figures.
ACTION_COLOURS: dict[str, str] = {
    "idle": "#D55E00",  # vermillion: lying flat
    "formal": "#9A9A9A",  # grey: formalism (false action)
    "routine": "#56B4E9",  # sky blue
    "bold": "#009E73",  # bluish green
}
#: A cadre that has not chosen yet (before the first step).
NO_ACTION_COLOUR = "#E0E0E0"
#: The three forms of inaction (they add up to the headline ``inaction``).
FORM_COLOURS: dict[str, str] = {
    "lying_flat": ACTION_COLOURS["idle"],
    "formalism": ACTION_COLOURS["formal"],
    "avoidance": "#F0E442",  # yellow: safe work held back by fear
}
#: The causes of inaction; the reasons cadres give take the colour of their cause.
CAUSE_COLOURS: dict[str, str] = {
    "unwilling": "#E69F00",  # orange
    "unable": "#0072B2",  # blue
    "afraid": "#CC79A7",  # reddish purple
}
REASON_COLOURS: dict[str, str] = {f"reason_{cause}": c for cause, c in CAUSE_COLOURS.items()}
#: Regimes and point groups: ten colours, none a form or cause colour (a regime is also named
#: beside its mark, so colour is never the only cue).
GROUP_COLOURS: tuple[str, ...] = (
    "#1B9E77", "#444444", "#7570B3", "#66A61E", "#A6761D", "#E7298A", "#17BECF", "#8C564B",
    "#BCBD22", "#1F3A93",
)
#: One Matplotlib style for every figure: the publication figures, the validation figures and
#: the app's charts (used with ``matplotlib.rc_context``).
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
#: The app's charts are shown at screen size: larger type than on a journal page.
SCREEN_STYLE: dict[str, object] = STYLE | {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10,
    "ytick.labelsize": 10, "legend.fontsize": 10,
}
