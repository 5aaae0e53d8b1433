"""Transitions after a regime switch: each output's path, how fast it moves, what a return undoes.

For a sweep whose points differ by their schedule (``switch.step`` and ``switch.back_step``):
a switch in year s (and, for a back-and-forth arm, a return in year b) against the same regime
never switched and the new regime from the start, in the same setting of every other parameter.
Per kept series output and per change (the switch; the return):

* the **effect path**: the arm's mean path minus the never-switched arm's, year by year (the
  level before the switch, held, when there is no such arm), so a drift both arms share is not
  counted as the change;
* the **change**: the effect over the last ``WINDOW`` years of the phase (up to the return or the
  end of the run) minus the effect over the ``WINDOW`` years before the change;
* **years to a share of it**: the first year of the phase by which the replication-mean effect
  path has covered ``FRACTIONS`` of the change, counting the change's first year as year 1 (a
  change wholly in its first year takes 1 year); "no change" where the change's interval covers
  0, since a time to half of nothing is noise;
* the **comparison**: the gap to the new regime from the start (for the return: to the
  never-switched arm, the old regime's path) over the same end years, and for a return the
  share of the first change it undid (hysteresis: whether the output comes back).

Intervals are 95% percentile bootstraps over replicates (``BOOTSTRAP`` resamples, fixed seed):
resampled together across the arms when they share random numbers (then the effect is paired,
replicate by replicate), separately otherwise. Takes :class:`Results`, never the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.comparisons import paired_arms
from experiments.analysis.intervals import LEVEL, t_interval
from experiments.analysis.labels import regime_label, setting_text
from experiments.analysis.results import Results

#: Years over which the level before a change and the level it settles at are averaged.
WINDOW = 5
#: Shares of a change whose time is reported (the first is the half-time).
FRACTIONS: tuple[float, ...] = (0.5, 0.9)
#: Bootstrap resamples of the replicates, and their seed (the analysis is reproducible).
BOOTSTRAP = 2000
SEED = 20261207
#: The schedule parameters that make the arms of one transition study.
SCHEDULE = ("switch.step", "switch.back_step", "switch.phase_in")
#: Arm roles, in drawing order: a switch and a return, a switch, the new regime from the start,
#: the old regime throughout.
ROLES = ("returned", "switched", "from_start", "never")
#: Columns of the transitions table (one row per arm, change and output).
COLUMNS = (
    "setting", "point", "arm", "transition", "year", "end_year", "metric", "baseline",
    "replicates", "level_before", "level_after", "change", "change_low", "change_high", "status",
    "first_year_share", "half_years", "half_low", "half_high", "ninety_years", "ninety_low",
    "ninety_high", "comparison", "gap", "gap_low", "gap_high", "undone", "undone_low",
    "undone_high",
)


@dataclass(frozen=True)
class Arm:
    """One point of a transition study: when it switches and when (if ever) it returns."""

    point: int
    role: str
    switch_step: int | None
    back_step: int
    phase_in: int

    @property
    def label(self) -> str:
        """The arm in words: ``Switch in year 15, back in year 30``."""
        if self.role == "never":
            return "Never switched"
        if self.role == "from_start":
            return "New regime from year 1"
        text = f"Switch in year {self.switch_step}"
        if self.phase_in > 1:
            text += f" (phased in over {self.phase_in} years)"
        if self.role == "returned":
            text += f", back in year {self.back_step}"
        return text


@dataclass(frozen=True)
class Study:
    """The arms of one setting (regime and every other varied parameter)."""

    setting: str
    arms: tuple[Arm, ...]

    def first(self, role: str) -> Arm | None:
        """The first arm of a role, or None."""
        return next((arm for arm in self.arms if arm.role == role), None)

    @property
    def changing(self) -> tuple[Arm, ...]:
        """The arms that switch within the run (with or without a return)."""
        return tuple(arm for arm in self.arms if arm.role in ("returned", "switched"))


def _schedule(row: dict[str, Any], switch: dict[str, Any], key: str) -> int:
    """A point's ``switch.<key>``: its own value, else the spec's, else 0."""
    for value in (row.get(f"switch.{key}"), switch.get(key)):
        if value is not None and not (isinstance(value, float) and not np.isfinite(value)):
            return int(value)
    return 0


def _role(step: int | None, back: int, last: int) -> str:
    """An arm's role from its switch and return years in a run of ``last`` years."""
    returns = 0 < back <= last
    if step is None or step > last:
        return "never"
    if step <= 1:
        return "other" if returns else "from_start"
    return "returned" if returns else "switched"


