"""What docs/architecture.md says about the code's shape holds, where a program can check it.

The import graph of ``simulation`` and ``experiments`` is read from the source (``ast``), lazy
imports inside functions included and ``if TYPE_CHECKING:`` blocks left out, as in
tests/test_import_graph.py, which checks the model package's own graph. Here: the rooms of
``experiments`` import one way, the analysis never runs the model, only ``experiments/cli``
builds a command line, importing a package loads no heavy library, and the names the document
gives (output groups, subcommands, dotted names, ``file.py: name``) exist. That every path it
names exists is tests/test_self_contained.py's check.
"""

from __future__ import annotations

import ast
import graphlib
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import import_graph, modules_in

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGES = ("simulation", "experiments")


MODULES = modules_in(ROOT, PACKAGES)


GRAPH = import_graph(MODULES)


def room(module: str) -> str:
    """``simulation``, or the room of ``experiments`` a module is in (``engine``, ``ema``, ...)."""
    parts = module.split(".")
    return parts[0] if parts[0] == "simulation" else ".".join(parts[:2])


#: Which rooms each room may import (besides itself), as the document states.
CLIENTS = ("experiments.calibration", "experiments.validation", "experiments.search",
           "experiments.ema")
ALLOWED = {
    "experiments.engine": frozenset({"simulation"}),
    "experiments.analysis": frozenset({"simulation", "experiments.engine"}),
    **dict.fromkeys(CLIENTS,
                    frozenset({"simulation", "experiments.engine", "experiments.analysis"})),
}
#: The one edge back: ``python -m experiments.calibration`` hands its arguments to the CLI.
BACK_EDGES = {("experiments.calibration.__main__", "experiments.cli.main")}


def test_the_graph_sees_lazy_imports():
    """The reader is not blind: function-level imports the code is known to have are found."""
    assert "simulation.model" in GRAPH["experiments.engine.run"]  # inside simulate_run
    assert "experiments.cli.main" in GRAPH["experiments.calibration.__main__"]  # inside main
    assert {"experiments.engine", "experiments.analysis"} <= GRAPH["experiments"]


def test_the_model_imports_nothing_of_experiments():
    reaching = {f"{name} -> {target}" for name, targets in GRAPH.items()
                if name.startswith("simulation") for target in targets
                if target.startswith("experiments")}
    assert not reaching


def test_the_rooms_of_experiments_import_one_way():
    wrong = sorted(
        f"{name} -> {target}" for name, targets in GRAPH.items() if room(name) in ALLOWED
        for target in targets
        if room(target) not in ALLOWED[room(name)] | {room(name)}
        and (name, target) not in BACK_EDGES
    )
    assert not wrong


def test_the_check_of_the_rooms_would_see_a_wrong_edge():
    assert room("experiments.engine.run") == "experiments.engine"
    assert room("experiments.ema") == "experiments.ema"
    assert "experiments.analysis" not in ALLOWED["experiments.engine"]
    assert "experiments.cli" not in ALLOWED["experiments.calibration"]


@pytest.mark.parametrize("package", ["experiments.engine", "experiments.analysis"])
def test_engine_and_analysis_have_no_import_cycle(package):
    inside = {name: {t for t in targets if t.startswith(package)}
              for name, targets in GRAPH.items() if name.startswith(package)}
    try:
        graphlib.TopologicalSorter(inside).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


#: What the analysis may read: of the engine the spec, the design and the storage; of the model
#: its declarations (output registry, config schema and loader, the welfare formula, errors).
ANALYSIS_READS = {
    "experiments.engine.spec", "experiments.engine.design", "experiments.engine.storage",
    "simulation", "simulation.lazy", "simulation.errors", "simulation.loading",
    "simulation.config", "simulation.outputs", "simulation.formulas",
}


def test_the_analysis_reads_results_and_never_runs_the_model():
    outside = {target for name, targets in GRAPH.items()
               if name.startswith("experiments.analysis") for target in targets
               if not target.startswith("experiments.analysis")}
    assert outside <= ANALYSIS_READS, sorted(outside - ANALYSIS_READS)
    runner = {f"experiments.engine.{m}"
              for m in ("plan", "run", "executors", "supervise", "sweep", "batch")}
    assert not runner & ANALYSIS_READS
    assert not {"simulation.model", "simulation.step", "simulation.phases"} & ANALYSIS_READS


