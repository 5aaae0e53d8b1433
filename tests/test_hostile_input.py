"""Hostile input: every file the command line reads, and the faults of a real machine.

Each file a command reads (a config, a spec, calibration targets and priors, a posterior, a
results folder's manifest and parts) goes through one careful reader; whatever its bytes,
encoding, nesting, YAML tags, name or kind (a FIFO, a device, a kernel file), the command ends
with exit code 2 and one message naming the file, never a traceback or a hang. A full disk, a
read-only folder or a deleted working directory is a clean message too, and leaves nothing
half-written. Commands run in this process through ``main`` (fast); an alarm turns a hang into
a failure.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.cli import main
from experiments.engine.spec import former_spec_hash, load_spec, parse_spec
from experiments.engine.storage import SPEC_HASH_KEY, part_files, part_spec_hash
from simulation.loading import MAX_YAML_DEPTH
from tests.helpers import tiny_spec
from tests.synthetic_results import write_results

#: Seconds any one command may take here before it counts as a hang.
HANG = 60
REGIMES = ["seniority_baseline", "guangdong_three_distinctions"]


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Fail (rather than wait for ever) should a command block on what it reads."""

    def hang(signum: int, frame: object) -> None:
        raise TimeoutError(f"the command did not return within {HANG} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(HANG)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def cli(argv: list[str]) -> int:
    """``cadresim ARGV`` in this process; argparse's exit is an exit code too."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], *named: str) -> str:
    """Run ``argv``; assert exit code 2, one clean message naming ``named``; return it."""
    code = cli(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("cadresim: error: "), err
    assert "Traceback" not in err
    for name in named:
        assert name in err, (name, err)
    return err


# --------------------------------------------------------------------------------------------
# Malformed config and spec files, for both `run FILE` and `sweep FILE`
# --------------------------------------------------------------------------------------------

MALFORMED = {
    "latin-1": ("seed: 1\ndescription: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    "utf-16 with a BOM": ("seed: 1\n".encode("utf-16"), "UTF-16"),
    "utf-16 big-endian": ("\ufeffseed: 1\n".encode("utf-16-be"), "UTF-16"),
    "invalid utf-8": (b"seed: 1\ndescription: \xc3\x28\xa0\xa1\n", "not UTF-8"),
    "binary": (bytes(range(256)) * 4, "binary"),
    "a NUL in text": (b"seed: 1\x00\n", "invalid YAML"),
    "a terminal escape": (b"description: \x1b[31mred\n", "invalid YAML"),
    "nested deeper than libyaml takes": (b"a: " + b"[" * 5000 + b"]" * 5000, "nesting"),
    "nested deeper than allowed": (
        b"a: " + b"[" * (MAX_YAML_DEPTH + 5) + b"]" * (MAX_YAML_DEPTH + 5), "levels deep"),
    "!!float abc": (b"seed: !!float abc\n", "invalid YAML value"),
    "!!int abc": (b"seed: !!int abc\n", "invalid YAML value"),
    "a date that is not one": (b"when: 2024-13-45\n", "invalid YAML value"),
    "!!timestamp": (b"when: !!timestamp not-a-time\n", "invalid YAML"),
    "a python tag": (b"seed: !!python/object/apply:os.system ['true']\n", "invalid YAML"),
    "a recursive alias": (b"a: &a [1, *a]\n", "recursive alias"),
    "a top-level list": (b"- 1\n- 2\n", "top level must be a mapping"),
    "a duplicate key": (b"seed: 1\nseed: 2\n", "duplicate key"),
    "unclosed quote": (b"name: 'tiny\n", "invalid YAML"),
}


@pytest.mark.parametrize("command", ["run", "sweep"])
@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_file_is_one_clean_error_naming_it(tmp_path, capsys, command, case):
    content, problem = MALFORMED[case]
    path = tmp_path / "bad file.yaml"
    path.write_bytes(content)
    err = refused(capsys, [command, str(path)], "bad file.yaml")
    assert problem in err


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, capsys, command,
                                                                   monkeypatch):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# x\n" * 300_000)  # 1.2 MB
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: opened.append(p) or real_open(p, *a, **k))
    err = refused(capsys, [command, str(path)], "big.yaml", "larger than")
    assert str(path) not in map(str, opened)
    assert "1000000 bytes" in err


# --------------------------------------------------------------------------------------------
# Names and special files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "sweep"])
@pytest.mark.parametrize("name, problem", [
    ("x" * 300 + ".yaml", "File name too long"),
    ("nowhere/" + "y" * 300 + ".yaml", ""),
    ("a\0b.yaml", "NUL"),
])
def test_names_the_filesystem_refuses_are_clean_errors(tmp_path, capsys, command, name,
                                                       problem):
    err = refused(capsys, [command, str(tmp_path / name)])
    assert problem in err


@pytest.mark.parametrize("command", ["run", "sweep"])
@pytest.mark.parametrize("suffix", [".yaml", ""])
def test_a_fifo_is_refused_without_being_opened(tmp_path, capsys, command, suffix):
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)  # nobody writes: opening it to read would block
    err = refused(capsys, [command, str(fifo)], "pipe")
    assert "not a regular file" in err


@pytest.mark.parametrize("command", ["run", "sweep"])
@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null", "/proc/self/status",
                                     "/proc/kmsg", "/proc/self/fd/0", "/sys/kernel/mm"])
def test_devices_and_kernel_files_are_refused_without_being_read(capsys, command, special):
    if not os.path.exists(special):
        pytest.skip(f"{special} does not exist here")
    refused(capsys, [command, special])


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_folder_named_like_a_yaml_file_is_refused(tmp_path, capsys, command):
    (tmp_path / "folder.yaml").mkdir()
    refused(capsys, [command, str(tmp_path / "folder.yaml")], "folder.yaml", "directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_file_one_may_not_read_is_a_clean_error(tmp_path, capsys, command):
    path = tmp_path / "secret.yaml"
    path.write_text("seed: 1\n")
    path.chmod(0)
    refused(capsys, [command, str(path)], "secret.yaml", "Permission denied")


def test_a_symlink_to_a_fifo_is_refused(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "pipe")
    refused(capsys, ["sweep", str(tmp_path / "link.yaml")], "link.yaml", "not a regular file")


# --------------------------------------------------------------------------------------------
# The other readers: calibration targets and priors, posteriors, results folders, --out
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda p: os.mkfifo(p),
    lambda p: p.write_bytes(b"\xff\xfe\x00\x01binary"),
    lambda p: p.write_bytes(b"name: !!float abc\n"),
    lambda p: p.write_bytes(b"a: " + b"[" * 2000 + b"]" * 2000),
])
def test_calibration_targets_and_priors_files_are_read_carefully(tmp_path, capsys, make):
    bad = tmp_path / "bad.yaml"
    make(bad)
    out = tmp_path / "out"
    refused(capsys, ["calibrate", str(bad), "--out", str(out)], "bad.yaml")
    targets = Path(__file__).resolve().parents[1] / "configs/targets/peoples_tribune_2015_2018.yaml"
    refused(capsys, ["calibrate", str(targets), "--priors", str(bad), "--out", str(out)],
            "bad.yaml")


@pytest.mark.parametrize("make", [
    lambda p: os.mkfifo(p),
    lambda p: p.write_bytes(b"PAR1 not parquet at all"),
    lambda p: p.mkdir(),
])
def test_a_posterior_that_cannot_be_read_is_a_clean_error(tmp_path, capsys, make):
    bad = tmp_path / "posterior.parquet"
    make(bad)
    spec = tiny_spec(tmp_path, posterior=str(bad))
    refused(capsys, ["sweep", spec], "posterior")


def test_a_posterior_under_proc_is_refused_without_being_read(tmp_path, capsys):
    spec = tiny_spec(tmp_path, posterior="/proc/self/status")
    refused(capsys, ["sweep", spec], "posterior", "kernel file")


def synthetic(folder: Path, **kwargs) -> Path:
    """A small results folder of two regimes (inaction 0.3 and 0.4)."""

    def values(point, params, rep, rng):
        return {"inaction": rng.normal(0.3 + 0.1 * point, 0.01), "bold": rng.normal(0.2, 0.01)}

    return write_results(folder, [{"regime": r} for r in REGIMES], values, replications=4,
                         spec={"regimes": REGIMES}, **kwargs)


@pytest.mark.parametrize("command", ["analyze", "plot"])
@pytest.mark.parametrize("damage", [
    lambda m: os.mkfifo(m),
    lambda m: m.write_bytes(b"\xff\xfe{\x00}\x00"),
    lambda m: m.write_text("[" * 100_000 + "]" * 100_000),
    lambda m: m.write_text("[1, 2]"),
])
def test_a_manifest_that_cannot_be_read_is_a_clean_error(tmp_path, capsys, command, damage):
    folder = synthetic(tmp_path / "res")
    (folder / "manifest.json").unlink()
    damage(folder / "manifest.json")
    refused(capsys, [command, str(folder)], "manifest.json")


def rewrite_part(folder: Path, change) -> None:
    """Apply ``change`` to the first runs/ part's table and write it back."""
    part = part_files(folder)[0]
    table = pd.read_parquet(part)
    change(table).to_parquet(part, index=False)


@pytest.mark.parametrize("command", ["analyze", "plot"])
@pytest.mark.parametrize("column", ["point", "inaction"])
def test_a_part_storing_a_column_as_text_is_a_clean_error(tmp_path, capsys, command, column):
    folder = synthetic(tmp_path / "res")
    rewrite_part(folder, lambda t: t.assign(**{column: t[column].astype(str)}))
    err = refused(capsys, [command, str(folder)], "runs/part-", repr(column))
    assert "damaged" in err


@pytest.mark.parametrize("command", ["analyze", "plot"])
@pytest.mark.parametrize("field, value", [
    (("burn_in",), "5"), (("switch", "step"), "3"), (("steps",), 2.5), (("switch",), [1]),
    (("smallest_effect",), {"inaction": "big"}),
])
def test_a_manifest_field_of_the_wrong_type_is_a_clean_error(tmp_path, capsys, command, field,
                                                             value):
    folder = synthetic(tmp_path / "res")
    manifest = json.loads((folder / "manifest.json").read_text())
    spec = manifest["spec"]
    if len(field) == 2:
        spec[field[0]] = {"step": 3, "preset": REGIMES[1]}
    spec_entry = spec[field[0]] if len(field) == 2 else spec
    spec_entry[field[-1]] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    refused(capsys, [command, str(folder)], "manifest.json", field[-1])


@pytest.mark.parametrize("command, name", [("analyze", "analysis"), ("plot", "figures")])
def test_an_analysis_or_figures_that_is_a_file_is_refused(tmp_path, capsys, command, name):
    folder = synthetic(tmp_path / "res")
    (folder / name).write_text("not a folder")
    refused(capsys, [command, str(folder)], name, "not a folder")
    assert (folder / name).read_text() == "not a folder"


@pytest.mark.parametrize("command", ["analyze", "plot"])
@pytest.mark.parametrize("given", ["", "z" * 300])
def test_an_empty_or_over_long_results_path_is_a_clean_error(capsys, command, given):
    refused(capsys, [command, given])


# --------------------------------------------------------------------------------------------
# Faults of the machine: a full disk, a read-only folder, a deleted working directory
# --------------------------------------------------------------------------------------------


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "somewhere")


