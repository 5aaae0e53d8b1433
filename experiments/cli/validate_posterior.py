"""``cadresim validate-posterior``: the incentive checks' effects across a calibrated posterior.

Draws particles by weight from a posterior, measures each selected check's main effect at each
draw on common seeds across its arms (``experiments.validation.across_posterior``), and writes
into ``--out``: ``draws.parquet`` (one row per draw and seed), ``summary.json``, ``report.md``
and ``effects.png``/``.pdf``. Prints the share of draws meeting each criterion. Exit 0 when done
(whatever the shares), 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.cli.argtypes import whole_number

DEFAULT_POSTERIOR = "configs/posteriors/status_quo_2018.parquet"
#: Seeds of the screen's runs: apart from every check's own (1000-9000 + 100 per arm + 0..19).
SEED_BASE = 90_000


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate-posterior`` subcommand."""
    p = subparsers.add_parser(
        "validate-posterior",
        help="measure the incentive checks' effects across a calibrated posterior",
        description="For draws from a posterior (particles drawn by weight), measure the main "
        "effect of each slow check on a response to an incentive, both arms on one seed, with "
        "the check's own population and years; report the share of draws whose effect meets "
        "the check's criterion and which parameters move each effect. About half a CPU second a "
        "draw and seed for all six effects (measured at load 2).",
    )
    p.add_argument("posterior", nargs="?", default=DEFAULT_POSTERIOR,
                   help=f"a posterior file or calibration folder (default {DEFAULT_POSTERIOR})")
    p.add_argument("--draws", type=whole_number(1, 100_000), default=200,
                   help="posterior draws (default 200)")
    p.add_argument("--seeds", type=whole_number(1, 100), default=2,
                   help="seeds per draw, shared by a check's arms (default 2)")
    p.add_argument("--only", action="append", default=[], metavar="EFFECT",
                   help="measure only this effect (repeatable, or comma-separated); see --list")
    p.add_argument("--list", action="store_true", help="list the effects and exit")
    p.add_argument("--seed", type=whole_number(0), default=1,
                   help="root seed of the particle draws (default 1)")
    p.add_argument("--workers", type=whole_number(1, 256), default=2,
                   help="worker processes (default 2)")
    p.add_argument("--out", type=Path, default=Path("results/validation/across_posterior"),
                   help="folder to write (default results/validation/across_posterior)")
    p.set_defaults(handler=cmd_validate_posterior)


def cmd_validate_posterior(args: argparse.Namespace) -> int:
    """Run the screen and write its folder; print the shares."""
    from concurrent.futures import as_completed

    import pandas as pd
    from tqdm.auto import tqdm

    from experiments.engine.executors import local_executor
    from experiments.engine.posterior import load_posterior
    from experiments.engine.storage import check_folder_or_absent
    from experiments.validation import across_posterior as ap
    from simulation.errors import ConfigError

    names = [e.name for e in ap.EFFECTS]
    if args.list:
        for e in ap.EFFECTS:
            print(f"{e.name:<20} {e.check:<28} criterion {e.threshold:+g}: {e.label}")
        return 0
    chosen = [n.strip() for value in args.only for n in value.split(",") if n.strip()] or names
    if unknown := [n for n in chosen if n not in ap.BY_NAME]:
        raise ConfigError(f"--only: got {', '.join(unknown)}; allowed: {', '.join(names)}")
    check_folder_or_absent(args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)  # before the work, so a bad path fails now
    posterior = load_posterior(args.posterior)
    particles = [posterior.particle(args.seed, r) for r in range(args.draws)]
    seeds = [SEED_BASE + s for s in range(args.seeds)]
    work = ap.tasks(posterior.values, posterior.parameters, particles, seeds, chosen)
    rows = []
    with local_executor(args.workers) as pool, tqdm(total=len(work), unit=" draw-seeds",
                                                     desc="validate-posterior",
                                                     file=sys.stderr) as bar:
        for done in as_completed([pool.submit(ap.measure_draw, t) for t in work]):
            rows.append(done.result())
            bar.update()
    table = pd.DataFrame(rows).sort_values(["draw", "seed"], ignore_index=True)
    table.insert(1, "particle", [particles[d] for d in table["draw"]])
    summary = ap.summarise(table, posterior.parameters, chosen)
    _write(args, table, summary, chosen)
    print(_text(summary))
    return 0


