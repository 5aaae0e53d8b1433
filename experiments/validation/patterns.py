"""Stylised facts from the literature, reproduced by seeded sweeps of the model (slow checks).

Every check here follows the conventions of ``experiments.validation.tools``: 1 000 cadres,
30 years, the first 10 left out, 20 independent seeds per arm, one-sided Mann-Whitney tests at
alpha = 0.01 plus a minimum effect. Criteria were fixed after a pilot on other seeds (0-7) and
are stated in each check before it measures; the seeds reported are fresh.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats

from experiments.validation import figures, probes
from experiments.validation.core import Check, Condition, Outcome
from experiments.validation.progress import run_finished
from experiments.validation.tools import (
    ALPHA,
    BURN_IN,
    SEEDS,
    STEPS,
    arm_paths,
    arm_table_means,
    config,
    fmt,
    fmt_p,
    greater,
    interaction,
    logit_fixed_effects,
    run_stepwise,
    seeds,
    z_within,
)
from simulation import CadreModel, decision
from simulation.formulas import IDLE


def _bold_among_active(table):
    """Bold share of the active cadres (formal, routine or bold: all but the idle)."""
    return table["bold"] / (1.0 - table["lying_flat"])


def _change(
    label: str, before, after, min_effect: float, rise: bool, digits: int = 3
) -> Condition:
    """Condition: the outcome moves from arm ``before`` to arm ``after``.

    Condition: the outcome moves from arm ``before`` to arm ``after`` in the stated direction by at
    least ``min_effect`` (one-sided Mann-Whitney at ALPHA).
    """
    high, low = (after, before) if rise else (before, after)
    passed, _, p = greater(high, low, min_effect)
    word = "rise" if rise else "fall"
    return Condition(
        f"{label} ({word} >= {min_effect:g}, one-sided Mann-Whitney p < {ALPHA:g})",
        f"{fmt(np.mean(before), digits)} -> {fmt(np.mean(after), digits)} "
        f"({fmt(np.mean(after) - np.mean(before), digits)}), {fmt_p(p)}",
        passed,
    )


# --------------------------------------------------------------------------------------------
# Li and Zhou (2005): promotion rises with relative performance; the record over the tenure
# matters more than one year's
# --------------------------------------------------------------------------------------------

LI_ZHOU_BASE = 1000


@functools.cache
def li_zhou_panel(record_memory: float, base: int) -> dict[str, Any]:
    """Per-seed logit estimates from the candidate pools of every tournament (kept years).

    For each candidate-year: promoted (0/1), and within its (year, rank) pool the z-scores of
    its performance record (what the tournament scores), of this year's measured output
    (recovered from the record update, record_t = m record_{t-1} + (1 - m) measured_t), of the
    arithmetic mean of its measured output over its years in the current rank, and of its
    seniority (years in rank). Pools where nobody or everybody was promoted are left out (they
    carry no information on who wins). Logit with one intercept per pool.
    """
    cfg = config({"regime.promotion.record_memory": record_memory})
    slope, joint_record, joint_annual, mean_tenure, mean_annual = [], [], [], [], []
    quintile_won = np.zeros((SEEDS, 5))  # per seed: promoted candidate-years by quintile
    quintile_all = np.zeros((SEEDS, 5))  # per seed: candidate-years by quintile
    for k, seed in enumerate(seeds(base)):
        views: list[probes.TournamentView] = []
        rows: list[np.ndarray] = []
        model = CadreModel(cfg, seed=seed)
        total = np.zeros(cfg.organisation.n_cadres)  # measured output summed over tenure
        years = np.zeros(cfg.organisation.n_cadres)  # years summed
        with probes.tournament_probe(model, views):
            for year in range(1, STEPS + 1):
                c = model.cadres
                record_before, person, rank_before = c.record.copy(), c.person.copy(), c.rank.copy()
                model.step()
                view = views[-1]
                measured = (view.record - record_memory * record_before) / (1 - record_memory)
                if year > BURN_IN:
                    i = np.flatnonzero(view.pool)
                    rows.append(np.column_stack([
                        np.full(i.size, year), view.rank[i], view.promoted[i], view.record[i],
                        measured[i], (total[i] + measured[i]) / (years[i] + 1),
                        view.years_in_rank[i],
                    ]))
                total += measured
                years += 1
                # A new rank (promotion, demotion) or a new person (entrant) starts a new tenure.
                moved = (model.cadres.person != person) | (model.cadres.rank != rank_before)
                total[moved] = 0.0
                years[moved] = 0.0
        run_finished()
        panel = np.vstack(rows)
        group = (panel[:, 0] * 16 + panel[:, 1]).astype(np.int64)
        won = panel[:, 2]
        index = np.unique(group, return_inverse=True)[1]
        wins = np.bincount(index, weights=won)
        contested = ((wins > 0) & (wins < np.bincount(index)))[index]
        panel, group, won = panel[contested], group[contested], won[contested]
        z = {name: z_within(panel[:, col], group) for name, col in
             (("record", 3), ("annual", 4), ("tenure", 5), ("seniority", 6))}
        b, _ = logit_fixed_effects(won, np.column_stack([z["record"], z["seniority"]]), group)
        slope.append(b[0])
        b, _ = logit_fixed_effects(
            won, np.column_stack([z["record"], z["annual"], z["seniority"]]), group
        )
        joint_record.append(b[0])
        joint_annual.append(b[1])
        b, _ = logit_fixed_effects(
            won, np.column_stack([z["tenure"], z["annual"], z["seniority"]]), group
        )
        mean_tenure.append(b[0])
        mean_annual.append(b[1])
        # Promotion rate by quintile of the record's rank within the pool.
        for g in np.unique(group):
            i = np.flatnonzero(group == g)
            q = np.minimum((stats.rankdata(panel[i, 3]) - 1) * 5 // i.size, 4).astype(int)
            quintile_won[k] += np.bincount(q, weights=won[i], minlength=5)
            quintile_all[k] += np.bincount(q, minlength=5)
    return {
        "slope": np.array(slope),
        "joint_record": np.array(joint_record),
        "joint_annual": np.array(joint_annual),
        "mean_tenure": np.array(mean_tenure),
        "mean_annual": np.array(mean_annual),
        "quintile_rate": quintile_won.sum(axis=0) / quintile_all.sum(axis=0),
        "quintile_won": quintile_won,
        "quintile_all": quintile_all,
        "candidate_years": int(quintile_all.sum()),
    }


def run_li_zhou_relative() -> Outcome:
    """Measure the ``li_zhou_relative_performance`` check (criterion and source: its Check)."""
    est = li_zhou_panel(0.6, LI_ZHOU_BASE)
    slope = est["slope"]
    p = float(stats.ttest_1samp(slope, 0.0, alternative="greater").pvalue)
    rate = est["quintile_rate"]
    conditions = [
        Condition(
            f"logit slope of promotion on the z-score of the record within the candidate pool "
            f"(seniority and pool controlled) > 0 in all {SEEDS} seeds, and on average "
            f"(one-sided t-test p < {ALPHA:g})",
            f"mean {fmt(slope.mean())}, min {fmt(slope.min())}, {fmt_p(p)}",
            bool(np.all(slope > 0) and p < ALPHA),
        ),
        Condition(
            "promotion rate rises from the bottom to the top quintile of the record within "
            "the pool (monotone)",
            " < ".join(fmt(r) for r in rate), bool(np.all(np.diff(rate) > 0)),
        ),
    ]
    return Outcome(
        conditions=conditions,
        headline=f"logit slope {fmt(slope.mean())} per s.d. of relative record; promotion rate "
        f"{fmt(rate[0])} (bottom quintile) -> {fmt(rate[-1])} (top); "
        f"{est['candidate_years']:,} candidate-years",
        data={"quintile_rate": rate, "quintile_won": est["quintile_won"],
              "quintile_all": est["quintile_all"]},
    )


LI_ZHOU_RELATIVE_PERFORMANCE = Check(
    name="li_zhou_relative_performance",
    title="Promotion probability rises with relative measured performance",
    source="Li and Zhou (2005), J. Public Economics 89(9-10): 1743-1762: the likelihood of "
    "promotion of provincial leaders increases with their economic performance",
    criterion="within each year's candidate pool, promotion odds rise with the z-score of the "
    "performance record, seniority controlled: slope > 0 in all 20 seeds, t-test p < 0.01; "
    "promotion rate monotone over record quintiles",
    fast=False,
    run=run_li_zhou_relative,
    figure=figures.li_zhou_quintiles,
)


def run_li_zhou_record() -> Outcome:
    """Measure the ``li_zhou_record_vs_single_year`` check (criterion and source: its Check)."""
    est = li_zhou_panel(0.6, LI_ZHOU_BASE)
    rec, ann = est["joint_record"], est["joint_annual"]
    diff = rec - ann
    p = float(stats.wilcoxon(diff, alternative="greater").pvalue)
    alt = li_zhou_panel(0.8, LI_ZHOU_BASE + 100)
    conditions = [
        Condition(
            "in a joint logit (record, this year's measured output, seniority), the record's "
            "coefficient exceeds this year's by >= 0.25 per s.d. (paired over seeds, one-sided "
            f"Wilcoxon p < {ALPHA:g})",
            f"record {fmt(rec.mean())} vs this year {fmt(ann.mean())}: difference "
            f"{fmt(diff.mean())}, {fmt_p(p)}",
            bool(p < ALPHA and diff.mean() >= 0.25),
        ),
    ]
    notes = [
        "diagnostic (not a criterion): with the arithmetic mean of measured output over the "
        "years in rank in place of the record, this year's output weighs more at the default "
        f"record_memory 0.6 (mean over tenure {fmt(est['mean_tenure'].mean())} vs this year "
        f"{fmt(est['mean_annual'].mean())}) and less at record_memory 0.8 "
        f"({fmt(alt['mean_tenure'].mean())} vs {fmt(alt['mean_annual'].mean())})",
    ]
    return Outcome(
        conditions=conditions,
        headline=f"logit coefficient of the record {fmt(rec.mean())} vs this year's output "
        f"{fmt(ann.mean())} (per s.d., joint)",
        data={"record": rec, "annual": ann, "mean_tenure": est["mean_tenure"],
              "mean_annual": est["mean_annual"], "mean_tenure_08": alt["mean_tenure"],
              "mean_annual_08": alt["mean_annual"]},
        notes=notes,
    )


LI_ZHOU_RECORD_VS_SINGLE_YEAR = Check(
    name="li_zhou_record_vs_single_year",
    title="The performance record over the tenure matters more than a single year's output",
    source="Li and Zhou (2005), J. Public Economics 89(9-10): 1743-1762: turnover is more "
    "sensitive to average performance over the tenure than to annual performance",
    criterion="joint logit over candidate pools (record, this year's measured output, "
    "seniority): record coefficient > this year's by >= 0.25 per s.d., Wilcoxon p < 0.01 "
    "over 20 seeds",
    fast=False,
    run=run_li_zhou_record,
    figure=figures.li_zhou_coefficients,
)


# --------------------------------------------------------------------------------------------
# Tu and Gong (2022): sanction-based accountability cuts open stalling, cadres play it safe
# --------------------------------------------------------------------------------------------

INTENSIFIED = {
    "regime.accountability.annual_evaluation": 0.4,  # detection of lying flat x 4
    "regime.accountability.warning_cost": 0.8,  # the sanction ladder x 2
    "regime.accountability.demotion_cost": 3.0,
    "regime.accountability.removal_cost": 8.0,
}
NO_FORMAL_CHECK = {"regime.evaluation.formalism_detection": 0.0}
#: The four action shares (they add up to 1) and bold work among the active: what the
#: accountability and deterrence checks measure.
SHARES = {
    "idle": "lying_flat", "formal": "formalism", "routine": "routine", "bold": "bold",
    "bold_active": _bold_among_active,
}


def run_tu_gong() -> Outcome:
    """Measure the ``tu_gong_accountability_shift`` check (criterion and source: its Check)."""
    base = arm_table_means({}, seeds(2000, 0), SHARES)
    strict = arm_table_means(INTENSIFIED, seeds(2000, 1), SHARES)
    base_nf = arm_table_means(NO_FORMAL_CHECK, seeds(2000, 2), SHARES)
    strict_nf = arm_table_means({**NO_FORMAL_CHECK, **INTENSIFIED}, seeds(2000, 3), SHARES)
    conditions = [
        _change("open stalling: idle share, default -> intensified",
                base["idle"], strict["idle"], 0.05, rise=False),
        _change("playing it safe: routine share", base["routine"], strict["routine"], 0.05,
                rise=True),
        _change("initiative: bold share among active cadres",
                base["bold_active"], strict["bold_active"], 0.005, rise=False, digits=4),
        _change("where formal work is not examined (formalism_detection 0), fabricated "
                "activity: formal share", base_nf["formal"], strict_nf["formal"], 0.03,
                rise=True),
    ]
    arms = {"default": base, "intensified": strict, "default, formal unexamined": base_nf,
            "intensified, formal unexamined": strict_nf}
    return Outcome(
        conditions=conditions,
        headline=f"idle {fmt(base['idle'].mean())} -> {fmt(strict['idle'].mean())}, routine "
        f"{fmt(base['routine'].mean())} -> {fmt(strict['routine'].mean())}, bold/active "
        f"{fmt(base['bold_active'].mean(), 4)} -> {fmt(strict['bold_active'].mean(), 4)}; "
        f"formal (unexamined) {fmt(base_nf['formal'].mean())} -> "
        f"{fmt(strict_nf['formal'].mean())}",
        data={"arms": {k: {s: v[s] for s in ("idle", "formal", "routine", "bold")}
                       for k, v in arms.items()}},
    )


TU_GONG_ACCOUNTABILITY_SHIFT = Check(
    name="tu_gong_accountability_shift",
    title="Sanction-based accountability cuts open stalling but shifts cadres to safe or "
    "fabricated work",
    source="Tu and Gong (2022), China Quarterly 249: 259-274: sanction-based accountability "
    "contains stalling and inaction, but flagrant shirking is replaced by playing it safe or "
    "fabricating performance information",
    criterion="detection x 4 and sanction ladder x 2 (tolerance 0): idle share falls >= 0.05, "
    "routine share rises >= 0.05, bold share of active cadres falls >= 0.005; where formal "
    "work is not examined, formal share rises >= 0.03 (Mann-Whitney p < 0.01, 20 seeds)",
    fast=False,
    run=run_tu_gong,
    figure=figures.tu_gong_shares,
)


# --------------------------------------------------------------------------------------------
# Wang (2022): intensive top-down sanctioning chills initiative
# --------------------------------------------------------------------------------------------

HARSHER = {
    "regime.accountability.warning_cost": 0.8,
    "regime.accountability.demotion_cost": 3.0,
    "regime.accountability.removal_cost": 8.0,
}


def chilling_arm(overrides: Mapping[str, Any], seed_list) -> dict[str, np.ndarray]:
    """Per seed: the chilled share of active cadres, and the bold share and real output."""
    chilled_share, bold, real = [], [], []
    for seed in seed_list:
        counts = np.zeros(2)
        yearly_bold, yearly_real = [], []

        def after(model, state, counts=counts, yearly_bold=yearly_bold, yearly_real=yearly_real):
            best, fearless = state
            counts += probes.chilling(model.cadres.action, best, fearless)
            yearly_bold.append(model.stats["bold"])
            yearly_real.append(model.stats["real_output"])

        run_stepwise(overrides, seed, probes.best_responses, after)
        chilled_share.append(counts[0] / counts[1])
        bold.append(np.mean(yearly_bold))
        real.append(np.mean(yearly_real))
    return {"chilled": np.array(chilled_share), "bold": np.array(bold), "real": np.array(real)}


def run_wang() -> Outcome:
    """Measure the ``wang_chilling_effect`` check (criterion and source: its Check)."""
    base = chilling_arm({}, seeds(3000, 0))
    harsh = chilling_arm(HARSHER, seeds(3000, 1))
    conditions = [
        _change("chilling effect: share of active cadres whose best response would be bold "
                "without the perceived sanction risk of acting, but is not, default -> "
                "sanctions x 2", base["chilled"], harsh["chilled"], 0.01, rise=True, digits=4),
        _change("initiative: bold share", base["bold"], harsh["bold"], 0.005, rise=False,
                digits=4),
    ]
    return Outcome(
        conditions=conditions,
        headline=f"chilled share of active cadres {fmt(base['chilled'].mean(), 4)} -> "
        f"{fmt(harsh['chilled'].mean(), 4)}; bold share {fmt(base['bold'].mean(), 4)} -> "
        f"{fmt(harsh['bold'].mean(), 4)}",
        data={"base": base, "harsh": harsh},
        notes=[f"real output per cadre {fmt(base['real'].mean())} -> "
               f"{fmt(harsh['real'].mean())} (not a criterion)"],
    )


WANG_CHILLING_EFFECT = Check(
    name="wang_chilling_effect",
    title="Harsher sanctions chill initiative (a 'chilling effect')",
    source="Wang (2022), Comparative Political Studies 55(11): 1807-1843: intensive top-down "
    "monitoring frightens bureaucrats away from practices they rely on and lowers productivity",
    criterion="sanction ladder x 2 (tolerance 0): the share of active cadres deterred from bold "
    "work by perceived sanction risk rises >= 0.01 and the bold share falls >= 0.005 "
    "(Mann-Whitney p < 0.01, 20 seeds)",
    fast=False,
    run=run_wang,
    figure=figures.wang_chilling,
)


# --------------------------------------------------------------------------------------------
# Holmstrom and Milgrom (1991), at model level: promotion on measured performance buys
# formalism when real output is poorly measured
# --------------------------------------------------------------------------------------------

POOR = {"regime.evaluation.precision": 0.0, "behaviour.formal_visibility": 1.0}
GOOD = {"regime.evaluation.precision": 0.9, "behaviour.formal_visibility": 1.0}
WEIGHT = "regime.promotion.performance_weight"
HM_COLUMNS = {"formal": "formalism", "real": "real_output"}


def run_hm_model() -> Outcome:
    """Measure the ``holmstrom_milgrom_promotion`` check (criterion and source: its Check)."""
    poor_lo = arm_table_means({**POOR, WEIGHT: 0.1}, seeds(4000, 0), HM_COLUMNS)
    poor_hi = arm_table_means({**POOR, WEIGHT: 0.9}, seeds(4000, 1), HM_COLUMNS)
    good_lo = arm_table_means({**GOOD, WEIGHT: 0.1}, seeds(4000, 2), HM_COLUMNS)
    good_hi = arm_table_means({**GOOD, WEIGHT: 0.9}, seeds(4000, 3), HM_COLUMNS)
    did, p = interaction(good_hi["real"], good_lo["real"], poor_hi["real"], poor_lo["real"])
    conditions = [
        _change("poor measurement (formal credit 1.0 > o_R - o_F): formal share, performance "
                "weight 0.1 -> 0.9", poor_lo["formal"], poor_hi["formal"], 0.05, rise=True),
        _change("good measurement (formal credit 0.1): formal share, the same reform",
                good_lo["formal"], good_hi["formal"], 0.03, rise=False),
        Condition(
            f"the reform's gain in real output is larger under good measurement by >= 0.05 "
            f"(difference in differences, one-sided p < {ALPHA:g})",
            f"{fmt(did)}, {fmt_p(p)}", bool(did >= 0.05 and p < ALPHA),
        ),
    ]
    arms = {"poor": (poor_lo, poor_hi), "good": (good_lo, good_hi)}
    return Outcome(
        conditions=conditions,
        headline=f"formal share, weight 0.1 -> 0.9: poor measurement "
        f"{fmt(poor_lo['formal'].mean())} -> {fmt(poor_hi['formal'].mean())}, good "
        f"{fmt(good_lo['formal'].mean())} -> {fmt(good_hi['formal'].mean())}",
        data={k: {"formal": [a["formal"] for a in v], "real": [a["real"] for a in v]}
              for k, v in arms.items()},
    )


HOLMSTROM_MILGROM_PROMOTION = Check(
    name="holmstrom_milgrom_promotion",
    title="Promotion on measured performance buys formalism when real output is poorly measured",
    source="Holmstrom and Milgrom (1991), J. Law, Economics & Organization 7: 24-52 (model "
    "level: the incentive runs through learnt promotion beliefs)",
    criterion="performance weight 0.1 -> 0.9: formal share rises >= 0.05 under poor "
    "measurement, falls >= 0.03 under good measurement; the real-output gain is >= 0.05 larger "
    "under good measurement (p < 0.01, 20 seeds per arm)",
    fast=False,
    run=run_hm_model,
    figure=figures.hm_model,
)


# --------------------------------------------------------------------------------------------
# Lazear and Rosen (1981): a larger prize raises effort; more luck lowers it
# --------------------------------------------------------------------------------------------


def eligible_effort(overrides: Mapping[str, Any], seed: int) -> float:
    """Mean effort level among cadres with a career stake.

    Mean effort level of the chosen actions among cadres with a career stake (career weight > 0 at
    the start of the year); slots refilled during the year are left out.
    """
    totals = np.zeros(2)

    def before(model):
        return decision.career_weights(model.cadres, model.config, model.regime) > 0

    def after(model, eligible, totals=totals):
        action = model.cadres.action
        seen = eligible & (action >= 0)
        effort = decision.efforts(model.config.behaviour)
        totals += (effort[action[seen]].sum(), np.count_nonzero(seen))

    run_stepwise(overrides, seed, before, after)
    return float(totals[0] / totals[1])


def _effort_levels(key: str, levels, base: int) -> list[np.ndarray]:
    return [
        np.array([eligible_effort({key: level}, s) for s in seeds(base, k)])
        for k, level in enumerate(levels)
    ]


PRIZES = (2.0, 5.0, 8.0)
NOISES = (0.1, 0.5, 2.0)


def run_lazear_rosen_prize() -> Outcome:
    """Measure the ``lazear_rosen_prize`` check (criterion and source: its Check)."""
    arms = _effort_levels("behaviour.promotion_prize", PRIZES, 5000)
    means = [float(a.mean()) for a in arms]
    conditions = [
        Condition(f"mean effort of cadres with a career stake rises with the prize {list(PRIZES)}",
                  " < ".join(fmt(m) for m in means), bool(np.all(np.diff(means) > 0))),
        _change(f"mean effort, prize {PRIZES[0]:g} -> {PRIZES[-1]:g}", arms[0], arms[-1], 0.03,
                rise=True),
    ]
    return Outcome(
        conditions=conditions,
        headline="mean effort of eligible cadres " + " -> ".join(fmt(m) for m in means)
        + f" for prize {' / '.join(f'{p:g}' for p in PRIZES)}",
        data={"levels": PRIZES, "arms": arms, "label": "promotion prize (utility)"},
    )


LAZEAR_ROSEN_PRIZE = Check(
    name="lazear_rosen_prize",
    title="A larger promotion prize raises effort",
    source="Lazear and Rosen (1981), J. Political Economy 89(5): 841-864: in a rank-order "
    "tournament effort rises with the prize spread",
    criterion="mean effort of cadres with a career stake rises monotonically over prizes "
    "2 / 5 / 8, and by >= 0.03 from 2 to 8 (Mann-Whitney p < 0.01, 20 seeds)",
    fast=False,
    run=run_lazear_rosen_prize,
    figure=figures.effort_levels,
)


def run_lazear_rosen_noise() -> Outcome:
    """Measure the ``lazear_rosen_noise`` check (criterion and source: its Check)."""
    arms = _effort_levels("regime.promotion.score_noise", NOISES, 6000)
    means = [float(a.mean()) for a in arms]
    conditions = [
        Condition(f"mean effort of cadres with a career stake falls as luck in the promotion "
                  f"score grows {list(NOISES)}",
                  " > ".join(fmt(m) for m in means), bool(np.all(np.diff(means) < 0))),
        _change(f"mean effort, score noise {NOISES[0]:g} -> {NOISES[-1]:g}", arms[0], arms[-1],
                0.03, rise=False),
    ]
    return Outcome(
        conditions=conditions,
        headline="mean effort of eligible cadres " + " -> ".join(fmt(m) for m in means)
        + f" for score noise {' / '.join(f'{p:g}' for p in NOISES)}",
        data={"levels": NOISES, "arms": arms, "label": "promotion score noise (s.d.)"},
    )


LAZEAR_ROSEN_NOISE = Check(
    name="lazear_rosen_noise",
    title="More luck in the tournament lowers effort",
    source="Lazear and Rosen (1981), J. Political Economy 89(5): 841-864: effort falls as the "
    "random component of the contest grows (the marginal return to effort is the prize times "
    "the density of the luck difference)",
    criterion="mean effort of cadres with a career stake falls monotonically over score noise "
    "0.1 / 0.5 / 2, and by >= 0.03 from 0.1 to 2 (Mann-Whitney p < 0.01, 20 seeds)",
    fast=False,
    run=run_lazear_rosen_noise,
    figure=figures.effort_levels,
)


# --------------------------------------------------------------------------------------------
# Nagin (2013): certainty of apprehension deters more than severity
# --------------------------------------------------------------------------------------------

CERTAINTY = {"regime.accountability.annual_evaluation": 0.2}  # detection 0.1 -> 0.2


def run_nagin() -> Outcome:
    """Measure the ``nagin_certainty_vs_severity`` check (criterion and source: its Check)."""
    cols = {"idle": SHARES["idle"]}
    base = arm_table_means({}, seeds(7000, 0), cols)["idle"]
    certain = arm_table_means(CERTAINTY, seeds(7000, 1), cols)["idle"]
    severe = arm_table_means(HARSHER, seeds(7000, 2), cols)["idle"]
    conditions = [
        _change("idle share, default -> detection doubled (0.1 -> 0.2)", base, certain, 0.03,
                rise=False),
        _change("idle share, sanction costs doubled -> detection doubled instead", severe,
                certain, 0.03, rise=False),
    ]
    return Outcome(
        conditions=conditions,
        headline=f"idle share {fmt(base.mean())} (default), {fmt(certain.mean())} (certainty "
        f"x 2), {fmt(severe.mean())} (severity x 2)",
        data={"arms": {"default": base, "certainty x 2": certain, "severity x 2": severe}},
    )


NAGIN_CERTAINTY_VS_SEVERITY = Check(
    name="nagin_certainty_vs_severity",
    title="Certainty of detection deters lying flat more than severity of sanctions",
    source="Nagin (2013), Crime and Justice 42: 'Deterrence in the twenty-first century': "
    "the evidence for the deterrent effect of the certainty of punishment is far more "
    "consistent than for its severity",
    criterion="doubling detection cuts the idle share by >= 0.03 and leaves it >= 0.03 below "
    "doubling all sanction costs, although both double the expected sanction of lying flat "
    "(Mann-Whitney p < 0.01, 20 seeds)",
    fast=False,
    run=run_nagin,
    figure=figures.nagin_bars,
)


# --------------------------------------------------------------------------------------------
# Career concerns fade at the end of the career: the age ceiling
# --------------------------------------------------------------------------------------------

CEILING = 50
BAND = 5
AGES = np.arange(38, 59)  # cadres aged 59 retire at the year's end


def age_run(overrides: Mapping[str, Any], seed: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Idle share of cadres just over the age ceiling minus that just under it.

    Idle share of cadres aged CEILING..CEILING+BAND-1 minus that of those aged
    CEILING-BAND..CEILING-1 (not top rank, not sanctioned at the start of the year), and idle and
    total counts by age.
    """
    idle_by_age = np.zeros(AGES.size)
    all_by_age = np.zeros(AGES.size)

    def before(model):
        c = model.cadres
        ok = (c.rank < model.config.organisation.n_ranks - 1) & (c.sanction_years == 0)
        return ok, c.age.copy()

    def after(model, state):
        ok, age = state
        action = model.cadres.action
        seen = ok & (action >= 0) & (age >= AGES[0]) & (age <= AGES[-1])
        idx = age[seen] - AGES[0]
        idle_by_age[:] += np.bincount(idx, weights=action[seen] == IDLE, minlength=AGES.size)
        all_by_age[:] += np.bincount(idx, minlength=AGES.size)

    run_stepwise(overrides, seed, before, after)
    above = (AGES >= CEILING) & (AGES < CEILING + BAND)
    below = (AGES < CEILING) & (AGES >= CEILING - BAND)
    gap = idle_by_age[above].sum() / all_by_age[above].sum() - (
        idle_by_age[below].sum() / all_by_age[below].sum()
    )
    return float(gap), idle_by_age, all_by_age