def studies(results: Results) -> list[Study]:
    """The transition studies of a results folder: one per setting of the other parameters.

    Empty when the spec has no switch. The last year is the last step of the kept series.
    """
    switch = results.spec.get("switch")
    if not isinstance(switch, dict) or results.series.empty:
        return []
    last = int(results.series["step"].max())
    others = [p for p in results.varying_parameters() if p not in SCHEDULE]
    groups: dict[tuple[Any, ...], list[Arm]] = {}
    for row in results.points.to_dict("records"):
        step = _schedule(row, switch, "step") or None
        back, phase = _schedule(row, switch, "back_step"), _schedule(row, switch, "phase_in")
        arm = Arm(int(row["point"]), _role(step, back, last), step, back, phase)
        key = (row["regime"], *(row[p] for p in others))
        groups.setdefault(key, []).append(arm)
    several = len(results.regimes) > 1
    out = []
    for key, arms in groups.items():
        words = [regime_label(key[0])] if several else []
        words += [setting_text(p, v) for p, v in zip(others, key[1:], strict=True)]
        out.append(Study(", ".join(words), tuple(arms)))
    return out


# --------------------------------------------------------------------------------------------
# The estimator: a change's size and the years it takes, on paths with a leading batch axis
# --------------------------------------------------------------------------------------------


