"""What a calibration tells a reader.

Which parameters the targets pin down, whether the fitted model reproduces each target within
the survey's error, and the figures that show both.

Pure functions of stored tables (posterior, posterior predictive draws), never of the model.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator
from scipy import stats

from experiments.analysis.labels import axis_label, metric_label
from experiments.analysis.style import (
    FULL_WIDTH,
    STYLE,
    fit_title,
    new_figure,
    save_figure,
    wrap,
)
from experiments.calibration.priors import PriorSet
from experiments.calibration.targets import MET_WITHIN, TargetSet

#: The level of every interval the report gives (95%, as everywhere else in CadreSim).
LEVEL = 0.95
#: The probability in each tail of a LEVEL interval.
TAIL = (1 - LEVEL) / 2
#: z for a two-sided LEVEL interval.
Z = 1.959963984540054
#: Posterior 95% interval narrower than this share of the prior's: the targets pin it down.
PINNED = 0.5
#: ... narrower than this share: partly informed; wider: the targets say little about it.
PARTLY = 0.8
#: Fewest effective particles behind a narrowing verdict. A weighted sample of fewer effective
#: particles gives intervals that shrink from weight degeneracy, not from the targets (a
#: 1.2-particle posterior has a near-zero interval): below it "pinned down" and "partly" are
#: refused, and the verdict says how many effective particles there were. 100 keeps the 2.5%
#: and 97.5% quantiles of a weighted sample to within about a tenth of the interval's width.
MIN_ESS = 100.0
#: The shipped fit's floor of effective particles (docs/calibration.md, section 4).
SHIPPED_ESS = 200.0
#: The outermost share of the prior at each end, and the posterior weight there (four times the
#: prior's) above which the posterior presses against that bound: the figures want values the
#: prior excludes, and the interval (and a "pinned down") is cut by the bound, not the data.
EDGE = 0.05
PRESSED = 0.2

POSTERIOR_COLOUR = "#0072B2"
PRIOR_COLOUR = "#9A9A9A"
TARGET_COLOUR = "#D55E00"


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """Quantiles of ``x`` under weights ``w``.

    The inverse of the weighted empirical CDF, midpoint rule.
    """
    x, w = np.asarray(x, float), np.asarray(w, float)
    order = np.argsort(x)
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cdf, x)


def weights_of(posterior: pd.DataFrame) -> np.ndarray:
    """The posterior's normalised weights (equal if it has no ``weight`` column)."""
    w = posterior["weight"].to_numpy(float) if "weight" in posterior else np.ones(len(posterior))
    return w / w.sum()


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of weighted particles: (sum w)^2 / sum w^2."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / np.sum(w ** 2)) if w.size and w.sum() > 0 else 0.0


def verdict(ratio: float, ess: float) -> str:
    """What a width ratio says, given the effective particles behind it (``MIN_ESS``)."""
    if ratio >= PARTLY:
        return "not pinned down"
    if ess < MIN_ESS:
        return f"unsettled (ESS {ess:.0f} < {MIN_ESS:.0f})"
    return "pinned down" if ratio < PINNED else "partly"


def pressed_bound(prior: stats.rv_continuous, x: np.ndarray, w: np.ndarray) -> str:
    """``lower`` or ``upper`` if the posterior piles in that outer ``EDGE`` of the prior, or ``""``.

    Measured on the prior's own quantile scale, so it means the same for any prior shape.
    """
    u = prior.cdf(x)
    low, high = float(w[u < EDGE].sum()), float(w[u > 1 - EDGE].sum())
    if max(low, high) <= PRESSED:
        return ""
    return "lower" if low > high else "upper"


