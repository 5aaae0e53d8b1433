"""Scenario discovery on a results folder: which inputs make a condition on the outputs likely.

The inputs are a sweep's design parameters and, with a posterior, the values of each run's
particle; the condition is a pandas expression over its outputs (``afraid_share > 0.5``). Each
design point is one case (its outputs' means over replicates); with a posterior, each run is,
since its particle's values differ. PRIM (``experiments.search.prim``) finds the boxes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd

from experiments.analysis.results import Results
from experiments.analysis.style import FULL_WIDTH, STYLE, new_figure, save_figure
from experiments.search.prim import Discovery
from simulation.errors import ConfigError

#: A restriction with a quasi-p-value at least this is drawn faint: lifting it would hardly
#: change the box's density.
WEAK = 0.05


def cases(results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The inputs and the outputs of each case: a point, or a run under a posterior."""
    runs = results.runs
    drawn = (results.manifest.get("posterior") or {}).get("drawn") or {}
    if drawn and "particle" in runs:
        values = pd.DataFrame.from_dict(drawn, orient="index")
        values.index = values.index.astype(int)
        runs = runs.join(values, on="particle")
        inputs = [*results.parameters, *values.columns]
        outputs = runs[results.metrics]
        return runs[inputs].reset_index(drop=True), outputs.reset_index(drop=True)
    if not results.parameters:
        raise ConfigError(f"{results.path} has no design parameters and no posterior: nothing "
                          "to discover boxes over")
    means = runs.groupby("point")[[*results.parameters, *results.metrics]].mean()
    return means[results.parameters].reset_index(drop=True), means[results.metrics].reset_index(
        drop=True)


def condition(outputs: pd.DataFrame, where: str) -> np.ndarray:
    """The cases where ``where`` (a pandas expression over output names) holds."""
    try:
        held = outputs.eval(where)
    except Exception as exc:  # pandas raises many kinds for a bad expression
        raise ConfigError(f"--where {where!r}: {exc}; allowed: an expression over the "
                          f"outputs, e.g. \"afraid_share > 0.5\" (outputs: "
                          f"{', '.join(outputs.columns)})") from None
    if not isinstance(held, pd.Series) or held.dtype != bool:
        raise ConfigError(f"--where {where!r} is not a true/false condition")
    return held.to_numpy(bool)


def box_table(found: list[Discovery], inputs: pd.DataFrame) -> pd.DataFrame:
    """One row per box and restricted input: its limits against the input's range, quasi-p."""
    rows = []
    for k, discovery in enumerate(found, start=1):
        box = discovery.box
        for name in box.restricted or list(box.limits):
            low, high = box.limits[name]
            rows.append({"box": k, "coverage": box.coverage, "density": box.density,
                         "support": box.support, "input": name, "low": low, "high": high,
                         "range_low": float(inputs[name].min()),
                         "range_high": float(inputs[name].max()),
                         "quasi_p": box.quasi_p.get(name, float("nan"))})
    return pd.DataFrame(rows)


def discovery_figure(found: list[Discovery], inputs: pd.DataFrame, where: str,
                     stem: Path) -> list[Path]:
    """The peeling trade-off (coverage against density) and each box's limits on the ranges.

    Restrictions whose quasi-p-value is at least ``WEAK`` are drawn faint.
    """
    with mpl.rc_context(STYLE):
        fig = new_figure(FULL_WIDTH, 3.0)
        left, right = fig.subplots(1, 2)
        for k, discovery in enumerate(found, start=1):
            t = discovery.trajectory
            left.plot(t["coverage"], t["density"], "o-", ms=2.5, lw=0.8, label=f"box {k}")
            left.plot(t.loc[discovery.chosen, "coverage"], t.loc[discovery.chosen, "density"],
                      "*", ms=10, color="black")
        left.set_xlabel("coverage (share of all cases in the box)")
        left.set_ylabel("density (share of the box that are cases)")
        left.set_title("Peeling trade-off (star: chosen)")
        left.legend(loc="lower left")
        names = list(dict.fromkeys(n for d in found for n in (d.box.restricted or [])))
        for k, discovery in enumerate(found):
            for i, name in enumerate(names):
                if name not in discovery.box.restricted:
                    continue
                lo, hi = inputs[name].min(), inputs[name].max()
                low, high = discovery.box.limits[name]
                span = hi - lo or 1.0
                y = i + 0.15 * k
                weak = discovery.box.quasi_p.get(name, 0.0) >= WEAK
                right.plot([(low - lo) / span, (high - lo) / span], [y, y], lw=4,
                           alpha=0.25 if weak else 0.8, solid_capstyle="butt")
                right.annotate(f"{low:.3g} to {high:.3g}", ((high - lo) / span, y), fontsize=6,
                               xytext=(3, -2), textcoords="offset points")
        right.set_yticks(range(len(names)), names, fontsize=6)
        right.set_xlim(0, 1.25)
        right.set_xlabel("limits within the input's range (0 = min, 1 = max)")
        right.set_title(f"Box limits (faint: quasi-p >= {WEAK:g})")
        fig.suptitle(f"When does {where} hold?")
        return save_figure(fig, stem)