def parsers_built(path: Path) -> list[int]:
    """Lines of ``path`` that call ``ArgumentParser(...)`` (as a name or an attribute)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called == "ArgumentParser":
                lines.append(node.lineno)
    return lines


def test_only_cli_builds_a_command_line():
    """No module of simulation/ or experiments/ outside experiments/cli/ builds a parser."""
    cli = ROOT / "experiments" / "cli"
    built = {str(path.relative_to(ROOT)): parsers_built(path) for path in MODULES.values()
             if cli not in path.parents}
    assert not {name: lines for name, lines in built.items() if lines}
    assert parsers_built(cli / "main.py")  # the reader sees the one parser there is


HEAVY = ("mesa", "pandas", "pyarrow", "scipy", "matplotlib", "solara", "numba", "pyabc", "SALib")
#: Every package of the two; importing all of them together loads none of HEAVY, so neither
#: does importing any one of them.
PACKAGE_NAMES = sorted(name for name, path in MODULES.items() if path.name == "__init__.py")


def loaded_after(code: str) -> list[str]:
    """The top-level modules of HEAVY (and NumPy) loaded in a fresh interpreter after ``code``."""
    probe = (f"{code}\nimport sys\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {{*{HEAVY!r}, 'numpy'}}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return eval(done.stdout.strip())  # a printed list of names


def test_importing_any_package_loads_no_heavy_module():
    assert "simulation.viz" in PACKAGE_NAMES and "experiments.search" in PACKAGE_NAMES
    loaded = loaded_after("\n".join(f"import {name}" for name in PACKAGE_NAMES))
    assert not set(loaded) & set(HEAVY)


def test_help_and_a_config_need_only_the_schema():
    """``cadresim --help`` and validating a config import no NumPy, Mesa, pandas or SciPy."""
    code = ("from experiments.cli.main import build_parser; build_parser()\n"
            "from simulation.loading import load_config\n"
            "load_config('hubei_opinions', {'organisation.n_cadres': 50})")
    assert loaded_after(code) == []


def test_the_probe_sees_a_heavy_import():
    assert "pandas" in loaded_after("import pandas")


def test_the_packages_said_to_be_lazy_use_simulation_lazy():
    lazy = ["simulation", "simulation.viz", "experiments", "experiments.engine",
            "experiments.analysis"]
    assert {name for name in lazy if "simulation.lazy" in GRAPH[name]} == set(lazy)


@pytest.mark.slow
@pytest.mark.parametrize("package", PACKAGE_NAMES)
def test_every_export_of_a_package_resolves(package):
    module = importlib.import_module(package)
    missing = [name for name in getattr(module, "__all__", []) if not hasattr(module, name)]
    assert not missing


def test_the_groups_the_document_lists_are_the_registrys():
    from simulation.outputs import GROUPS

    listed = re.search(r"one of `GROUPS`: (.*?)\)", DOC, re.S)
    assert listed is not None
    assert tuple(re.findall(r"`(\w+)`", listed.group(1))) == GROUPS


def test_the_subcommands_the_document_lists_are_the_clis():
    from experiments.cli.main import SUBCOMMANDS

    listed = re.search(r"`experiments/cli/<name>\.py` \(([^)]*)\)", DOC)
    assert listed is not None
    names = re.findall(r"`(\w+)`", listed.group(1))
    assert names == [module.__name__.rpartition(".")[2] for module in SUBCOMMANDS]


def defined(path: Path) -> set[str]:
    """Names a module defines or imports at its top level (functions, classes, constants)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def resolves(dotted: str) -> bool:
    """Whether ``a.b.c`` is a module of the two packages, or a name defined in one."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        module = ".".join(parts[:k])
        if module in MODULES:
            return k == len(parts) or parts[k] in defined(MODULES[module])
    return False


def test_the_dotted_names_of_the_document_exist():
    """Every ``simulation.x`` / ``experiments.x.y`` the document names, the diagram's included."""
    names = set(re.findall(r"(?<![\w/.])((?:simulation|experiments)(?:\.\w+)+)", DOC))
    assert len(names) > 20
    assert not sorted(name for name in names if not resolves(name))


def test_the_dotted_name_check_finds_a_missing_name():
    assert resolves("simulation.outputs.reduce_run")
    assert not resolves("simulation.outputs.no_such_name")
    assert not resolves("experiments.engine.execution")


def test_each_file_colon_name_of_the_document_is_defined_there():
    """``experiments/engine/run.py: run_one`` or ``sweep.py: run_sweep``: the file defines it."""
    wrong = []
    for file, name in re.findall(r"`([\w/]+\.py): (\w+)`", DOC):
        candidates = [path for path in MODULES.values()
                      if str(path.relative_to(ROOT)) == file or path.match(file)]
        if not any(name in defined(path) for path in candidates):
            wrong.append(f"{file}: {name}")
    assert not wrong