def identification(priors: PriorSet, posterior: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: prior and posterior 95% intervals, their width ratio and a verdict.

    Widths are compared on the log scale for log-uniform priors. Verdicts: ``pinned down``
    (ratio < 0.5), ``partly`` (< 0.8), ``not pinned down``; a narrowing verdict needs at least
    ``MIN_ESS`` effective particles, else it is ``unsettled`` (``ess`` column: the posterior's).
    ``bound`` names a prior bound the posterior presses against (:func:`pressed_bound`).
    """
    w = weights_of(posterior)
    ess = effective_sample_size(w)
    rows = []
    for name, prior in priors.parameters.items():
        x = posterior[name].to_numpy(float)
        lo, med, hi = weighted_quantile(x, w, [TAIL, 0.5, 1 - TAIL])
        frozen = prior.frozen()
        plo, phi = frozen.ppf([TAIL, 1 - TAIL])
        scale = np.log if prior.log_scale else (lambda v: v)
        ratio = float((scale(hi) - scale(lo)) / (scale(phi) - scale(plo)))
        rows.append({
            "parameter": name, "prior_low": plo, "prior_high": phi,
            "posterior_median": med, "posterior_low": lo, "posterior_high": hi,
            "width_ratio": ratio, "ess": ess, "verdict": verdict(ratio, ess),
            "bound": pressed_bound(frozen, x, w),
        })
    return pd.DataFrame(rows)


def predictive_check(targets: TargetSet, ppc: pd.DataFrame,
                     held_out: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Per target: the published value against the posterior predictive distribution.

    ``ppc`` has one column per target (one row per posterior draw, simulated afresh). The 95%
    predictive interval is widened by the survey's sampling error (+-1.96 s.e., binomial from n
    where n is known) for ``within_sampling``; ``z`` is the median's distance from the value in
    units of the target's tolerance (sampling s.e. and mapping_sd combined), and
    ``within_tolerance`` is |z| <= 2. ``fitted`` is False for the targets in ``held_out``:
    their rows are out-of-sample predictions.
    """
    rows = []
    for t in targets.targets:
        sims = ppc[t.name].to_numpy(float)
        sims = sims[np.isfinite(sims)]
        lo, med, hi = np.quantile(sims, [TAIL, 0.5, 1 - TAIL]) if len(sims) else (np.nan,) * 3
        se = t.sampling_se
        widen = Z * (se or 0.0)
        z = t.z(med)
        rows.append({
            "target": t.name, "statistic": t.statistic, "regime": t.regime,
            "years": "-".join(map(str, sorted({min(t.years), max(t.years)}))) if t.years
            else "", "fitted": t.name not in held_out, "observed": t.value, "n": t.n,
            "sampling_se": se, "mapping_sd": t.mapping_sd,
            "predictive_median": med, "predictive_low": lo, "predictive_high": hi,
            "within_sampling": bool(lo - widen <= t.value <= hi + widen),
            "z": z, "within_tolerance": bool(abs(z) <= MET_WITHIN),
        })
    return pd.DataFrame(rows)


def _save(fig: Figure, stem: str | os.PathLike[str]) -> list[Path]:
    return save_figure(fig, Path(stem))


def parameter_name(path: str) -> str:
    """A parameter's display name: its config title and unit (not its dotted path)."""
    return axis_label(path)


def statistic_name(statistic: str) -> str:
    """A target's statistic in words: each output by its short label (``Says: afraid / ...``)."""
    return " / ".join(metric_label(part.strip()).short for part in statistic.split("/"))


def target_name(name: str) -> str:
    """A target's identifier as words (``fear_real_cause`` -> ``Fear real cause``)."""
    return name.replace("_", " ").capitalize()


def pair_plot(priors: PriorSet, posterior: pd.DataFrame,
              stem: str | os.PathLike[str]) -> list[Path]:
    """Posterior pair plot in the house style; writes PNG (300 dpi) and PDF.

    Weighted histograms (prior density as a grey line) on the diagonal, weighted particles
    below it. Axes span the prior bounds; each diagonal panel is named by its parameter's title
    and unit, and names its row and column.
    """
    names = priors.names
    k = len(names)
    w = weights_of(posterior)
    with mpl.rc_context(STYLE):
        fig = new_figure(min(FULL_WIDTH, 1.75 * k + 1.0), min(FULL_WIDTH, 1.75 * k + 1.3))
        grid = fig.add_gridspec(k, k)
        for i, yi in enumerate(names):  # the lower triangle only: no hidden axes to lay out
            for j, xj in enumerate(names[:i + 1]):
                _pair_panel(fig.add_subplot(grid[i, j]), priors, posterior, w, i, j, yi, xj, k)
        fit_title(fig, "Posterior (blue) against prior (grey); each row and column is the "
                  "parameter named on its diagonal")
    return _save(fig, stem)


def _pair_panel(ax: Axes, priors: PriorSet, posterior: pd.DataFrame, w: np.ndarray, i: int,
                j: int, yi: str, xj: str, k: int) -> None:
    """One panel of the pair plot: a histogram on the diagonal, particles below it."""
    px = priors.parameters[xj]
    if j > i:
        ax.set_visible(False)
        return
    log_x = px.log_scale
    if i == j:
        edges = (np.geomspace(px.low, px.high, 21) if log_x
                 else np.linspace(px.low, px.high, 21))
        ax.hist(posterior[xj], bins=edges, weights=w, density=True,
                color=POSTERIOR_COLOUR, alpha=0.7)
        grid = np.geomspace(px.low, px.high, 200) if log_x else np.linspace(
            px.low, px.high, 200)
        ax.plot(grid, px.frozen().pdf(grid), color=PRIOR_COLOUR, lw=1.2)
        ax.set_yticks([])
    else:
        py = priors.parameters[yi]
        ax.scatter(posterior[xj], posterior[yi], s=4 + 400 * w, alpha=0.5,
                   color=POSTERIOR_COLOUR, linewidths=0)
        ax.set_ylim(py.low, py.high)
        if py.log_scale:
            ax.set_yscale("log")
        ax.yaxis.set_major_locator(MaxNLocator(3) if not py.log_scale else
                                   ax.yaxis.get_major_locator())
    ax.set_xlim(px.low, px.high)
    if log_x:
        ax.set_xscale("log")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(3))
    for axis in (ax.xaxis, ax.yaxis):  # no minor ticks: log axes would lay out dozens each
        axis.set_minor_locator(NullLocator())
    if i == j:  # a corner plot: each column and row is the parameter named on its diagonal
        ax.set_title(wrap(parameter_name(xj), 16), fontsize=8, fontweight="normal")
    if i != k - 1:
        ax.tick_params(labelbottom=False)
    if j != 0 or i == 0:
        ax.tick_params(labelleft=False)


def predictive_plot(targets: TargetSet, ppc: pd.DataFrame, stem: str | os.PathLike[str],
                    held_out: tuple[str, ...] | list[str] = ()) -> list[Path]:
    """Posterior predictive plot of each target in the house style; writes PNG and PDF.

    Each target's posterior predictive distribution (dots and 95% bar) against the published
    value with its sampling error (95%) and mapping tolerance (+-2 tol); held-out targets are
    labelled as such (out-of-sample predictions).
    """
    names = targets.names
    rng = np.random.default_rng(0)  # jitter only
    with mpl.rc_context(STYLE):
        fig = new_figure(FULL_WIDTH * 0.85, 0.55 * len(names) + 1.8)
        ax = fig.subplots()
        for y, t in enumerate(targets.targets):
            sims = ppc[t.name].to_numpy(float)
            ax.scatter(sims, y + rng.uniform(-0.15, 0.15, len(sims)), s=6, alpha=0.4,
                       color=POSTERIOR_COLOUR, linewidths=0)
            lo, hi = np.nanquantile(sims, [TAIL, 1 - TAIL])
            ax.plot([lo, hi], [y + 0.25, y + 0.25], color=POSTERIOR_COLOUR, lw=2)
            tol = t.tolerance
            ax.plot([t.value - 2 * tol, t.value + 2 * tol], [y - 0.3, y - 0.3],
                    color=TARGET_COLOUR, lw=1, alpha=0.5)
            se = t.sampling_se
            if se:
                ax.plot([t.value - Z * se, t.value + Z * se], [y - 0.3, y - 0.3],
                        color=TARGET_COLOUR, lw=3)
            ax.scatter([t.value], [y - 0.3], marker="D", color=TARGET_COLOUR, zorder=3, s=20)
        ax.set_yticks(range(len(names)),
                      [f"{target_name(t.name)}{' (held out)' if t.name in held_out else ''}\n"
                       f"{wrap(statistic_name(t.statistic), 30)}" for t in targets.targets])
        ax.set_xlabel("Share (simulated in each figure's survey years)")
        handles = [
            Line2D([], [], color=POSTERIOR_COLOUR, marker="o", ls="none", ms=3, alpha=0.6),
            Line2D([], [], color=POSTERIOR_COLOUR, lw=2),
            Line2D([], [], color=TARGET_COLOUR, marker="D", ls="none", ms=4),
            Line2D([], [], color=TARGET_COLOUR, lw=3),
            Line2D([], [], color=TARGET_COLOUR, lw=1, alpha=0.5),
        ]
        texts = ["Simulated at a posterior draw", f"Simulated: {LEVEL:.0%} interval",
                 "Published value", f"Survey's {LEVEL:.0%} sampling interval",
                 "±2 tolerances (sampling and mapping)"]
        fig.legend(handles, texts, loc="outside lower center", ncol=2)
        fit_title(fig, "Posterior predictive check: simulated against published")
    return _save(fig, stem)


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def markdown_report(targets: TargetSet, priors: PriorSet, generations: pd.DataFrame,
                    ident: pd.DataFrame, check: pd.DataFrame, meta: dict) -> str:
    """The calibration's plain-text report: fit, identification, checks in and out of sample."""
    ess = float(ident["ess"].iloc[0]) if len(ident) else float("nan")
    particles = meta.get("population_size")
    held = check.loc[~check["fitted"], "target"].tolist() if "fitted" in check else []
    lines = [
        f"# Calibration: {targets.name} with priors {priors.name}", "",
        f"Seed {meta.get('seed')}; population {particles} particles; "
        f"{len(generations)} generations; {meta.get('simulations')} simulations; "
        f"final tolerance {_fmt(float(generations['epsilon'].iloc[-1]) if len(generations) else None)} "  # noqa: E501
        "(standardised distance).", "",
        f"**Effective sample size of the posterior: {ess:.1f} of {particles} particles** "
        f"(Kish). Verdicts that narrow a parameter need at least {MIN_ESS:.0f}; a shipped fit "
        f"needs {SHIPPED_ESS:.0f} ({'met' if ess >= SHIPPED_ESS else 'NOT met'}).", "",
        f"Fitted: {', '.join(t for t in targets.names if t not in held) or 'none'}. "
        f"Held out (predicted, not fitted): {', '.join(held) or 'none'}.", "",
        "## Which parameters the targets pin down", "",
        "Posterior 95% interval against the prior's (log scale for log-uniform priors): "
        f"narrower than {PINNED:.0%} of it is *pinned down*, than {PARTLY:.0%} *partly*, "
        f"each only with at least {MIN_ESS:.0f} effective particles (else *unsettled*).", "",
        "| parameter | prior 95% | posterior median | posterior 95% | width ratio | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in ident.itertuples():
        lines.append(
            f"| {r.parameter} | {r.prior_low:.3g}-{r.prior_high:.3g} | {r.posterior_median:.3g} | "
            f"{r.posterior_low:.3g}-{r.posterior_high:.3g} | {r.width_ratio:.2f} | {r.verdict} |"
        )
    pinned = ident.loc[ident.verdict == "pinned down", "parameter"].tolist()
    loose = ident.loc[ident.verdict == "not pinned down", "parameter"].tolist()
    bounds = ident.get("bound", pd.Series("", index=ident.index)).fillna("")
    pressed = [f"{p} ({b})" for p, b in zip(ident.parameter, bounds, strict=True) if b]
    lines += [
        "",
        f"Pinned down: {', '.join(pinned) or 'none'}. Not pinned down: {', '.join(loose) or 'none'}"
        ". With fewer targets than parameters, directions along which the targets do not "
        "change are left at their priors; read the pair plot for trade-offs between parameters.",
        "",
        (f"Against a prior bound (over {PRESSED:.0%} of the posterior weight in the prior's "
         f"outer {EDGE:.0%}): {', '.join(pressed)}. The figures want values the prior excludes; "
         "these intervals end at the bound, so their verdicts describe the prior as much as "
         "the data: widen the prior and refit before reading them as estimates."
         if pressed else "No parameter presses against a bound of its prior."),
        "", "## Generations", "",
        "| generation | tolerance | simulations | acceptance | effective particles |",
        "|---|---|---|---|---|",
    ]
    for r in generations.itertuples():
        accept = r.particles / r.samples if r.samples else float("nan")
        lines.append(f"| {r.t} | {_fmt(r.epsilon, 3)} | {r.samples} | {_fmt(accept, 3)} | "
                     f"{_fmt(getattr(r, 'ess', None), 1)} |")
    lines += [
        "", "## Posterior predictive check", "",
        "Each target against fresh simulations at posterior draws: median and 95% interval; "
        "'sampling' says whether the published value lies in that interval widened by the "
        "survey's sampling error (binomial s.e. from n, where n is known); z is the distance in "
        "units of the target's tolerance (sampling s.e. and mapping looseness combined). Held-out "
        "targets are out-of-sample predictions: no fitted figure determines them.", "",
        "| target | years | statistic | fitted | published | s.e. | predictive median | "
        "predictive 95% | sampling | z |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in check.itertuples():
        lines.append(
            f"| {r.target} | {getattr(r, 'years', '')} | {r.statistic} | "
            f"{'yes' if getattr(r, 'fitted', True) else 'held out'} | {r.observed:.3f} | "
            f"{_fmt(r.sampling_se)} | {r.predictive_median:.3f} | "
            f"{r.predictive_low:.3f}-{r.predictive_high:.3f} | "
            f"{'yes' if r.within_sampling else 'no'} | {r.z:+.2f} |"
        )
    if held:
        out = check[~check["fitted"]]
        hits = int(out["within_tolerance"].sum())
        inside = int(out["within_sampling"].sum())
        lines += ["", "## Out of sample", "",
                  f"{hits} of {len(out)} held-out figures are predicted within 2 tolerances "
                  f"(|z| <= 2); {inside} of {len(out)} lie inside the 95% predictive interval "
                  "widened by the sampling error. "
                  + ("Success." if hits == len(out) else "Not every held-out figure is met.")]
    lines += ["", "Targets and their looseness: see the targets file; figures left out:", ""]
    lines += [f"- {u.figure}: {' '.join(u.why.split())}" for u in targets.unmapped] or ["- none"]
    return "\n".join(lines) + "\n"
