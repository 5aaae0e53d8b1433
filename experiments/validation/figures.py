"""Figures of the validation checks.

One per check that has one, as a 300 dpi PNG and a vector PDF beside it.

Drawn with Agg on ``matplotlib.figure.Figure`` (no pyplot state), in the one style and palette of
every figure (``simulation.viz.palette``, via ``experiments.analysis.plots``): actions in their
action colours, arms and groups in the regime colours.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from experiments.analysis.plots import STYLE, group_colour
from experiments.validation.core import Outcome
from simulation.viz.palette import ACTION_COLOURS

DPI = 300


def _figure(width: float = 6.0, height: float = 3.4, ncols: int = 1):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    with mpl.rc_context(STYLE):
        axes = fig.subplots(1, ncols)
    return fig, axes


def _save(fig: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context(STYLE):
        fig.savefig(path, dpi=DPI)
        fig.savefig(path.with_suffix(".pdf"))


def _styled(draw):
    """Run a drawing function under the house style."""

    def wrapper(outcome: Outcome, path: Path) -> None:
        with mpl.rc_context(STYLE):
            draw(outcome, path)

    wrapper.__name__ = draw.__name__
    wrapper.__doc__ = draw.__doc__
    return wrapper


# --------------------------------------------------------------------------------------------
# Analytic checks
# --------------------------------------------------------------------------------------------


@_styled
def best_response(outcome: Outcome, path: Path) -> None:
    """Distance of the logit choice from the best response against the temperature."""
    d = outcome.data
    fig, ax = _figure(5.0, 3.2)
    ax.loglog(d["temperatures"], d["distance"], "o-", color=group_colour(0))
    ax.set_xlabel("temperature T (utility)")
    ax.set_ylabel("mean distance to best response")
    ax.set_title("Logit choice tends to the best response as T -> 0")
    ax.invert_xaxis()
    _save(fig, path)


def _threshold(outcome: Outcome, path: Path, lever: str, action: str, symbol: str) -> None:
    d = outcome.data
    fig, (left, right) = _figure(7.0, 3.2, ncols=2)
    left.plot(d["levels"], d["p_best_response"], color=group_colour(0), label="T = 0")
    left.plot(d["levels"], d["p_logit"], color=group_colour(1), label="default T")
    left.axvline(d["example_critical"], color="0.4", ls="--", lw=1)
    left.text(d["example_critical"], 0.5, f" {symbol} (closed form)", color="0.3", fontsize=8)
    left.set_xlabel(lever)
    left.set_ylabel(f"P({action})")
    left.set_title("One constructed cadre")
    left.legend(loc="upper left" if d["p_logit"][0] < 0.5 else "lower left")
    right.plot([0, 1], [0, 1], color="0.7", lw=1)
    right.plot(d["critical"], d["found"], "o", ms=3, color=group_colour(0))
    right.set_xlabel(f"{symbol} from the closed form")
    right.set_ylabel(f"{symbol} where the model's choice flips")
    right.set_title(f"All grid cadres with 0 < {symbol} < 1")
    _save(fig, path)


@_styled
def becker_tolerance(outcome: Outcome, path: Path) -> None:
    """Bold work against tolerance for one cadre, and thresholds for all grid cadres."""
    _threshold(outcome, path, "fault tolerance", "bold", "tau*")


@_styled
def becker_detection(outcome: Outcome, path: Path) -> None:
    """Routine work against perceived detection, and thresholds for all grid cadres."""
    _threshold(outcome, path, "perceived detection probability", "routine", "p*")


@_styled
def hm_decision(outcome: Outcome, path: Path) -> None:
    """Formal share against the credit hollow work earns, one line per career stake."""
    d = outcome.data
    fig, ax = _figure(5.2, 3.3)
    for i, w in enumerate(d["stakes"]):
        ax.plot(d["credits"], d["formal"][i], "o-", color=group_colour(i), label=f"W = {w:g}")
    ax.axvline(d["threshold"], color="0.5", ls="--", lw=1)
    ax.text(d["threshold"], 0.02, " credit = o_R - o_F", color="0.3", fontsize=8)
    ax.set_xlabel("credit of formal work in measured output, phi (1 - precision)")
    ax.set_ylabel("expected formal share")
    ax.set_title("Incentives on a distorted measure buy formalism")
    ax.legend(title="career stake", loc="upper left")
    _save(fig, path)


# --------------------------------------------------------------------------------------------
# Stylised facts
# --------------------------------------------------------------------------------------------


@_styled
def li_zhou_quintiles(outcome: Outcome, path: Path) -> None:
    """Promotion rate by quintile of the record within the candidate pool."""
    rate = outcome.data["quintile_rate"]
    fig, ax = _figure(4.8, 3.2)
    ax.bar(np.arange(1, 6), rate, color=group_colour(0))
    ax.set_xlabel("quintile of the performance record within the candidate pool")
    ax.set_ylabel("promotion rate")
    ax.set_title("Promotion rises with relative performance")
    _save(fig, path)


@_styled
def li_zhou_coefficients(outcome: Outcome, path: Path) -> None:
    """Joint logit coefficients over seeds: record vs this year's output (and the diagnostic)."""
    d = outcome.data
    fig, ax = _figure(6.4, 3.3)
    groups = [
        ("record", d["record"], 0), ("this year", d["annual"], 1),
        ("tenure mean\n(memory 0.6)", d["mean_tenure"], 2),
        ("this year\n(memory 0.6)", d["mean_annual"], 3),
        ("tenure mean\n(memory 0.8)", d["mean_tenure_08"], 2),
        ("this year\n(memory 0.8)", d["mean_annual_08"], 3),
    ]
    for x, (_, values, colour) in enumerate(groups):
        ax.boxplot(values, positions=[x], widths=0.5, patch_artist=True,
                   boxprops={"facecolor": group_colour(colour), "alpha": 0.6},
                   medianprops={"color": "black"})
    ax.set_xticks(range(len(groups)), [g[0] for g in groups])
    ax.axvline(1.5, color="0.7", lw=1)
    ax.axhline(0, color="0.7", lw=1)
    ax.set_ylabel("logit coefficient per s.d. (20 seeds)")
    ax.set_title("What predicts promotion, seniority controlled")
    _save(fig, path)