def run_age_ceiling() -> Outcome:
    """Measure the ``career_concerns_age_ceiling`` check (criterion and source: its Check)."""
    arms = {}
    for k, (name, overrides) in enumerate(
        (("no ceiling", {}), (f"ceiling {CEILING}", {"regime.promotion.age_ceiling": CEILING}))
    ):
        runs = [age_run(overrides, s) for s in seeds(8000, k)]
        arms[name] = {
            "gap": np.array([r[0] for r in runs]),
            "idle": np.array([r[1] for r in runs]),  # per seed and age: idle cadre-years
            "all": np.array([r[2] for r in runs]),  # per seed and age: cadre-years
        }
    free, capped = arms["no ceiling"]["gap"], arms[f"ceiling {CEILING}"]["gap"]
    conditions = [
        _change(f"idle share of cadres aged {CEILING}-{CEILING + BAND - 1} minus those aged "
                f"{CEILING - BAND}-{CEILING - 1}, no ceiling -> ceiling at {CEILING}", free,
                capped, 0.05, rise=True),
    ]
    return Outcome(
        conditions=conditions,
        headline=f"idle share jump at age {CEILING}: {fmt(free.mean())} without a ceiling, "
        f"{fmt(capped.mean())} with a ceiling at {CEILING}",
        data={"ages": AGES, "arms": {k: (v["idle"], v["all"]) for k, v in arms.items()},
              "ceiling": CEILING},
    )


