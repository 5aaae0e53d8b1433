"""Colours of actions and of the causes of inaction, shared by every view.

Colours of actions and of the causes of inaction, shared by every view (Okabe-Ito), so the app, the
notebooks and the publication figures read alike.
"""

#: Each action keeps its colour in the pyramid, the charts and the figures.
ACTION_COLOURS: dict[str, str] = {
    "idle": "#D55E00",  # vermillion: lying flat
    "formal": "#9A9A9A",  # grey: formalism
    "routine": "#56B4E9",  # sky blue
    "bold": "#009E73",  # bluish green
}
#: A cadre that has not chosen yet (before the first step).
NO_ACTION_COLOUR = "#E0E0E0"
#: The causes of inaction.
CAUSE_COLOURS: dict[str, str] = {
    "unwilling": "#E69F00",  # orange
    "unable": "#0072B2",  # blue
    "afraid": "#CC79A7",  # reddish purple
}