ACTION_ORDER = ("idle", "formal", "routine", "bold")


@_styled
def tu_gong_shares(outcome: Outcome, path: Path) -> None:
    """Stacked action shares under default and intensified accountability."""
    arms = outcome.data["arms"]
    fig, ax = _figure(6.4, 3.3)
    names = list(arms)
    bottom = np.zeros(len(names))
    for action in ACTION_ORDER:
        values = np.array([arms[n][action] for n in names])
        ax.bar(range(len(names)), values, bottom=bottom, color=ACTION_COLOURS[action],
               label=action)
        bottom += values
    ax.set_xticks(range(len(names)), [n.replace(", ", ",\n") for n in names])
    ax.set_ylabel("share of cadres")
    ax.set_title("Accountability intensified: detection x 4, sanctions x 2")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _save(fig, path)


@_styled
def wang_chilling(outcome: Outcome, path: Path) -> None:
    """Chilled share of active cadres and bold share, default vs harsher sanctions."""
    d = outcome.data
    fig, (left, right) = _figure(6.4, 3.2, ncols=2)
    for ax, key, label in ((left, "chilled", "chilled share of active cadres"),
                           (right, "bold", "bold share")):
        ax.boxplot([d["base"][key], d["harsh"][key]], widths=0.5, patch_artist=True,
                   boxprops={"facecolor": group_colour(0), "alpha": 0.6},
                   medianprops={"color": "black"})
        ax.set_xticks([1, 2], ["default", "sanctions x 2"])
        ax.set_ylabel(label)
    left.set_title("Chilling effect")
    right.set_title("Initiative")
    _save(fig, path)


@_styled
def hm_model(outcome: Outcome, path: Path) -> None:
    """Formal share and real output against the performance weight, by measurement quality."""
    d = outcome.data
    fig, (left, right) = _figure(6.6, 3.2, ncols=2)
    for k, (name, values) in enumerate(d.items()):
        left.plot([0.1, 0.9], values["formal"], "o-", color=group_colour(k),
                  label=f"{name} measurement")
        right.plot([0.1, 0.9], values["real"], "o-", color=group_colour(k))
    left.set_xlabel("performance weight in promotion")
    right.set_xlabel("performance weight in promotion")
    left.set_ylabel("formal share")
    right.set_ylabel("real output per cadre")
    left.set_title("Formalism")
    right.set_title("Real output")
    left.legend()
    _save(fig, path)


@_styled
def effort_levels(outcome: Outcome, path: Path) -> None:
    """Mean effort of eligible cadres at each level of a tournament lever (20 seeds each)."""
    d = outcome.data
    fig, ax = _figure(4.6, 3.2)
    ax.boxplot(d["arms"], positions=range(len(d["levels"])), widths=0.5, patch_artist=True,
               boxprops={"facecolor": group_colour(0), "alpha": 0.6},
               medianprops={"color": "black"})
    ax.set_xticks(range(len(d["levels"])), [f"{v:g}" for v in d["levels"]])
    ax.set_xlabel(d["label"])
    ax.set_ylabel("mean effort, cadres with a career stake")
    ax.set_title("Tournament incentives and effort")
    _save(fig, path)


@_styled
def nagin_bars(outcome: Outcome, path: Path) -> None:
    """Idle share: default, doubled detection, doubled sanction costs."""
    arms = outcome.data["arms"]
    fig, ax = _figure(4.6, 3.2)
    ax.boxplot(list(arms.values()), widths=0.5, patch_artist=True,
               boxprops={"facecolor": group_colour(0), "alpha": 0.6},
               medianprops={"color": "black"})
    ax.set_xticks(range(1, len(arms) + 1), list(arms))
    ax.set_ylabel("idle share")
    ax.set_title("Certainty deters more than severity")
    _save(fig, path)


@_styled
def age_profile(outcome: Outcome, path: Path) -> None:
    """Idle share by age, with and without an age ceiling."""
    d = outcome.data
    fig, ax = _figure(5.4, 3.2)
    for k, (name, values) in enumerate(d["arms"].items()):
        ax.plot(d["ages"], values, "o-", ms=3, color=group_colour(k), label=name)
    ax.axvline(d["ceiling"] - 0.5, color="0.5", ls="--", lw=1)
    ax.set_xlabel("age")
    ax.set_ylabel("idle share (below top rank, unsanctioned)")
    ax.set_title("Career concerns end at the age ceiling")
    ax.legend()
    _save(fig, path)
