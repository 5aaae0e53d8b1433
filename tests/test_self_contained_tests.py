"""No test module imports another test module: shared helpers live in tests/helpers.py,
tests/strategies.py (and the other non-test modules here) or in conftest.py's fixtures, so a test
file can be run, moved or deleted on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def imported_modules(source: str) -> set[str]:
    """Every module a Python source imports, dotted, with ``from x import y`` giving x and x.y."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""  # "" for ``from . import x``
            found.add(base)
            found.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return found


def is_test_module(name: str) -> bool:
    """Whether a dotted module name is one of pytest's test modules (``test_*``)."""
    return name.rsplit(".", 1)[-1].startswith("test_")


def test_the_check_sees_every_way_of_importing_a_test_module():
    sources = ["from tests.test_sweep import tiny_spec", "import tests.test_sweep",
               "from tests import test_sweep", "from test_sweep import tiny_spec",
               "from .test_sweep import x", "from . import test_sweep"]
    for source in sources:
        assert any(map(is_test_module, imported_modules(source))), source
    allowed = "from tests.helpers import tiny_spec\nfrom tests import faulty_models\nimport pytest"
    assert not any(map(is_test_module, imported_modules(allowed)))


@pytest.mark.parametrize("path", sorted(TESTS.glob("*.py")), ids=lambda p: p.name)
def test_no_module_in_tests_imports_a_test_module(path):
    imports = sorted(filter(is_test_module, imported_modules(path.read_text(encoding="utf-8"))))
    assert not imports, f"{path.name} imports {imports}: move the shared code to tests/helpers.py"
