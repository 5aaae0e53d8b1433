"""How many cadres read promotion backwards, with and without the unit's record and the list.

The promotion belief is learnt from each unit's candidates and promotions kept at
``learning.promotion_memory``, plus the average unit's, weighted
``learning.published_promotions`` (docs/ODD.md 7.5.2). At memory 0 and weight 0 the statistic is
one year's in one unit, a handful of candidates, and many cadres come to believe that promotion
rewards the bottom half of records. For each variant this runs ``--runs`` seeds of the defaults
(the same seeds for every variant, so the runs share their random numbers) and reports, over the
kept years, the share of cadres with a negative belief, the mean belief and inaction, with the
standard error over seeds:

    python -m benchmarks.promotion_record    # one year alone, the record, record and list; 8 seeds

Prints a Markdown table; nothing is written.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulation import CadreModel, load_config


def measure(memory: float, published: float, seed: int, cadres: int, steps: int, burn_in: int
            ) -> dict[str, float]:
    """One run's means over its kept years: negative-belief share, mean belief, inaction."""
    config = load_config(overrides={"learning.promotion_memory": memory,
                                    "learning.published_promotions": published,
                                    "organisation.n_cadres": cadres, "steps": steps})
    model = CadreModel(config, seed=seed)
    negative, mean = [], []
    for year in range(1, steps + 1):
        model.step()
        if year > burn_in:
            belief = model.cadres.belief_promote
            negative.append(float((belief < 0).mean()))
            mean.append(float(belief.mean()))
    inaction = float(model.results_table()["inaction"].iloc[burn_in:].mean())
    return {"negative": float(np.mean(negative)), "belief": float(np.mean(mean)),
            "inaction": inaction}


def main(argv: list[str] | None = None) -> None:
    """Run the table (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=float, nargs="+", default=None,
                        help="promotion memories to compare, each at every --published weight "
                        "(default: 0 and the default memory without the list, then both defaults)")
    parser.add_argument("--published", type=float, nargs="+", default=None,
                        help="weights of the published promotions (with --memories)")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--cadres", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--burn-in", type=int, default=10)
    args = parser.parse_args(argv)
    learning = load_config().learning
    if args.memories is None and args.published is None:
        variants = [(0.0, 0.0), (learning.promotion_memory, 0.0),
                    (learning.promotion_memory, learning.published_promotions)]
    else:
        variants = [(m, w) for m in (args.memories or [learning.promotion_memory])
                    for w in (args.published or [learning.published_promotions])]
    start, cpu = time.perf_counter(), time.process_time()
    print("| promotion memory | published promotions | cadres with a negative belief "
          "| mean belief | inaction |")
    print("|---:|---:|---:|---:|---:|")
    for memory, published in variants:
        rows = [measure(memory, published, seed, args.cadres, args.steps, args.burn_in)
                for seed in range(args.runs)]
        cells = []
        for key in ("negative", "belief", "inaction"):
            values = np.array([row[key] for row in rows])
            cells.append(f"{values.mean():.3f} ± {values.std(ddof=1) / np.sqrt(values.size):.3f}")
        print(f"| {memory:g} | {published:g} | " + " | ".join(cells) + " |")
    print(f"\n{args.runs} runs per variant, {args.cadres} cadres, {args.steps} years, the first "
          f"{args.burn_in} left out; mean ± s.e. over seeds; "
          f"{time.perf_counter() - start:.0f} s wall, {time.process_time() - cpu:.0f} s CPU")


if __name__ == "__main__":
    main()