def test_analyze_on_a_full_disk_leaves_the_earlier_tables_and_nothing_half_written(
    tmp_path, capsys, monkeypatch
):
    folder = synthetic(tmp_path / "res")
    assert cli(["analyze", str(folder)]) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in (folder / "analysis").iterdir()}
    # The disk fills after the first table (CSV) is written, at the first Markdown file.
    monkeypatch.setattr(Path, "write_text", full_disk)
    err = refused(capsys, ["analyze", str(folder)], "No space left on device", "free some space")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in (folder / "analysis").iterdir()} == before
    assert not [p for p in folder.iterdir() if p.name.startswith(".staging")]
    assert "Traceback" not in err
    assert cli(["analyze", str(folder)]) == 0  # once space is freed, it completes


def test_plot_on_a_read_only_folder_is_a_clean_error_and_writes_nothing(
    tmp_path, capsys, monkeypatch
):
    folder = synthetic(tmp_path / "res")

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder))

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    refused(capsys, ["plot", str(folder)], str(folder), "read-only")
    assert not (folder / "figures").exists()


def test_plot_on_a_full_disk_leaves_no_figure_half_written(tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    folder = synthetic(tmp_path / "res")
    saved = Figure.savefig
    calls = []

    def fill_up(self, fname, *args, **kwargs):
        calls.append(fname)
        if len(calls) > 2:  # two files written whole, then the disk is full
            Path(fname).write_bytes(b"half a PNG")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(fname))
        return saved(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", fill_up)
    refused(capsys, ["plot", str(folder)], "No space left on device")
    assert not (folder / "figures").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".staging")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes whatever a folder's mode")
