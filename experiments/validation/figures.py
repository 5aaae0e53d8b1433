"""Figures of the validation checks.

One per check that has one, as a 300 dpi PNG and a vector PDF beside it.

Drawn with Agg on ``matplotlib.figure.Figure`` (no pyplot state), in the one style and palette of
every figure (``experiments.analysis.style``): actions in their action colours, arms and groups
in the regime colours, saved by its ``save_figure`` (PDFs without a creation date).

Every estimate from the seeded sweeps carries its 95% interval over seeds, from
``experiments.analysis.intervals``: a mean over seeds its t-interval (beside the seeds
themselves, faint), a rate pooled over seeds (promotion by quintile, idleness by age) the ratio
estimator's interval. The analytic checks' figures show exact probabilities of constructed
cadres, not estimates, and have none.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from experiments.analysis.intervals import LEVEL, ratio_interval, t_interval
from experiments.analysis.style import ACTION_COLOURS, STYLE, group_colour, save_figure, wrap
from experiments.validation.core import Outcome

#: Seeds are drawn left of their arm's position, the mean and its interval right of it.
SEED_OFFSET = 0.13
INTERVAL_TEXT = f"mean, {LEVEL:.0%} CI"


def _figure(width: float = 6.0, height: float = 3.4, ncols: int = 1):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    with mpl.rc_context(STYLE):
        axes = fig.subplots(1, ncols)
    return fig, axes


def _save(fig: Figure, path: Path) -> None:
    save_figure(fig, path.with_suffix(""))


def _mean_error(arms: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Means over seeds of each arm, and their t-intervals as ``errorbar``'s ``yerr``."""
    rows = np.array([t_interval(values)[1:] for values in arms])  # (n, mean, sd, low, high)
    mean, low, high = rows[:, 0], rows[:, 2], rows[:, 3]
    return mean, np.vstack([mean - low, high - mean])


def _seeds_and_means(ax: Axes, arms: Sequence[np.ndarray], colours: Sequence[str],
                     positions: Sequence[float] | None = None) -> None:
    """Each seed's value as a faint dot, and each arm's mean with its 95% t-interval."""
    x = np.arange(len(arms), dtype=float) if positions is None else np.asarray(positions, float)
    jitter = np.random.default_rng(0)  # the same scatter on every run: figures reproduce
    for xi, values, colour in zip(x, arms, colours, strict=True):
        spread = jitter.uniform(-0.07, 0.07, size=len(values))
        ax.plot(xi - SEED_OFFSET + spread, values, "o", ms=2.5, mew=0, alpha=0.45, color=colour)
    mean, error = _mean_error(arms)
    for xi, m, low, high, colour in zip(x, mean, *error, colours, strict=True):
        ax.errorbar(xi + SEED_OFFSET, m, yerr=[[low], [high]], fmt="o", ms=4.5, color=colour,
                    mec="black", mew=0.6, ecolor="black", elinewidth=1.1)
    ax.set_xlim(x.min() - 0.5, x.max() + 0.5)


def _seeds_legend(ax: Axes, count: int, **where) -> None:
    """The key of ``_seeds_and_means``: a dot per seed, the mean with its interval."""
    seed = Line2D([], [], ls="none", marker="o", ms=3, mew=0, alpha=0.6, color="0.4",
                  label=f"one seed ({count} per arm)")
    mean = ax.errorbar([], [], yerr=[], fmt="o", ms=4.5, color="0.4", mec="black", mew=0.6,
                       ecolor="black", elinewidth=1.1, label=INTERVAL_TEXT)
    ax.legend(handles=[seed, mean], **where)


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
    """Promotion rate by quintile of the record within the candidate pool, with 95% intervals."""
    d = outcome.data
    rate, low, high = ratio_interval(d["quintile_won"], d["quintile_all"])
    fig, ax = _figure(4.8, 3.2)
    ax.bar(np.arange(1, 6), rate, color=group_colour(0),
           yerr=np.vstack([rate - low, high - rate]), ecolor="black",
           error_kw={"elinewidth": 1.1})
    ax.set_xlabel("quintile of the performance record within the candidate pool")
    ax.set_ylabel(f"promotion rate ({LEVEL:.0%} CI over {len(d['quintile_won'])} seeds)")
    ax.set_title("Promotion rises with relative performance")
    _save(fig, path)