CAREER_CONCERNS_AGE_CEILING = Check(
    name="career_concerns_age_ceiling",
    title="Effort drops for cadres whom an age ceiling bars from promotion",
    source="Gibbons and Murphy (1992), J. Political Economy 100(3): 468-505: career concerns "
    "weaken as the career's end nears; Gao (2017), J. Chinese Governance 2(2): 223-234: age "
    "limits make 'ceilinged cadres' who may not strive for promotion",
    criterion="with an age ceiling at 50, the idle share of cadres aged 50-54 exceeds that of "
    "those aged 45-49 by >= 0.05 more than without a ceiling (Mann-Whitney p < 0.01, 20 seeds)",
    fast=False,
    run=run_age_ceiling,
    figure=figures.age_profile,
)


# --------------------------------------------------------------------------------------------
# Chen, Nan and Zhong (2020): an inspection's chill outlasts it by at least a year
# --------------------------------------------------------------------------------------------

INSPECTION_YEAR = 20
#: One year of inspection: lying flat caught by annual evaluation five times as often, and by
#: public clues, then the regime as before.
INSPECTION = {
    "switch.step": INSPECTION_YEAR, "switch.back_step": INSPECTION_YEAR + 1,
    "switch.regime.accountability.annual_evaluation": 0.5,
    "switch.regime.supervision.public_clues": 0.3,
}
#: The two years after the inspection ends.
AFTER = (INSPECTION_YEAR + 1, INSPECTION_YEAR + 2)
PERSISTENCE_PATHS = ("afraid", "belief_detect", "lying_flat")