def test_analyze_in_a_folder_one_may_not_write_is_a_clean_error(tmp_path, capsys):
    folder = synthetic(tmp_path / "res")
    folder.chmod(0o555)
    try:
        refused(capsys, ["analyze", str(folder)], "Permission denied")
    finally:
        folder.chmod(0o755)


def test_run_out_on_a_full_disk_leaves_no_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "table.parquet"

    def fill_up(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1 half")
        # PyArrow's wording: the error number only in the text
        raise OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fill_up)
    refused(capsys, ["run", "seniority_baseline", "--set", "organisation.n_cadres=40",
                     "--steps", "2", "--quiet", "--out", str(out)],
            "--out", "table.parquet", "No space left on device")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("flag", ["--out", "--snapshot-out"])
def test_an_empty_output_file_name_is_refused(capsys, flag):
    extra = ["--snapshot-at", "1"] if flag == "--snapshot-out" else []
    refused(capsys, ["run", "seniority_baseline", "--steps", "2", flag, "", *extra], flag)


def test_a_sweep_on_a_full_disk_is_a_clean_error_and_resumes_exactly(tmp_path, capsys,
                                                                      monkeypatch):
    import experiments.engine.storage as storage

    spec = tiny_spec(tmp_path, replications=2)
    out = Path(load_spec(spec).output_dir)
    real = storage.write_table_atomic
    written = []

    def fill_up(table, path):
        if len(written) >= 4:  # two runs/ and two series/ parts, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        written.append(path)
        return real(table, path)

    monkeypatch.setattr(storage, "write_table_atomic", fill_up)
    err = refused(capsys, ["sweep", spec, "--in-process", "--quiet", "--chunk-size", "2"],
                  "No space left on device", "rerun the same command")
    assert "Traceback" not in err
    monkeypatch.undo()
    assert not list(out.rglob(".*.tmp"))
    assert cli(["sweep", spec, "--in-process", "--quiet"]) == 0
    capsys.readouterr()
    runs = pd.read_parquet(out / "runs")
    assert len(runs) == 12 and runs["run_id"].is_unique


