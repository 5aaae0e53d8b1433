"""Nothing in the project uses the names Mesa 4 removes (docs/architecture.md, "Mesa 4").

Mesa 4.0.0a0 removes ``mesa.batch_run`` (the batch runner), ``mesa.space``, the ``seed=``
keyword of ``mesa.Model.__init__`` and ``model.steps`` (``model.time`` replaces it). This scans
every tracked Python file and the code cells of the notebooks with ``ast``, so a use is found
however it is spelled in code and never in prose or strings. ``CadreModel(config, seed=7)`` is
CadreSim's own keyword (the model passes ``rng=`` to Mesa) and stays. A test of Mesa 3
compatibility may use a removed name when it is decorated ``@mesa3_only``.
"""

from __future__ import annotations

import ast
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Mesa's model class and the project's; a scan adds every class it finds deriving from one.
MESA_MODELS = frozenset({"Model", "CadreModel", "ReferenceModel"})
REMOVED_MODULES = {"mesa.batchrunner": "mesa.batch_run", "mesa.space": "mesa.space"}
REMOVED_FROM_MESA = {"batch_run": "mesa.batch_run", "batchrunner": "mesa.batch_run",
                     "space": "mesa.space"}
#: Names that hold a model wherever they appear (``model.steps``); others are found by binding.
MODEL_NAMES = {"model"}
EXEMPT_DECORATOR = "mesa3_only"


@dataclass(frozen=True)
class Use:
    """One use of a name Mesa 4 removes: where, and which."""

    where: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.name}"


