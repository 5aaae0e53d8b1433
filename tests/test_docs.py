"""The documentation covers the model: every config field and every output is in docs/ODD.md."""

from __future__ import annotations

from pathlib import Path

from scripts.gen_docs import documented_fields
from scripts.gen_docs import main as docs_main
from simulation.step import STEP_COLUMNS

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


def test_generated_files_are_up_to_date():
    assert docs_main(["--check"]) == 0


def test_odd_names_every_config_field():
    text = ODD.read_text()
    missing = [path for path, _ in documented_fields() if f"`{path}`" not in text]
    assert not missing, missing


def test_odd_describes_every_output_column():
    text = ODD.read_text()
    missing = [name for name in STEP_COLUMNS if f"`{name}`" not in text]
    assert not missing, missing


def test_odd_has_the_protocol_sections():
    text = ODD.read_text().lower()
    for heading in ["purpose", "entities", "process overview", "design concepts",
                    "initiali", "input data", "submodels"]:
        assert heading in text, heading