def test_a_command_from_a_deleted_working_directory_is_a_clean_error(tmp_path, capsys,
                                                                     monkeypatch):
    spec = tiny_spec(tmp_path)
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    for argv in (["sweep", spec], ["run", spec], ["analyze", str(tmp_path)]):
        refused(capsys, argv, "working directory")


# --------------------------------------------------------------------------------------------
# output: paths
# --------------------------------------------------------------------------------------------

TINY = {"name": "tiny", "steps": 3, "set": {"organisation.n_cadres": 40}}


def test_output_expands_the_home_folder_and_is_made_absolute(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert parse_spec({**TINY, "output": "~/x"}).output_dir == str(tmp_path / "home" / "x")
    monkeypatch.chdir(tmp_path)
    assert parse_spec({**TINY, "output": "res/x"}).output_dir == str(tmp_path / "res" / "x")
    assert parse_spec(TINY).output_dir == str(tmp_path / "results" / "tiny")


@pytest.mark.parametrize("output, problem", [
    ("a\nb", "control characters"), ("res/\x1b[31mred", "control characters"),
    ("res\tx", "control characters"), ("res/\u202eevil", "control characters"),
    ("~no_such_user_here_42/x", "names no home folder"), ("   ", "not empty"),
])
def test_output_paths_that_cannot_be_shown_or_placed_are_refused(output, problem):
    with pytest.raises(ValueError, match="output") as caught:
        parse_spec({**TINY, "output": output})
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value).split("output: ")[1].split(";")[0]