def _name(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain (``Model[A, S]``: ``Model``), else None."""
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _is_model_class(node: ast.AST, models: set[str]) -> bool:
    name = _name(node)
    return name is not None and name.rsplit(".", 1)[-1] in models


def _decorated_mesa3_only(node: ast.AST) -> bool:
    decorators = getattr(node, "decorator_list", [])
    return any((_name(d) or "").rsplit(".", 1)[-1] == EXEMPT_DECORATOR for d in decorators)


class _RemovedNames(ast.NodeVisitor):
    """Collects the uses of removed names in one module's tree."""

    def __init__(self, where: str, models: set[str]) -> None:
        self.where = where
        self.models = models
        self.mesa_model = {"mesa.Model"}  # and what `from mesa import Model` binds
        self.uses: list[Use] = []
        # Per class scope: "mesa" (derives from mesa.Model itself), "model" (from a model
        # class of ours, whose __init__ takes CadreSim's seed=), or "" (not a model).
        self.model_self = [""]
        self.model_vars: list[set[str]] = [set(MODEL_NAMES)]
        self.mesa_init = [False]  # in a method of a direct subclass of mesa.Model

    def found(self, node: ast.AST, name: str) -> None:
        self.uses.append(Use(self.where, getattr(node, "lineno", 0), name))

    # -- scopes ------------------------------------------------------------------------------

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if _decorated_mesa3_only(node):
            return
        bases = [_name(base) or "" for base in node.bases]
        kind = ("mesa" if any(b in self.mesa_model for b in bases)
                else "model" if any(_is_model_class(b, self.models) for b in node.bases) else "")
        if kind:
            self.models.add(node.name)
        self.model_self.append(kind)
        self.generic_visit(node)
        self.model_self.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if _decorated_mesa3_only(node):
            return
        annotated = {
            arg.arg for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)
            if arg.annotation is not None and _is_model_class(arg.annotation, self.models)
        }
        if self.model_self[-1]:
            annotated.add("self")
        self.model_vars.append(set(MODEL_NAMES) | annotated)
        self.mesa_init.append(self.model_self[-1] == "mesa")
        self.model_self.append("")  # a nested class or function decides for itself
        self.generic_visit(node)
        self.model_self.pop()
        self.mesa_init.pop()
        self.model_vars.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call) and _is_model_class(node.value.func, self.models):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.model_vars[-1].add(target.id)
        self.generic_visit(node)

    # -- the removed names -------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            for module, name in REMOVED_MODULES.items():
                if alias.name == module or alias.name.startswith(module + "."):
                    self.found(node, name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for removed, name in REMOVED_MODULES.items():
            if module == removed or module.startswith(removed + "."):
                self.found(node, name)
        if module in ("mesa", "mesa.model"):
            self.mesa_model |= {a.asname or a.name for a in node.names if a.name == "Model"}
        if module == "mesa":
            for alias in node.names:
                if alias.name in REMOVED_FROM_MESA:
                    self.found(node, REMOVED_FROM_MESA[alias.name])

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id == "mesa" \
                and node.attr in REMOVED_FROM_MESA:
            self.found(node, REMOVED_FROM_MESA[node.attr])
        if node.attr == "steps" and isinstance(node.value, ast.Name) \
                and node.value.id in self.model_vars[-1]:
            self.found(node, f"{node.value.id}.steps (Mesa's step counter)")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if any(k.arg == "seed" for k in node.keywords) and self._calls_mesa_init(node.func):
            self.found(node, "seed= passed to mesa.Model.__init__")
        for keyword in node.keywords:  # DataCollector(model_reporters={"Step": "steps"})
            if keyword.arg == "model_reporters" and isinstance(keyword.value, ast.Dict):
                for value in keyword.value.values:
                    if isinstance(value, ast.Constant) and value.value == "steps":
                        self.found(value, "'steps' as a model reporter")
        self.generic_visit(node)

    def _calls_mesa_init(self, func: ast.AST) -> bool:
        """``super().__init__`` in a model class, ``mesa.Model(...)``, ``Model.__init__(...)``."""
        name = (_name(func) or "").removesuffix(".__init__")
        if name in self.mesa_model:
            return True
        return (isinstance(func, ast.Attribute) and func.attr == "__init__"
                and isinstance(func.value, ast.Call) and _name(func.value.func) == "super"
                and self.mesa_init[-1])


def uses_in(source: str, where: str = "<source>", models: set[str] | None = None) -> list[Use]:
    """The uses of names Mesa 4 removes in one module's (or notebook's) source.

    ``models`` holds the model class names known so far, and gains the ones defined here.
    """
    visitor = _RemovedNames(where, set(MESA_MODELS) if models is None else models)
    visitor.visit(ast.parse(source))
    return visitor.uses


def notebook_code(path: Path) -> str:
    """A notebook's code cells as one module (IPython magics and shell lines left out)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            lines += [line for line in source.splitlines()
                      if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def project_sources() -> list[tuple[str, str]]:
    """(path, source) of every tracked .py file and of every notebook's code cells."""
    tracked = subprocess.run(["git", "ls-files", "*.py", "*.ipynb"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    files = [(name, ROOT / name) for name in tracked if (ROOT / name).exists()]
    files.sort(key=lambda item: not item[0].endswith(".py"))  # classes first: models are known
    return [(name, notebook_code(path) if name.endswith(".ipynb")
             else path.read_text(encoding="utf-8")) for name, path in files]


# ---- The scanner finds each removed name (so a clean scan means something) -----------------


@pytest.mark.parametrize(("source", "name"), [
    ("import mesa\nmesa.batch_run(M, {})", "mesa.batch_run"),
    ("from mesa import batch_run", "mesa.batch_run"),
    ("from mesa.batchrunner import batch_run", "mesa.batch_run"),
    ("import mesa.space", "mesa.space"),
    ("from mesa.space import MultiGrid", "mesa.space"),
    ("from mesa import space", "mesa.space"),
    ("import mesa\ngrid = mesa.space.MultiGrid(3, 3, True)", "mesa.space"),
    ("import mesa\nclass M(mesa.Model):\n def __init__(self):\n  super().__init__(seed=1)",
     "seed= passed"),
    ("import mesa\nm = mesa.Model(seed=3)", "seed= passed"),
    ("from mesa import Model as Base\nm = Base(seed=3)", "seed= passed"),
    ("from mesa import Model\nclass M(Model):\n def __init__(self):\n"
     "  Model.__init__(self, seed=2)", "seed= passed"),
    ("class M(Model):\n def step(self):\n  print(self.steps)", "self.steps"),
    ("import mesa\nclass M(mesa.Model[A, S]):\n def step(self):\n  print(self.steps)",
     "self.steps"),
    ("run = CadreModel(config)\nrun.run(3)\nprint(run.steps)", "run.steps"),
    ("def show(model):\n return model.steps", "model.steps"),
    ("def show(x: CadreModel):\n return x.steps", "x.steps"),
    ("DataCollector(model_reporters={'Step': 'steps'})", "'steps' as a model reporter"),
])
def test_the_scanner_finds_each_removed_name(source, name):
    found = uses_in(source)
    assert len(found) == 1 and name in found[0].name, found


@pytest.mark.parametrize("source", [
    "model = CadreModel(config, seed=7)",  # CadreSim's own keyword
    "print(model.config.steps, spec.steps, settings.steps)",  # config fields named steps
    "class Record:\n def __init__(self):\n  self.steps = []\n def n(self):\n  return self.steps",
    "class Cadre(mesa.Agent):\n def __init__(self, model):\n  super().__init__(model)",
    "help_text = 'mesa.batch_run(CadreModel, rng=[None] * 5) and model.steps'",
    "@mesa3_only\ndef test_batch():\n import mesa\n mesa.batch_run(CadreModel, {})",
    "class Other:\n def __init__(self, seed):\n  super().__init__(seed=seed)",
    "from simulation import CadreModel as Model\nmodel = Model(config, seed=3)",
    "class Faulty(CadreModel):\n def __init__(self, config):\n  super().__init__(config, seed=3)",
])
def test_the_scanner_leaves_cadresims_own_names_and_prose_alone(source):
    assert uses_in(source) == []


# ---- The project ----------------------------------------------------------------------------


def test_no_project_code_or_notebook_uses_a_name_mesa_4_removes():
    sources = project_sources()
    assert any(name.endswith(".ipynb") for name, _ in sources)
    assert "simulation/model.py" in dict(sources)
    models = set(MESA_MODELS)
    uses = [use for name, source in sources for use in uses_in(source, name, models)]
    assert not uses, "names Mesa 4 removes:\n" + "\n".join(map(str, uses))


def test_the_model_counts_its_own_years():
    """``model.year`` is CadreSim's counter; under Mesa 3 it agrees with Mesa's ``steps``."""
    from simulation import CadreModel, load_config

    model = CadreModel(load_config(None, {"organisation.n_cadres": 50, "steps": 3}), seed=1)
    assert model.year == 0
    table = model.run(2)
    assert model.year == 2 == int(table["step"].iloc[-1])