def run_inspection() -> Outcome:
    """Measure the ``chen_inspection_persistence`` check (criterion and source: its Check)."""
    never = arm_paths({}, seeds(9000, 0), PERSISTENCE_PATHS)
    inspected = arm_paths(INSPECTION, seeds(9000, 1), PERSISTENCE_PATHS)
    conditions = []
    for year in AFTER:
        when = (f"year {year}, the {('first', 'second')[year - INSPECTION_YEAR - 1]} after "
                f"the inspection of year {INSPECTION_YEAR}")
        conditions += [
            _change(f"afraid share, {when}: never inspected -> inspected",
                    never["afraid"][:, year - 1], inspected["afraid"][:, year - 1], 0.005,
                    rise=True, digits=4),
            _change(f"belief that lying flat is caught, {when}",
                    never["belief_detect"][:, year - 1],
                    inspected["belief_detect"][:, year - 1], 0.05, rise=True),
        ]
    gap = {name: inspected[name].mean(axis=0) - never[name].mean(axis=0)
           for name in PERSISTENCE_PATHS}
    first = AFTER[0] - 1
    return Outcome(
        conditions=conditions,
        headline=f"the year after a one-year inspection: afraid share "
        f"{fmt(gap['afraid'][first], 4, signed=True)}, belief that lying flat is caught "
        f"{fmt(gap['belief_detect'][first], signed=True)}, lying flat "
        f"{fmt(gap['lying_flat'][first], signed=True)}",
        data={"never": never, "inspected": inspected, "inspection_year": INSPECTION_YEAR},
        notes=[f"afraid share, inspected minus never, years {INSPECTION_YEAR}-{STEPS}: "
               + ", ".join(fmt(x, 4, signed=True)
                           for x in gap["afraid"][INSPECTION_YEAR - 1:])
               + " (not a criterion)"],
    )


CHEN_INSPECTION_PERSISTENCE = Check(
    name="chen_inspection_persistence",
    title="An inspection's chill outlasts it by at least a year",
    source="Chen, Nan and Zhong (2020), SSRN 2996009: county-level inspection visits lowered "
    "business entry, land prices and car purchases, effects lasting at least 12 months "
    "(the default memory of cases was set from this figure, so the check confirms the "
    "behaviour it was set for rather than testing it out of sample)",
    criterion="one year of inspection (year 20: annual evaluation 0.1 -> 0.5, public clues "
    "0 -> 0.3; then as before): in each of the two years after it ends, the afraid share "
    "exceeds the never-inspected arm's by >= 0.005 and the belief that lying flat is caught "
    "by >= 0.05 (Mann-Whitney p < 0.01, 20 seeds)",
    fast=False,
    run=run_inspection,
    figure=figures.inspection_paths,
)
