"""Every notebook runs top to bottom on small parameters.

Each notebook in ``NOTEBOOKS`` has a cell tagged ``parameters`` (papermill style); the test
injects the small values in a new cell right after it (tagged ``injected-parameters``) and
executes the notebook with nbclient in a kernel running this interpreter (the project's venv).

Notebooks that read stored sweep results (``SWEEPS``) get a tiny sweep of their own first: the
test writes the spec to ``tmp_path``, runs ``cadresim sweep`` on it in-process and passes the
results folder in as ``RESULTS``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[notebooks]'")
nbclient = pytest.importorskip("nbclient", reason="pip install -e '.[notebooks]'")
pytest.importorskip("ipykernel", reason="pip install -e '.[notebooks]'")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
#: Notebook file -> the small parameter values the test runs it with.
NOTEBOOKS: dict[str, dict[str, object]] = {
    "01_single_run.ipynb": {"N_CADRES": 200, "YEARS": 5},
    "02_regime_comparison.ipynb": {},  # RESULTS: the tiny sweep below
    "03_sensitivity.ipynb": {},  # RESULTS: the tiny sweep below
    "04_calibration.ipynb": {"N_CADRES": 40, "BURN_IN": 2, "POPULATION": 6,
                             "PPC_DRAWS": 3, "DRAWS": 2, "REGIMES": ["strict_accountability"]},
    "05_policy_search.ipynb": {  # RESULTS: the tiny sweep below
        "OVERRIDES": {"name": "tiny_notebook_search", "budget": {"generations": 2, "population": 4},
                      "replications": 2, "reevaluate": 3, "steps": 5, "burn_in": 1,
                      "set": {"organisation.n_cadres": 80}},
        "WORKERS": 1,
    },
}
#: Notebook file -> its parameter naming the folder it writes (default: a temporary folder).
WRITES_TO: dict[str, str] = {"04_calibration.ipynb": "OUT", "05_policy_search.ipynb": "OUT"}
#: Notebook file -> the experiment spec of the tiny sweep whose results folder it reads (RESULTS).
SWEEPS: dict[str, dict[str, object]] = {
    "02_regime_comparison.ipynb": {  # 3 regimes x 2 replications: 6 runs
        "name": "tiny_regime_comparison",
        "regimes": ["seniority_baseline", "guangdong_three_distinctions", "care_and_training"],
        "set": {"organisation.n_cadres": 60},
        "replications": 2,
        "steps": 5,
        "burn_in": 1,
        "seed": 1,
    },
    "03_sensitivity.ipynb": {  # Saltelli sample: 8 x (3 + 2) = 40 runs
        "name": "tiny_sobol",
        "set": {"organisation.n_cadres": 60},
        "design": {"kind": "sobol", "samples": 8, "parameters": {
            "regime.accountability.annual_evaluation": [0.0, 0.5],
            "regime.fault_tolerance.tolerance": [0.0, 1.0],
            "regime.support.training": [0.0, 0.05],
        }},
        "replications": 1,
        "steps": 5,
        "burn_in": 1,
        "seed": 5,
        "metrics": ["inaction", "unwilling", "unable", "afraid", "formalism", "bold",
                    "wrongful_sanctions"],
    },
    "05_policy_search.ipynb": {  # Latin hypercube: 24 points x 1 replication, for discovery
        "name": "tiny_discovery",
        "set": {"organisation.n_cadres": 60},
        "design": {"kind": "lhs", "samples": 24, "parameters": {
            "regime.fault_tolerance.tolerance": [0.0, 1.0],
            "regime.support.burden": [0.0, 1.0],
        }},
        "replications": 1,
        "steps": 5,
        "burn_in": 1,
        "seed": 5,
        "metrics": ["inaction", "unwilling", "unable", "afraid"],
    },
}
KERNEL = "cadresim-test"
CELL_TIMEOUT = 120  # seconds for any one cell; the whole notebook takes a few seconds


def inject_parameters(nb, values: dict[str, object]):
    """Insert an ``injected-parameters`` cell with ``values`` after the ``parameters`` cell."""
    tagged = [i for i, cell in enumerate(nb.cells)
              if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "a notebook needs exactly one cell tagged 'parameters'"
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    defined = nb.cells[tagged[0]].source
    for name in values:
        assert f"{name} =" in defined, f"{name} is not a parameter of this notebook"
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(tagged[0] + 1, cell)
    return nb


def tiny_sweep(spec: dict[str, object], folder: Path) -> Path:
    """Run ``spec`` with ``cadresim sweep`` (in this process) into ``folder``; the results path."""
    from experiments.cli import main

    out = folder / str(spec["name"])
    spec_path = folder / f"{spec['name']}.yaml"
    spec_path.write_text(yaml.safe_dump({**spec, "output": str(out)}, sort_keys=False))
    assert main(["sweep", str(spec_path), "--quiet"]) == 0
    return out


@pytest.fixture
def venv_kernel(tmp_path, monkeypatch) -> str:
    """A kernelspec that starts this interpreter (the venv's python), found via JUPYTER_PATH."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "CadreSim test kernel",
        "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    # the kernel's history and connection files go here too, not into the home folder
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return KERNEL


def test_every_notebook_is_listed():
    on_disk = {path.name for path in NOTEBOOK_DIR.glob("*.ipynb")}
    assert on_disk == set(NOTEBOOKS), "add new notebooks to NOTEBOOKS with small parameters"
    assert set(SWEEPS) <= set(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, cell.source[:60]


def execute(name: str, values: dict[str, object], kernel: str):
    """Run notebook ``name`` with ``values`` injected; the executed notebook (no cell erred)."""
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    inject_parameters(nb, values)
    client = nbclient.NotebookClient(
        nb, kernel_name=kernel, timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()
    errors = [output for cell in nb.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    return nb


def printed(nb) -> str:
    """Everything the notebook's cells printed."""
    return "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for output in cell.outputs if output.output_type == "stream")


def test_the_sensitivity_notebook_runs_its_small_spec_when_the_results_are_absent(
        venv_kernel, tmp_path):
    spec = {**SWEEPS["03_sensitivity.ipynb"], "name": "tiny_small_sobol",
            "output": str(tmp_path / "small_results")}
    spec_path = tmp_path / "small.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    values = {"RESULTS": str(tmp_path / "no_such_results"), "SMALL_SPEC": str(spec_path)}
    text = printed(execute("03_sensitivity.ipynb", values, venv_kernel))
    assert "does not exist yet: this notebook runs the small spec" in text
    assert "cadresim sweep configs/experiments/sobol_levers.yaml --workers 2" in text
    assert "tiny_small_sobol: " in text  # the results it then read
    assert (tmp_path / "small_results" / "manifest.json").is_file()
    # Run again: the small results are reused (the sweep resumes with nothing left to run).
    text = printed(execute("03_sensitivity.ipynb", values, venv_kernel))
    assert "(0 in this session" in text


def test_the_small_sensitivity_spec_samples_the_full_specs_levers():
    from experiments.engine.spec import load_spec

    root = NOTEBOOK_DIR.parent
    full = load_spec(root / "configs/experiments/sobol_levers.yaml")
    small = load_spec(root / "configs/experiments/sobol_small.yaml")
    assert small.design.parameters == full.design.parameters
    assert small.design.samples < full.design.samples
    assert (small.steps, small.burn_in, small.metrics) == (full.steps, full.burn_in, full.metrics)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs_on_small_parameters(name, venv_kernel, tmp_path):
    values = dict(NOTEBOOKS[name])
    if name in WRITES_TO:  # its folder in this test's tmp_path, not the system temp folder
        values[WRITES_TO[name]] = str(tmp_path / "out")
    if name in SWEEPS:
        values["RESULTS"] = str(tiny_sweep(SWEEPS[name], tmp_path))
    nb = execute(name, values, venv_kernel)
    images = [output for cell in nb.cells if cell.cell_type == "code"
              for output in cell.outputs if "image/png" in output.get("data", {})]
    assert images, "the notebook should draw its figures"
