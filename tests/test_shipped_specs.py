"""Every experiment spec shipped in configs/experiments/ loads and passes its checks: sweep specs
through the sweep loader, search specs (those naming ``levers``) through the search loader. The
shipped policy search holds the comprehensive package and the status quo inside its bounds, and
the Sobol sweeps keep what a discovery and the welfare indices need."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from experiments.engine.spec import load_spec
from experiments.search.spec import load_search_spec
from simulation.config import config_value
from simulation.errors import ConfigError
from simulation.loading import STATUS_QUO, load_config
from simulation.outputs import run_outputs

SPECS = sorted((Path(__file__).resolve().parent.parent / "configs" / "experiments").glob(
    "*.yaml"))


def is_search_spec(path: Path) -> bool:
    return "levers" in yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_shipped_spec_loads(path):
    if is_search_spec(path):
        load_search_spec(path)
        return
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if data.get("posterior") and not Path(data["posterior"]).exists():
        # A calibrated comparison needs `cadresim calibrate` first; nothing else may be wrong.
        with pytest.raises(ConfigError, match=r"posterior: .*run `cadresim calibrate` first"):
            load_spec(path)
        return
    load_spec(path)


def test_the_search_specs_are_found():
    names = {p.stem for p in SPECS if is_search_spec(p)}
    assert {"search_small", "policy_search"} <= names


def test_the_policy_search_holds_the_package_and_the_status_quo_in_its_bounds():
    spec = load_search_spec(next(p for p in SPECS if p.stem == "policy_search"))
    assert spec.preset == STATUS_QUO
    package = load_config("comprehensive_package")
    status_quo = load_config(STATUS_QUO)
    for path, (low, high) in spec.levers.items():
        assert low <= config_value(package, path) <= high, path
        assert low <= config_value(status_quo, path) <= high, path
    # every regime field the package moves away from the status quo is a lever of the search
    moved = {f"regime.{section}.{name}"
             for section, fields in package.regime.model_dump().items()
             for name, value in fields.items()
             if value != getattr(getattr(status_quo.regime, section), name)}
    assert moved <= set(spec.levers)
    assert [o.output for o in spec.objective_list] == ["inaction", "real_output",
                                                       "wrongful_sanctions", "policy_cost"]
    assert ["regime.fault_tolerance.tolerance",
            "regime.accountability.annual_evaluation"] in spec.pairs


@pytest.mark.parametrize("name", ["sobol_levers", "sobol_small"])
def test_the_sobol_sweeps_keep_what_discovery_and_welfare_need(name):
    spec = load_spec(next(p for p in SPECS if p.stem == name))
    stored = run_outputs(tuple(spec.kept_metrics))
    needed = {"afraid_share", "reason_afraid_share", "real_output", "effort_cost", "welfare",
              "policy_cost", "wrongful_sanctions", "shielded_violations"}
    assert needed <= set(stored)
