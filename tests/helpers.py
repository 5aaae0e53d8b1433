"""Helpers shared by the sweep, reliability and calibration tests (plain functions, no tests).

Test modules import from here (or from ``strategies``, ``synthetic_results``, ``faulty_models``),
never from one another: tests/test_self_contained_tests.py checks it.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
from concurrent.futures import Executor, Future
from pathlib import Path

import yaml

from experiments.engine.executors import SerialExecutor
from experiments.engine.runboard import PREFIX

REPO = Path(__file__).resolve().parent.parent


def hand_set_behaviour() -> dict[str, float]:
    """The behavioural values the shipped calibration replaced, as config overrides.

    Read from the spec that runs the uncalibrated comparison (its ``set``, the population size
    left out), so the tests that build an extreme world on them and that spec agree.
    """
    spec = yaml.safe_load((REPO / "configs" / "experiments" /
                           "uncalibrated_regime_comparison.yaml").read_text(encoding="utf-8"))
    return {k: v for k, v in spec["set"].items() if not k.startswith("organisation.")}


def tiny_spec(tmp_path: Path, name: str = "tiny", **fields) -> str:
    """A small spec: 2 regimes x 3 tolerance values x 4 replicates (24 runs), 80 cadres, 5 steps."""
    data = {
        "name": name,
        "regimes": ["seniority_baseline", "guangdong_three_distinctions"],
        "set": {"organisation.n_cadres": 80},
        "design": {"kind": "grid", "parameters": {
            "regime.fault_tolerance.tolerance": {"from": 0.0, "to": 1.0, "num": 3}}},
        "replications": 4,
        "steps": 5,
        "burn_in": 1,
        "metrics": ["inaction", "afraid", "bold", "wrongful_sanctions"],
        "series": ["inaction", "bold"],
        "seed": 11,
        "output": str(tmp_path / name),
        **fields,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def live_descendants(pid: int) -> set[int]:
    """Processes below ``pid`` that are not zombies (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents.setdefault(int(fields[1]), []).append(int(stat_file.parent.name))
    found, todo = set(), [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found.update(children)
        todo += children
    return found


def remove_boards_of(pid: int) -> None:
    """Remove the run board a killed sweep ``pid`` left in the temporary directory."""
    for board in Path(tempfile.gettempdir()).glob(f"{PREFIX}{pid}-*"):
        shutil.rmtree(board)



class KilledAfter(Executor):
    """Runs each task here and 'dies' (raises KeyboardInterrupt) at the (k+1)-th submission.

    ``submitted`` holds the arguments of every task it ran, so a test can count the runs a
    resumed sweep or fit repeated.
    """

    def __init__(self, k: int) -> None:
        self.k, self.submitted = k, []
        self.inner = SerialExecutor()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        """Run the task now, or raise KeyboardInterrupt after ``k`` submissions."""
        if len(self.submitted) >= self.k:
            raise KeyboardInterrupt("killed")
        self.submitted.append(args)
        return self.inner.submit(fn, *args, **kwargs)


def modules_in(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of ``packages`` (folders under ``root``) by dotted name."""
    def name(path: Path) -> str:
        parts = path.relative_to(root).with_suffix("").parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    return {name(path): path for package in packages
            for path in sorted((root / package).rglob("*.py"))}


def _type_checking_only(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which of ``modules`` each one imports, at any depth of its code (lazy imports too).

    ``if TYPE_CHECKING:`` blocks are left out; ``from a import b`` counts as importing ``a.b``
    where that is a module, else ``a``.
    """
    def imported(name: str) -> set[str]:
        path = modules[name]
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        pending: list[ast.AST] = [ast.parse(path.read_text(), str(path))]
        while pending:
            node = pending.pop()
            if isinstance(node, ast.If) and _type_checking_only(node):
                pending.extend(node.orelse)
                continue
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = (package.rsplit(".", node.level - 1)[0] if node.level > 1
                              else package)
                    base = f"{anchor}.{base}" if base else anchor
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                          for a in node.names}
            pending.extend(ast.iter_child_nodes(node))
        return {module for module in found if module in modules and module != name}

    return {name: imported(name) for name in modules}