def test_a_tilde_output_is_refused_on_the_command_line_with_its_field(tmp_path, capsys):
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({**TINY, "output": "a\nb\x1b[2J"}))
    err = refused(capsys, ["sweep", str(spec)], "output")
    assert "\x1b" not in err


def test_the_spec_hash_leaves_out_where_the_results_go():
    assert parse_spec({**TINY, "output": "a"}).spec_hash() == \
        parse_spec({**TINY, "output": "b/c"}).spec_hash() == parse_spec(TINY).spec_hash()
    assert parse_spec({**TINY, "steps": 4}).spec_hash() != parse_spec(TINY).spec_hash()


def sweep_quietly(capsys, spec: str) -> str:
    """Run the spec in this process; return its stdout (asserting it succeeded)."""
    code = cli(["sweep", spec, "--in-process", "--quiet"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_a_moved_results_folder_resumes_once_output_points_at_it(tmp_path, capsys):
    spec = tiny_spec(tmp_path, replications=1)
    sweep_quietly(capsys, spec)
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(tmp_path / "tiny", moved)
    data = yaml.safe_load(Path(spec).read_text())
    Path(spec).write_text(yaml.safe_dump({**data, "output": str(moved)}))
    assert "(0 in this session" in sweep_quietly(capsys, spec)
    assert cli(["analyze", str(moved)]) == 0


def test_a_folder_written_with_the_former_hash_still_resumes_and_is_analysed(tmp_path, capsys):
    spec = tiny_spec(tmp_path, replications=1)
    sweep_quietly(capsys, spec)
    out = tmp_path / "tiny"
    # Make it as the code before this change wrote it: output inside the hash.
    former = former_spec_hash(load_spec(spec).as_data())
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["spec_hash"] = former
    (out / "manifest.json").write_text(json.dumps(manifest))
    parts = part_files(out) + part_files(out, "series")
    for part in parts:
        table = pq.read_table(part)
        pq.write_table(table.replace_schema_metadata(
            {**table.schema.metadata, SPEC_HASH_KEY: former.encode()}), part)
    assert cli(["analyze", str(out)]) == 0  # read as it is
    capsys.readouterr()
    assert "(0 in this session" in sweep_quietly(capsys, spec)
    today = load_spec(spec).spec_hash()
    assert {part_spec_hash(p) for p in parts} == {today}
    assert json.loads((out / "manifest.json").read_text())["spec_hash"] == today
    assert "(0 in this session" in sweep_quietly(capsys, spec)  # and again


# --------------------------------------------------------------------------------------------
# Fuzzed bytes
# --------------------------------------------------------------------------------------------

VALID_CONFIG = b"organisation:\n  n_cadres: 30\nsteps: 2\nseed: 5\n"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_fuzzed_bytes_as_a_spec_are_a_clean_error(tmp_path, capsys, raw):
    path = tmp_path / "fuzzed.yaml"
    path.write_bytes(raw)
    refused(capsys, ["sweep", str(path)], "fuzzed.yaml")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(VALID_CONFIG) - 1), st.integers(0, 7)),
                min_size=1, max_size=4))
def test_a_config_with_flipped_bits_runs_or_is_a_clean_error(tmp_path, capsys, flips):
    raw = bytearray(VALID_CONFIG)
    for index, bit in flips:
        raw[index] ^= 1 << bit
    path = tmp_path / "flipped.yaml"
    path.write_bytes(bytes(raw))
    code = cli(["run", str(path), "--steps", "2", "--quiet", "--json"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code == 0 or (code == 2 and err.startswith("cadresim: error: ")), err
