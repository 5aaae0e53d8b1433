"""The model package's imports point one way: kernels are leaves, and no module imports itself.

Every import in ``simulation/`` is read from the source (``ast``), those inside functions too
(a lazy import closes a cycle as surely as one at the top); imports under ``if TYPE_CHECKING:``
run only in a type checker and are left out.
"""

from __future__ import annotations

import graphlib
from pathlib import Path

import pytest

from tests.helpers import import_graph, modules_in

PACKAGE = Path(__file__).resolve().parent.parent / "simulation"
#: What a kernel may import from the model: the leaves both paths share. Each is checked below
#: to import nothing else of the model.
LEAVES = frozenset({
    "simulation.cadres", "simulation.config", "simulation.formulas", "simulation.network",
    "simulation.per_regime", "simulation.records", "simulation.streams", "simulation.tasks",
})
#: Not a kernel: it readies the kernels by running a tiny model, so it imports the model.
WARM_UP = "simulation.kernels.warm"


MODULES = modules_in(PACKAGE.parent, (PACKAGE.name,))


GRAPH = import_graph(MODULES)
KERNELS = sorted(name for name in MODULES
                 if name.startswith("simulation.kernels.") and name != WARM_UP)


def test_the_graph_sees_lazy_imports():
    """The reader is not blind: it finds a function-level import the package is known to have."""
    assert "simulation.kernels" in GRAPH["simulation.phases"]
    assert "simulation.kernels.decide" in GRAPH["simulation.phases"]  # inside compiled()
    assert "simulation.model" in GRAPH[WARM_UP]  # inside warm_up()
    assert len(KERNELS) >= 10


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_kernel_imports_only_leaves_and_other_kernels(kernel):
    phases = {module for module in GRAPH[kernel]
              if module not in LEAVES and not module.startswith("simulation.kernels")}
    assert not phases, f"{kernel} imports {sorted(phases)}, which are not leaves"


@pytest.mark.parametrize("leaf", sorted(LEAVES))
def test_a_leaf_imports_only_leaves(leaf):
    assert GRAPH[leaf] <= LEAVES, f"{leaf} imports {sorted(GRAPH[leaf] - LEAVES)}"


def test_no_phase_module_imports_a_kernel():
    """Only the phase table (and the kernels themselves) reach into simulation.kernels.*."""
    reaching = {name for name, targets in GRAPH.items()
                if not name.startswith("simulation.kernels")
                and any(t.startswith("simulation.kernels.") for t in targets)}
    assert reaching == {"simulation.phases"}


def test_the_model_package_has_no_import_cycle():
    try:
        graphlib.TopologicalSorter(GRAPH).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")
