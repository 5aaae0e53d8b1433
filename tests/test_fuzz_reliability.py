"""Fuzzing the command line as a hostile user would (issue 11): configs and overrides through
``cadresim run``, specs through ``cadresim sweep``, damaged results folders through ``analyze``,
``plot`` and a resuming ``sweep``. Each ends in exit 0 (or 1: runs recorded as failed) or the
clean exit-2 message, within a time limit, and writes nothing outside its output folder."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.cli import main
from simulation.loading import known_paths
from tests.helpers import tiny_spec

FUZZ = settings(
    max_examples=12, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Seconds one command may take on a busy machine.
LIMIT = 45

junk_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e-160, 5e-324, -0.0]),
    st.text(max_size=12), st.sampled_from(["", "a\0b", "x" * 300, "~", "/", "1e999"]),
)
junk = st.recursive(
    junk_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=3),
    max_leaves=6,
)


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    """Exit code and stderr of ``cadresim ARGV``, checked to be clean and quick."""
    capsys.readouterr()
    start = time.monotonic()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert elapsed < LIMIT, f"{argv[:3]} took {elapsed:.0f} s"
    assert "Traceback" not in err, err[-2000:]
    assert code in (0, 1, 2), code
    if code == 2:
        assert "error:" in err.splitlines()[-1] or err.startswith("cadresim: error:"), err
    return code, err


def listing(root: Path) -> set[Path]:
    """Every path under ``root``."""
    return set(root.rglob("*"))


def fresh_dir(tmp_path: Path) -> Path:
    """A new empty folder for one example, also the working directory of the command."""
    return Path(tempfile.mkdtemp(dir=tmp_path))


# --------------------------------------------------------------------------------------------
# Configs and overrides through `cadresim run`
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@settings(FUZZ, max_examples=20)
@given(
    path=st.sampled_from(sorted(known_paths())) | st.text(min_size=1, max_size=20),
    value=junk,
    in_file=st.booleans(),
)
def test_fuzzed_configs_and_overrides_end_cleanly(tmp_path, capsys, monkeypatch, path, value,
                                                   in_file):
    where = fresh_dir(tmp_path)
    monkeypatch.chdir(where)
    small = ["--set", "organisation.n_cadres=40", "--steps", "3", "--quiet"]
    if in_file:
        data: dict = {}
        node = data
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
        config = where / "config.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        argv = ["run", str(config), *small]
    else:
        argv = ["run", "default", "--set", f"{path}={json.dumps(value)}", *small]
    before = listing(where)
    run_cli(argv, capsys)
    assert listing(where) == before  # `run` writes only what --out asks for


# --------------------------------------------------------------------------------------------
# Specs through `cadresim sweep`
# --------------------------------------------------------------------------------------------

SPEC_FIELDS = ["name", "base", "regimes", "set", "design", "replications", "steps", "burn_in",
               "metrics", "series", "switch", "seed", "output", "run_timeout", "unknown"]


@pytest.mark.slow
@settings(FUZZ, max_examples=20)
@given(field=st.sampled_from(SPEC_FIELDS), value=junk,
       output=st.sampled_from(["out", "a/b", "/", "~", "", "a\0b", "x" * 300, "notempty"]))
def test_fuzzed_specs_end_cleanly_and_write_only_their_output(tmp_path, capsys, monkeypatch,
                                                              field, value, output):
    where = fresh_dir(tmp_path)
    monkeypatch.chdir(where)
    (where / "notempty").mkdir()
    (where / "notempty" / "keep.txt").write_text("precious")
    data = yaml.safe_load(Path(tiny_spec(where)).read_text())
    data.update({"replications": 1, "steps": 3, "burn_in": 0,
                 "set": {"organisation.n_cadres": 40}, "output": output, field: value})
    spec = where / "spec.yaml"
    spec.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    before = listing(where)
    root_before = set(Path("/").iterdir())
    run_cli(["sweep", str(spec), "--quiet"], capsys)
    target = data["output"]
    if target is None and isinstance(data.get("name"), str):
        target = os.path.join("results", data["name"])
    usable = isinstance(target, str) and target and "\0" not in target
    allowed = (where / target).resolve() if usable else None
    for new in listing(where) - before:
        assert allowed is not None and (new.resolve() == allowed
                                        or allowed in new.resolve().parents
                                        or new.resolve() in allowed.parents), new
    assert set(Path("/").iterdir()) == root_before
    assert (where / "notempty" / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in (where / "notempty").iterdir()) == ["keep.txt"]


# --------------------------------------------------------------------------------------------
# Damaged results folders through analyze, plot and a resuming sweep
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
    """A finished small sweep (and a second spec's, for foreign parts): their folders."""
    root = tmp_path_factory.mktemp("pristine")
    folders = []
    for name, seed in (("tiny", 11), ("other", 12)):
        data = yaml.safe_load(Path(tiny_spec(root, name=name, seed=seed)).read_text())
        data.update({"replications": 2, "steps": 3, "set": {"organisation.n_cadres": 40}})
        (root / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        assert main(["sweep", str(root / f"{name}.yaml"), "--quiet", "--chunk-size", "3"]) == 0
        folders.append(root / name)
    return folders[0], folders[1]


DAMAGES = ["truncate", "zero", "garbage", "delete", "manifest_json", "runs_file",
           "part_dir", "dangling", "duplicate", "foreign", "foreign_manifest", "series_file"]


def damage(out: Path, other: Path, kind: str, pick: int, value) -> None:  # noqa: C901 - a list
    """Apply one kind of damage to the results folder ``out``."""
    parts = sorted((out / "runs").glob("part-*")) + sorted((out / "series").glob("part-*"))
    files = [out / "manifest.json", *parts]
    target = files[pick % len(files)] if files else out / "manifest.json"
    if kind in ("truncate", "zero", "garbage") and target.is_file():
        size = target.stat().st_size
        content = {"truncate": target.read_bytes()[: pick % max(size, 1)],
                   "zero": b"\0" * size, "garbage": os.urandom(pick % 2000)}[kind]
        target.write_bytes(content)
    elif kind == "delete" and target.exists():
        target.unlink()
    elif kind == "manifest_json":
        (out / "manifest.json").write_text(json.dumps(value))
    elif kind == "runs_file" and (out / "runs").is_dir():
        shutil.rmtree(out / "runs")
        (out / "runs").write_text("x")
    elif kind == "part_dir":
        (out / "runs" / "part-0008-000001.parquet").mkdir(parents=True, exist_ok=True)
    elif kind == "dangling":
        link = out / "series" / "part-0008-000002.parquet"
        if link.parent.is_dir() and not link.is_symlink():
            link.symlink_to(out / "nowhere")
    elif kind == "duplicate" and parts:
        shutil.copy(parts[pick % len(parts)], parts[0].parent / "part-0008-000003.parquet")
    elif kind == "foreign" and (out / "runs").is_dir():
        shutil.copy(sorted((other / "runs").glob("part-*"))[0],
                    out / "runs" / "part-0008-000004.parquet")
    elif kind == "foreign_manifest":
        shutil.copy(other / "manifest.json", out / "manifest.json")
    elif kind == "series_file" and (out / "series").is_dir():
        shutil.rmtree(out / "series")
        (out / "series").write_text("x")


def damaged_copy(tmp_path: Path, pristine: tuple[Path, Path], kinds, pick, value) -> Path:
    """A copy of the pristine folder (and its spec) with the damages applied."""
    where = fresh_dir(tmp_path)
    out = where / "tiny"
    shutil.copytree(pristine[0], out, symlinks=True)
    data = yaml.safe_load((pristine[0].parent / "tiny.yaml").read_text())
    data["output"] = str(out)
    (where / "tiny.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    for kind in kinds:
        damage(out, pristine[1], kind, pick, value)
    return out


@pytest.mark.slow
@settings(FUZZ, max_examples=15)
@given(kinds=st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=3),
       pick=st.integers(0, 10_000), value=junk)
def test_damaged_results_folders_are_repaired_or_refused(tmp_path, capsys, monkeypatch,
                                                         pristine, kinds, pick, value):
    out = damaged_copy(tmp_path, pristine, kinds, pick, value)
    monkeypatch.chdir(out.parent)
    before = listing(out.parent) - listing(out)
    run_cli(["analyze", str(out)], capsys)
    code, _ = run_cli(["sweep", str(out.parent / "tiny.yaml"), "--quiet"], capsys)
    if code == 0:  # repaired: every run exactly once, readable
        import pandas as pd

        runs = pd.read_parquet(out / "runs")
        assert runs["run_id"].is_unique and len(runs) == 12
        assert run_cli(["analyze", str(out)], capsys)[0] == 0
    assert listing(out.parent) - listing(out) == before  # nothing written outside the folder


@pytest.mark.slow
@settings(FUZZ, max_examples=4)
@given(kinds=st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=2),
       pick=st.integers(0, 10_000), value=junk)
def test_plot_never_traces_back_on_a_damaged_folder(tmp_path, capsys, pristine, kinds, pick,
                                                    value):
    out = damaged_copy(tmp_path, pristine, kinds, pick, value)
    run_cli(["plot", str(out)], capsys)
