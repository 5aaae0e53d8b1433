"""Inaction rank by rank (experiments.validation.probes.inaction_by_rank, scripts.rank_split).

Each cadre's choice and its counterfactuals are its own, so the ranks' rows must add up to the
accounting of all cadres at once."""

from __future__ import annotations

import pytest

from experiments.validation.probes import RANK_COLUMNS, inaction_by_rank
from scripts import rank_split
from simulation import CadreModel, decision
from tests.conftest import small_config


def _model(steps: int = 6) -> CadreModel:
    model = CadreModel(small_config({"steps": steps + 2}, n_cadres=400), seed=3)
    for _ in range(steps):
        model.step()
    return model


def test_the_ranks_add_up_to_the_accounting_of_all_cadres():
    model = _model()
    rows = inaction_by_rank(model)
    x = decision.decision_inputs(model.cadres, model.config, model.regime)
    taste = model.streams.taste(model.year + 1, model.cadres.n)
    action = decision.choose(x, model.config, model.regime, taste)
    whole = decision.account_inaction(x, action, taste, model.config, model.regime)
    column = {name: k for k, name in enumerate(RANK_COLUMNS)}
    assert rows[:, column["cadres"]].sum() == model.cadres.n
    assert rows[:, column["inactive"]].sum() == whole.counts().sum()
    for k, cause in enumerate(decision.CAUSES):
        assert rows[:, column[f"cause:{cause}"]].sum() == pytest.approx(whole.causes[k], abs=1e-9)
        assert rows[:, column[f"reason:{cause}"]].sum() == whole.reasons[k]
        assert rows[:, column[f"named:{cause}"]].sum() == whole.named[k]
    assert (rows[:, column["cadres"]] > 0).sum() >= 3  # several ranks are held


def test_the_script_prints_every_held_rank_and_names_a_bad_setting(capsys):
    rank_split.main(["--seeds", "2"])
    table = capsys.readouterr().out
    assert "| 0 |" in table and "| 1 |" in table
    with pytest.raises(SystemExit) as stop:
        rank_split.main(["--set", "behaviour.temperature=-1"])
    assert stop.value.code == 2
    assert "behaviour.temperature" in capsys.readouterr().err
