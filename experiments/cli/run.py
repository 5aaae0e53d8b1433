"""``cadresim run CONFIG``: run one configuration and print its summary.

The model, pandas and PyArrow are imported when the command runs, not when the parser is built,
so ``cadresim --help`` and a bad config answer without them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from time import perf_counter
from typing import TYPE_CHECKING

from experiments.cli.argtypes import whole_number
from simulation.burn_in import DEFAULT_BURN_IN, default_burn_in
from simulation.errors import ConfigError
from simulation.loading import clip, field_info, load_config, shown

if TYPE_CHECKING:
    from simulation.config import ModelConfig
    from simulation.model import CadreModel

#: Longest file or folder name most filesystems take, in bytes.
NAME_MAX = 255

#: Runs of at least this many cadre-years (cadres x years) print an estimate of their duration
#: first, however fast the machine; those estimated over LONG_RUN seconds show a progress bar too.
ESTIMATE_FROM = 2_000_000
LONG_RUN = 5.0

positive_int = whole_number(1)
#: --steps is bounded as the config's steps field is.
MAX_STEPS = next(m.le for m in field_info("steps").metadata if getattr(m, "le", None))
steps_number = whole_number(1, MAX_STEPS)
seed_number = whole_number(0, 2**32 - 1)
non_negative_int = whole_number(0)


def _steps_list(text: str) -> list[int]:
    try:
        steps = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, got {text!r}"
        ) from None
    if not steps or steps[0] < 1:
        raise argparse.ArgumentTypeError(f"steps must be 1 or more, got {text!r}")
    return steps


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    run = subparsers.add_parser(
        "run",
        help="run one configuration and print its summary",
        description="Run one configuration (a YAML file or a preset name) and print a summary.",
    )
    run.add_argument("config", metavar="CONFIG", help="YAML file or preset name (see `regimes`)")
    run.add_argument(
        "--steps", type=steps_number, help=f"years to simulate, 1 to {MAX_STEPS} (default: config)"
    )
    run.add_argument("--seed", type=seed_number, help="random seed (default: config)")
    run.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a field, e.g. --set regime.promotion.min_tenure=2 (repeatable)",
    )
    run.add_argument(
        "--burn-in", type=non_negative_int, default=None, metavar="B",
        help=f"leave the first B years out of the means (default {DEFAULT_BURN_IN}, as in "
        "sweeps; half the run if it is shorter than twice that)",
    )
    run.add_argument("--out", metavar="FILE.parquet", help="write the per-step table here")
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    run.add_argument(
        "--snapshot-at", type=_steps_list, default=[], metavar="T1,T2",
        help="keep every cadre's state after these steps (needs --snapshot-out)",
    )
    run.add_argument(
        "--snapshot-out", metavar="FILE.parquet",
        help="write the snapshots here, one row per (step, cadre)",
    )
    run.add_argument(
        "--split-sensitivity", action="store_true",
        help="also rerun the same seed over 9 pairs of the split's reference levels and report "
        "each cause's band (the choices do not change, only the attribution)",
    )
    run.add_argument(
        "--quiet", action="store_true", help="no time estimate or progress bar on stderr"
    )
    run.set_defaults(handler=cmd_run)


def estimate_run_seconds(config: ModelConfig, steps: int, sample_cadres: int = 20_000) -> float:
    """Seconds a run of ``config`` for ``steps`` years should take on this machine.

    Times a small model of the same config (construction and three steps, after one warm-up
    step) and scales both linearly in the number of cadres.
    """
    from simulation.model import CadreModel

    n = config.organisation.n_cadres
    small = min(n, sample_cadres)
    sample = config.model_copy(
        update={"organisation": config.organisation.model_copy(update={"n_cadres": small})}
    )
    start = perf_counter()
    model = CadreModel(sample)
    build = perf_counter() - start
    model.step()
    start = perf_counter()
    for _ in range(3):
        model.step()
    per_step = (perf_counter() - start) / 3
    return (build + per_step * steps) * n / small


def _check_flags(args: argparse.Namespace, steps: int) -> None:
    """Refuse flag combinations that cannot work, before anything runs."""
    if args.burn_in >= steps:
        raise ConfigError(f"--burn-in: got {args.burn_in}; allowed: 0 to {steps - 1} (< --steps)")
    for flag, path in (("--out", args.out), ("--snapshot-out", args.snapshot_out)):
        if path is not None and not path.endswith(".parquet"):  # "" included
            raise ConfigError(f"{flag}: got {shown(path)}; allowed: a path ending in .parquet")
        if path is not None:
            check_file_path(flag, path)
    if bool(args.snapshot_at) != (args.snapshot_out is not None):
        raise ConfigError("--snapshot-at and --snapshot-out go together")
    if args.snapshot_at and args.snapshot_at[-1] > steps:
        raise ConfigError(
            f"--snapshot-at: got step {args.snapshot_at[-1]}; allowed: 1 to {steps} (--steps)"
        )


def check_file_path(flag: str, path: str) -> None:
    """Refuse an output file path that cannot be written, before anything runs.

    A missing folder is fine (``write_tables`` creates it); one below a file is not.
    """
    import unicodedata

    from experiments.engine.spec import BIDI_CONTROLS

    if "\0" in path:
        raise ConfigError(f"{flag}: got {shown(path)}; allowed: a path without NUL characters")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI_CONTROLS for c in path):
        raise ConfigError(f"{flag}: got {shown(path)}; allowed: a path without control "
                          "characters (newlines, tabs, terminal escapes)")
    too_long = [part for part in path.split(os.sep) if len(os.fsencode(part)) > NAME_MAX]
    if too_long:
        raise ConfigError(
            f"{flag}: got {shown(path)}; allowed: file and folder names of at most {NAME_MAX} "
            "bytes"
        )
    if os.path.isdir(path):
        raise ConfigError(f"{flag}: got {shown(path)}, an existing folder; allowed: a file path")
    ancestor = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise ConfigError(f"{flag}: got {shown(path)}; {shown(ancestor)} is a file, not a folder")


def make_parent(path: str) -> str | None:
    """Create the folder ``path`` goes into if it is missing; return it when it was created."""
    parent = os.path.dirname(path)
    if not parent or os.path.isdir(parent):
        return None
    os.makedirs(parent, exist_ok=True)
    return parent


def duration_text(seconds: float) -> str:
    """A duration as a reader wants it: ``under 1 s``, ``about 40 s``, ``about 3.5 min``."""
    if seconds < 1:
        return "under 1 s"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    return f"about {seconds / 60:.1f} min"


def _announce_long_run(args: argparse.Namespace, config: ModelConfig, steps: int) -> bool:
    """Print a time estimate for a run of ESTIMATE_FROM cadre-years or more.

    Returns True when the run deserves a progress bar (estimated over LONG_RUN seconds).
    """
    cadre_years = config.organisation.n_cadres * steps
    if args.quiet or cadre_years < ESTIMATE_FROM:
        return False
    estimate = estimate_run_seconds(config, steps)
    from experiments.engine.yardstick import ABLE_ENOUGH_SUCCESS, MOTIVATED_ENOUGH_COVER

    reruns = len(ABLE_ENOUGH_SUCCESS) * len(MOTIVATED_ENOUGH_COVER)
    also = f", then as long again for each of the {reruns} split-sensitivity reruns" \
        if args.split_sensitivity else ""
    print(
        f"cadresim: {steps} years of {config.organisation.n_cadres:,} cadres "
        f"({cadre_years:,} cadre-years): {duration_text(estimate)} on this machine{also}",
        file=sys.stderr, flush=True,
    )
    return estimate > LONG_RUN


def write_tables(args: argparse.Namespace, model: CadreModel) -> list[str]:
    """Write the per-step table (``--out``) and the snapshots (``--snapshot-out``) if asked.

    Returns the folders it had to create for them (a fresh clone has no ``results/``).
    """
    outputs = [(path, flag, make) for path, flag, make in (
        (args.out, "--out", model.results_table),
        (args.snapshot_out, "--snapshot-out", model.snapshots_table),
    ) if path]
    if not outputs:
        return []
    from experiments.cli.faults import fault_message
    from experiments.engine.storage import write_parquet_atomic

    created = []
    for path, flag, make in outputs:
        try:
            folder = make_parent(path)
            created += [folder] if folder else []
            write_parquet_atomic(make(), path, "per_step" if flag == "--out" else "snapshots")
        except (OSError, ValueError) as exc:
            fault = fault_message(exc, path) if isinstance(exc, OSError) else None
            reason = fault or f"cannot write {shown(path)}: {clip(str(exc))}"
            raise ConfigError(f"{flag}: {reason}") from None
    return created


def split_report(
    config: ModelConfig, seed: int, steps: int, burn_in: int
) -> tuple[list[dict], str]:
    """``--split-sensitivity``: each cause's band (as JSON records, and as printed)."""
    from experiments.engine.yardstick import format_split_band, split_band, split_sensitivity

    band = split_band(split_sensitivity(config, seed, steps, burn_in), config)
    return band.to_dict(orient="records"), format_split_band(band)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the configuration, write the tables asked for, print the summary."""
    config = load_config(args.config, args.overrides)
    steps = args.steps or config.steps
    burn_in_named = args.burn_in is not None
    if not burn_in_named:
        args.burn_in = default_burn_in(steps)
    _check_flags(args, steps)
    from experiments.analysis.summary import format_summary, shown_values, summarise, units
    from experiments.engine.yardstick import ABLE_ENOUGH_SUCCESS, MOTIVATED_ENOUGH_COVER
    from simulation import kernels

    # One run (and its split-sensitivity reruns) in this process: small ones skip Numba.
    runs = 1 + (len(ABLE_ENOUGH_SUCCESS) * len(MOTIVATED_ENOUGH_COVER)
                if args.split_sensitivity else 0)
    kernels.prefer_for_one_run(config.organisation.n_cadres * steps * runs)
    long_run = _announce_long_run(args, config, steps)
    from simulation.model import CadreModel

    model = CadreModel(config, seed=args.seed, snapshot_steps=args.snapshot_at)
    table = model.run(steps, progress=long_run)
    summary = summarise(table, burn_in=args.burn_in)
    created = write_tables(args, model)
    for folder in created:  # on stderr, so that --json stays one object on stdout
        print(f"cadresim: created folder {shown(folder)}", file=sys.stderr)
    band = None
    if args.split_sensitivity:
        band = split_report(config, model.seed, steps, args.burn_in)
    if args.json:
        record = {
            "config": config.name,
            "seed": model.seed,
            "steps": steps,
            "n_cadres": config.organisation.n_cadres,
            "burn_in": args.burn_in,
            "burn_in_default": not burn_in_named,
            **summary,
            "shown": shown_values(summary),
            "units": units(summary),
        }
        if band is not None:
            record["split_sensitivity"] = band[0]
        print(json.dumps(record))
        return 0
    header = (
        f"{config.name}: {config.organisation.n_cadres} cadres, {steps} years, "
        f"seed {model.seed}; means over years {args.burn_in + 1}-{steps} "
        f"(burn-in {args.burn_in}{'' if burn_in_named else ', the default'})"
    )
    print(format_summary(summary, header=header))
    if band is not None:
        print(band[1])
    if args.out:
        print(f"per-step table written to {args.out}")
    if args.snapshot_out:
        print(f"snapshots of steps {args.snapshot_at} written to {args.snapshot_out}")
    return 0