@_styled
def li_zhou_coefficients(outcome: Outcome, path: Path) -> None:
    """Joint logit coefficients over seeds: record vs this year's output (and the diagnostic)."""
    d = outcome.data
    fig, ax = _figure(6.6, 3.4)
    groups = [
        ("record", d["record"], 0), ("this year", d["annual"], 1),
        ("tenure mean\n(memory 0.6)", d["mean_tenure"], 2),
        ("this year\n(memory 0.6)", d["mean_annual"], 3),
        ("tenure mean\n(memory 0.8)", d["mean_tenure_08"], 2),
        ("this year\n(memory 0.8)", d["mean_annual_08"], 3),
    ]
    _seeds_and_means(ax, [g[1] for g in groups], [group_colour(g[2]) for g in groups])
    ax.set_xticks(range(len(groups)), [g[0] for g in groups])
    ax.axvline(1.5, color="0.7", lw=1)
    ax.axhline(0, color="0.7", lw=1)
    ax.set_ylabel("logit coefficient per s.d.")
    ax.set_title("What predicts promotion, seniority controlled")
    _seeds_legend(ax, len(d["record"]), loc="upper right")
    _save(fig, path)


ACTION_ORDER = ("idle", "formal", "routine", "bold")


@_styled
def tu_gong_shares(outcome: Outcome, path: Path) -> None:
    """Action shares, means over seeds with 95% intervals, by accountability regime."""
    arms = outcome.data["arms"]
    names = list(arms)
    fig, ax = _figure(6.8, 3.4)
    width = 0.8 / len(ACTION_ORDER)
    for j, action in enumerate(ACTION_ORDER):
        mean, error = _mean_error([arms[n][action] for n in names])
        x = np.arange(len(names)) + (j - (len(ACTION_ORDER) - 1) / 2) * width
        ax.bar(x, mean, width, yerr=error, color=ACTION_COLOURS[action], label=action,
               ecolor="black", error_kw={"elinewidth": 1.0, "capsize": 2})
    ax.set_xticks(range(len(names)), [n.replace(", ", ",\n") for n in names])
    seeds = len(arms[names[0]]["idle"])
    ax.set_ylabel(f"share of cadres ({LEVEL:.0%} CI, {seeds} seeds)")
    ax.set_ylim(0, 1)
    ax.set_title("Accountability intensified: detection x 4, sanctions x 2")
    ax.legend(title="action", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _save(fig, path)


@_styled
def wang_chilling(outcome: Outcome, path: Path) -> None:
    """Chilled share of active cadres and bold share, default vs harsher sanctions."""
    d = outcome.data
    fig, (left, right) = _figure(6.6, 3.3, ncols=2)
    colours = [group_colour(0), group_colour(1)]
    for ax, key, label in ((left, "chilled", "chilled share of active cadres"),
                           (right, "bold", "bold share")):
        _seeds_and_means(ax, [d["base"][key], d["harsh"][key]], colours)
        ax.set_xticks([0, 1], ["default", "sanctions x 2"])
        ax.set_ylabel(label)
    left.set_title("Chilling effect")
    right.set_title("Initiative")
    _seeds_legend(right, len(d["base"]["bold"]), loc="upper right")
    _save(fig, path)


@_styled
def hm_model(outcome: Outcome, path: Path) -> None:
    """Formal share and real output against the performance weight, by measurement quality."""
    d = outcome.data
    fig, (left, right) = _figure(6.6, 3.3, ncols=2)
    weights = np.array([0.1, 0.9])
    for k, (name, values) in enumerate(d.items()):
        shift = (k - (len(d) - 1) / 2) * 0.012  # side by side, so the intervals stay apart
        for ax, key in ((left, "formal"), (right, "real")):
            mean, error = _mean_error(values[key])
            ax.errorbar(weights + shift, mean, yerr=error, fmt="o-", color=group_colour(k),
                        label=f"{name} measurement")
    seeds = len(next(iter(d.values()))["formal"][0])
    for ax, label, title in ((left, "formal share", "Formalism"),
                             (right, "real output per cadre", "Real output")):
        ax.set_xlabel("performance weight in promotion")
        ax.set_xticks(weights)
        ax.set_ylabel(f"{label} ({LEVEL:.0%} CI, {seeds} seeds)")
        ax.set_title(title)
    left.legend()
    _save(fig, path)


@_styled
def effort_levels(outcome: Outcome, path: Path) -> None:
    """Mean effort of eligible cadres at each level of a tournament lever, over 20 seeds each."""
    d = outcome.data
    fig, ax = _figure(4.8, 3.3)
    _seeds_and_means(ax, d["arms"], [group_colour(0)] * len(d["arms"]))
    ax.set_xticks(range(len(d["levels"])), [f"{v:g}" for v in d["levels"]])
    ax.set_xlabel(d["label"])
    ax.set_ylabel("mean effort, cadres with a career stake")
    ax.set_title("Tournament incentives and effort")
    _seeds_legend(ax, len(d["arms"][0]), loc="best")
    _save(fig, path)


@_styled
def nagin_bars(outcome: Outcome, path: Path) -> None:
    """Idle share: default, doubled detection, doubled sanction costs, over 20 seeds each."""
    arms = outcome.data["arms"]
    fig, ax = _figure(4.8, 3.3)
    _seeds_and_means(ax, list(arms.values()), [group_colour(k) for k in range(len(arms))])
    ax.set_xticks(range(len(arms)), list(arms))
    ax.set_ylabel("idle share (lying flat)")
    ax.set_title("Certainty deters more than severity")
    _seeds_legend(ax, len(next(iter(arms.values()))), loc="best")
    _save(fig, path)


@_styled
def age_profile(outcome: Outcome, path: Path) -> None:
    """Idle share by age, with and without an age ceiling; bands are 95% intervals over seeds."""
    d = outcome.data
    fig, ax = _figure(5.4, 3.3)
    for k, (name, (idle, cadres)) in enumerate(d["arms"].items()):
        share, low, high = ratio_interval(idle, cadres)
        ax.fill_between(d["ages"], low, high, color=group_colour(k), alpha=0.25, lw=0)
        ax.plot(d["ages"], share, "o-", ms=3, color=group_colour(k), label=name)
    seeds = len(next(iter(d["arms"].values()))[0])
    ax.axvline(d["ceiling"] - 0.5, color="0.5", ls="--", lw=1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("age")
    ax.set_ylabel("idle share (below top rank, unsanctioned)")
    ax.set_title("Career concerns end at the age ceiling")
    ax.legend(title=f"band: {LEVEL:.0%} CI, {seeds} seeds")
    _save(fig, path)


@_styled
def inspection_paths(outcome: Outcome, path: Path) -> None:
    """Afraid share and the belief that lying flat is caught, year by year, inspected or not."""
    d = outcome.data
    year = d["inspection_year"]
    fig, (left, right) = _figure(6.6, 3.3, ncols=2)
    for ax, key, label in ((left, "afraid", "afraid share"),
                           (right, "belief_detect", "belief that lying flat is caught")):
        for k, arm in enumerate(("never", "inspected")):
            paths = d[arm][key]
            years = np.arange(1, paths.shape[1] + 1)
            rows = np.array([t_interval(paths[:, j])[1:] for j in range(paths.shape[1])])
            ax.fill_between(years, rows[:, 2], rows[:, 3], color=group_colour(k), alpha=0.25,
                            lw=0)
            ax.plot(years, rows[:, 0], "-", color=group_colour(k),
                    label="never inspected" if arm == "never" else f"inspected in year {year}")
        ax.axvspan(year - 0.5, year + 0.5, color="0.85", lw=0)
        ax.set_xlim(year - 6, paths.shape[1])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("year")
        ax.set_ylabel(label)
    seeds = d["never"]["afraid"].shape[0]
    left.set_title("Fear of acting")
    right.set_title("Belief in detection")
    left.legend(title=f"band: {LEVEL:.0%} CI, {seeds} seeds", loc="lower left")
    _save(fig, path)


# --------------------------------------------------------------------------------------------
# Across a posterior (experiments.validation.across_posterior)
# --------------------------------------------------------------------------------------------


def posterior_effects(draws, per_effect, labels: dict[str, str], path: Path) -> None:
    """Each effect's spread over posterior draws, its criterion, and the share that meets it.

    One panel per effect: a histogram of the draws' effects (seeds averaged per draw), the
    criterion as a dashed line with the side that meets it shaded, and that share in the title.
    """
    with mpl.rc_context(STYLE):
        rows = list(per_effect.itertuples())
        ncols = min(3, len(rows))
        nrows = -(-len(rows) // ncols)
        fig = Figure(figsize=(3.3 * ncols, 2.7 * nrows + 0.4), layout="constrained")
        FigureCanvasAgg(fig)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        for ax, row in zip(axes, rows, strict=False):
            values = draws[row.effect].to_numpy()
            lo = min(values.min(), row.criterion)
            hi = max(values.max(), row.criterion)
            pad = 0.08 * (hi - lo or 1.0)
            lo, hi = lo - pad, hi + pad
            ax.axvspan(*((row.criterion, hi) if row.criterion > 0 else (lo, row.criterion)),
                       color="0.88", zorder=0, lw=0)
            ax.hist(values, bins=30, color=group_colour(0), alpha=0.85)
            ax.axvline(row.criterion, color="black", ls="--", lw=1)
            ax.set_xlim(lo, hi)
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.set_title(f"{row.check}\nmeets the criterion: {row.share_met:.0%} of draws",
                         fontsize="small")
            ax.set_xlabel(wrap(labels[row.effect], 38), fontsize="small")
            ax.set_ylabel("posterior draws")
        for ax in axes[len(rows):]:
            ax.set_axis_off()
        fig.suptitle(f"Incentive checks across the posterior ({len(draws)} draws): dashed, the "
                     "criterion; shaded, the side that meets it", fontsize="medium")
        _save(fig, path)