def _write(args, table, summary, chosen) -> None:
    import pyarrow as pa

    from experiments.engine.storage import staged_folder, write_json_atomic, write_table_atomic
    from experiments.validation import across_posterior as ap
    from experiments.validation.figures import posterior_effects

    k, n, lo, hi = summary.all_met
    facts = {
        "posterior": str(args.posterior), "draws": args.draws, "seeds": args.seeds,
        "root_seed": args.seed, "effects": summary.per_effect.to_dict("records"),
        "all_met": {"draws": k, "of": n, "share": k / n, "interval_95": [lo, hi]},
        "drivers": summary.drivers.to_dict("records"),
    }
    with staged_folder(args.out) as staging:
        write_table_atomic(pa.Table.from_pandas(table, preserve_index=False),
                           staging / "draws.parquet")
        write_json_atomic(facts, staging / "summary.json")
        (staging / "report.md").write_text(_markdown(summary, facts), encoding="utf-8")
        per_draw = table.groupby("draw")[list(chosen)].mean()
        posterior_effects(per_draw, summary.per_effect,
                          {e.name: e.label for e in ap.EFFECTS}, staging / "effects.png")


def _text(summary) -> str:
    k, n, lo, hi = summary.all_met
    lines = [f"{r.effect:<20} {r.check:<28} criterion {r.criterion:+g}  median "
             f"{r.median:+.3f}  met by {r.share_met:.1%} of draws "
             f"({r.share_low:.1%}-{r.share_high:.1%})" for r in summary.per_effect.itertuples()]
    lines.append(f"every criterion met by {k} of {n} draws ({lo:.1%}-{hi:.1%}, 95%)")
    return "\n".join(lines)


def _markdown(summary, facts) -> str:
    from experiments.validation import across_posterior as ap

    k, n, lo, hi = summary.all_met
    out = [f"# Incentive checks across `{facts['posterior']}`", "",
           f"{facts['draws']} draws by weight (root seed {facts['root_seed']}), "
           f"{facts['seeds']} seed(s) each, both arms of a check on one seed.", "",
           "| effect | check | criterion | median | 5%-95% of draws | draws meeting it (95% CI) |",
           "|---|---|---:|---:|---|---|"]
    out += [f"| {r.effect} | `{r.check}` | {r.criterion:+g} | {r.median:+.3f} | "
            f"{r.q05:+.3f} to {r.q95:+.3f} | {r.share_met:.1%} ({r.share_low:.1%}-"
            f"{r.share_high:.1%}) |" for r in summary.per_effect.itertuples()]
    out += ["", f"Every criterion met by **{k} of {n}** draws ({lo:.1%}-{hi:.1%}).", "",
            "Drivers (slope per posterior s.d. of the parameter, all jointly; |t| >= 3):", ""]
    d = summary.drivers
    if d.empty:
        out.append(f"(too few draws: the regression needs the parameters plus "
                   f"{ap.MIN_SPARE_DRAWS})")
    for name, group in d.groupby("effect", sort=False):
        strong = group[group["t"].abs() >= 3].sort_values("t", key=abs, ascending=False)
        parts = [f"{r.parameter} {r.slope_per_sd:+.4f} (t {r.t:+.1f})"
                 for r in strong.itertuples()]
        out.append(f"- {name} (R^2 {group['r2'].iloc[0]:.2f}): " + ("; ".join(parts) or "none"))
    return "\n".join(out) + "\n"