def windows(start: int, end: int, window: int = WINDOW) -> tuple[slice, slice]:
    """Index slices of the years before a change starting in ``start`` and of its last years.

    Years are counted from 1 (index = year - 1). Before: up to ``window`` years ending with
    ``start - 1``; after: up to ``window`` years ending with ``end``, at most a third of the
    phase (at least one year), so a short phase is not judged by its first years.
    """
    before = max(1, min(window, start - 1))
    after = max(1, min(window, (end - start + 1) // 3))
    return slice(start - 1 - before, start - 1), slice(end - after, end)


def change_timing(effect: np.ndarray, start: int, end: int, window: int = WINDOW,
                  fractions: tuple[float, ...] = FRACTIONS) -> dict[str, np.ndarray]:
    """A change that starts in year ``start`` and lasts to year ``end``, on effect paths.

    ``effect`` is (..., years), year y at index y - 1. Returns arrays over the leading axes:
    ``origin`` and ``target`` (mean effect before the change and over its last years),
    ``change`` (target - origin), ``first_year_share`` (share of the change done in year
    ``start``) and one ``years_<f>`` per fraction: the first year of the phase, counting
    ``start`` as 1, by whose end the effect has covered that share of the change (NaN if it
    never does, or if there is no change at all).
    """
    effect = np.asarray(effect, dtype=float)
    before, after = windows(start, end, window)
    origin = effect[..., before].mean(axis=-1)
    target = effect[..., after].mean(axis=-1)
    change = target - origin
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = (effect[..., start - 1:end] - origin[..., None]) / change[..., None]
    out = {"origin": origin, "target": target, "change": change,
           "first_year_share": progress[..., 0]}
    for share in fractions:
        reached = progress >= share
        years = np.argmax(reached, axis=-1) + 1.0
        out[f"years_{share:g}"] = np.where(reached.any(axis=-1), years, np.nan)
    return out


def years_to_share(path: np.ndarray, start: int, end: int | None = None, share: float = 0.5,
                   window: int = WINDOW) -> float:
    """Years after a change in ``start`` until ``share`` of it has happened, on one path.

    ``end``: the last year of the phase (default: the path's last year). NaN without a change.
    """
    path = np.asarray(path, dtype=float)
    timing = change_timing(path, start, path.size if end is None else end, window, (share,))
    return float(timing[f"years_{share:g}"])


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------


def _paths(results: Results, metric: str, points: list[int]) -> dict[int, pd.DataFrame]:
    """Per point: replicates x years of one metric (rows by replicate)."""
    data = results.series[(results.series["metric"] == metric)
                          & results.series["point"].isin(points)]
    return {int(p): part.pivot(index="replicate", columns="step", values="value").sort_index()
            for p, part in data.groupby("point")}


class Resampler:
    """Bootstrap means of paths: the same replicate draws for every arm when paired."""

    def __init__(self, paired: bool, resamples: int = BOOTSTRAP, seed: int = SEED) -> None:
        self.paired = paired
        self.resamples = resamples
        self.rng = np.random.default_rng(seed)
        self._shared: dict[int, np.ndarray] = {}

    def _counts(self, n: int) -> np.ndarray:
        if self.paired and n in self._shared:
            return self._shared[n]
        counts = self.rng.multinomial(n, np.full(n, 1.0 / n), size=self.resamples)
        if self.paired:
            self._shared[n] = counts
        return counts

    def means(self, paths: np.ndarray) -> np.ndarray:
        """(resamples, years) bootstrap means of a (replicates, years) array."""
        return self._counts(paths.shape[0]) @ paths / paths.shape[0]


def _interval(values: np.ndarray, level: float = LEVEL,
              whole: bool = False) -> tuple[float, float]:
    """The percentile interval of bootstrap values (NaN draws left out).

    ``whole``: the values are whole years, and so are the bounds (drawn values, not
    interpolated between them). No interval when more than half the draws are NaN.
    """
    finite = values[np.isfinite(values)]
    if finite.size < 0.5 * values.size:
        return np.nan, np.nan
    tail = 50 * (1 - level)
    method = "inverted_cdf" if whole else "linear"
    low, high = np.percentile(finite, [tail, 100 - tail], method=method)
    return float(low), float(high)


@dataclass
class _Arrays:
    """One metric's paths for the arms of a study, aligned on replicates and years."""

    full: dict[int, np.ndarray]
    boot: dict[int, np.ndarray]
    replicates: int


def _arrays(paths: dict[int, pd.DataFrame], resampler: Resampler) -> _Arrays | None:
    """Full-sample mean paths and bootstrap mean paths of every arm (paired: shared replicates)."""
    if not paths:
        return None
    years = sorted(set.intersection(*(set(p.columns) for p in paths.values())))
    if resampler.paired:
        shared = sorted(set.intersection(*(set(p.index) for p in paths.values())))
        paths = {k: p.loc[shared] for k, p in paths.items()}
    arrays = {k: p[years].to_numpy(dtype=float) for k, p in paths.items()}
    if not years or min(a.shape[0] for a in arrays.values()) < 2 or years != list(
            range(1, len(years) + 1)):
        return None
    return _Arrays({k: a.mean(axis=0) for k, a in arrays.items()},
                   {k: resampler.means(a) for k, a in arrays.items()},
                   min(a.shape[0] for a in arrays.values()))


def _effect(arrays: _Arrays, point: int, never: Arm | None, boot: bool) -> np.ndarray:
    """The arm's path minus the never-switched arm's (itself when there is none)."""
    source = arrays.boot if boot else arrays.full
    path = source[point]
    return path - source[never.point] if never is not None else path


def _gap(arrays: _Arrays, point: int, other: Arm | None, end_slice: slice,
         boot: bool) -> np.ndarray | float:
    """Mean difference to another arm over the end years (NaN without that arm)."""
    if other is None:
        return np.full(arrays.boot[point].shape[0], np.nan) if boot else np.nan
    source = arrays.boot if boot else arrays.full
    return (source[point] - source[other.point])[..., end_slice].mean(axis=-1)


def _row(arrays: _Arrays, study: Study, arm: Arm, kind: str, metric: str,
         first: dict[str, Any] | None) -> dict[str, Any]:
    """One row of the table: a change of one arm on one metric."""
    never = study.first("never")
    last = arrays.full[arm.point].size
    start = arm.switch_step if kind == "switch" else arm.back_step
    end = arm.back_step - 1 if kind == "switch" and arm.role == "returned" else last
    before, after = windows(start, end)
    est = change_timing(_effect(arrays, arm.point, never, False), start, end)
    boot = change_timing(_effect(arrays, arm.point, never, True), start, end)
    low, high = _interval(boot["change"])
    changed = bool(np.isfinite(low) and (low > 0 or high < 0))
    other = study.first("from_start") if kind == "switch" else never
    level = arrays.full[arm.point]
    row = {"setting": study.setting, "point": arm.point, "arm": arm.label, "transition": kind,
           "year": start, "end_year": end, "metric": metric,
           "baseline": "never-switched arm" if never is not None else "level before",
           "replicates": arrays.replicates, "level_before": float(level[before].mean()),
           "level_after": float(level[after].mean()), "change": float(est["change"]),
           "change_low": low, "change_high": high,
           "status": "change" if changed else "no change",
           "first_year_share": float(est["first_year_share"]) if changed else np.nan,
           "comparison": other.label if other is not None else "",
           "gap": float(_gap(arrays, arm.point, other, after, False))}
    row["gap_low"], row["gap_high"] = _interval(_gap(arrays, arm.point, other, after, True))
    for name, share in zip(("half", "ninety"), FRACTIONS, strict=True):
        years = est[f"years_{share:g}"]
        row[f"{name}_years"] = float(years) if changed else np.nan
        row[f"{name}_low"], row[f"{name}_high"] = (_interval(boot[f"years_{share:g}"], whole=True)
                                                   if changed else (np.nan, np.nan))
    row["undone"] = row["undone_low"] = row["undone_high"] = np.nan
    if kind == "return" and first is not None and first["status"] == "change":
        row["undone"] = -row["change"] / first["change"]
        switch_boot = change_timing(_effect(arrays, arm.point, never, True), arm.switch_step,
                                    arm.back_step - 1)["change"]
        with np.errstate(divide="ignore", invalid="ignore"):
            row["undone_low"], row["undone_high"] = _interval(-boot["change"] / switch_boot)
    return row


def transition_table(results: Results) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The transitions table, the paths table and why there is none ("" when there is).

    Transitions: one row per arm that switches in the run, per change (``switch``, and
    ``return`` for a back-and-forth arm) and per kept series output (columns ``COLUMNS``).
    Paths: per arm, output and year, the mean over replicates with its 95% t-interval, and the
    effect (minus the never-switched arm) with its bootstrap interval.
    """
    if not isinstance(results.spec.get("switch"), dict):
        return pd.DataFrame(), pd.DataFrame(), "the spec has no switch"
    if results.series.empty:
        return pd.DataFrame(), pd.DataFrame(), "the sweep kept no per-step series"
    found = [s for s in studies(results) if s.changing]
    if not found:
        return pd.DataFrame(), pd.DataFrame(), "no point switches within the run"
    rows, paths = [], []
    metrics = list(dict.fromkeys(results.series["metric"]))
    for study in found:
        resampler = Resampler(paired_arms(results))
        for metric in metrics:
            arrays = _arrays(_paths(results, metric, [a.point for a in study.arms]), resampler)
            if arrays is None:
                continue
            for arm in study.changing:
                first = _row(arrays, study, arm, "switch", metric, None)
                rows.append(first)
                if arm.role == "returned":
                    rows.append(_row(arrays, study, arm, "return", metric, first))
            paths += _path_rows(results, study, metric, arrays)
    if not rows:
        return pd.DataFrame(), pd.DataFrame(), "fewer than 2 replicates per arm"
    return pd.DataFrame(rows, columns=list(COLUMNS)), pd.DataFrame(paths), ""


def _path_rows(results: Results, study: Study, metric: str,
               arrays: _Arrays) -> list[dict[str, Any]]:
    """Per arm and year: the mean level with its t-interval and the effect with its interval."""
    never = study.first("never")
    rows = []
    data = _paths(results, metric, [a.point for a in study.arms])
    for arm in study.arms:
        if arm.point not in data:
            continue
        table = data[arm.point]
        effect = _effect(arrays, arm.point, never, True) if never is not None else None
        for i, step in enumerate(table.columns):
            n, mean, _, low, high = t_interval(table[step].to_numpy())
            row = {"setting": study.setting, "point": arm.point, "arm": arm.label,
                   "role": arm.role, "metric": metric, "step": int(step), "n": n,
                   "mean": mean, "ci_low": low, "ci_high": high,
                   "effect": np.nan, "effect_low": np.nan, "effect_high": np.nan}
            if effect is not None and i < effect.shape[1]:
                row["effect"] = float(arrays.full[arm.point][i]
                                      - arrays.full[never.point][i])
                row["effect_low"], row["effect_high"] = _interval(effect[:, i])
            rows.append(row)
    return rows
