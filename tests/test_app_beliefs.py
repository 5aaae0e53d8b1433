"""The page's beliefs chart: each mean belief beside the value the written rules imply."""

from __future__ import annotations

import numpy as np
import pytest

solara = pytest.importorskip("solara", reason="the app needs solara: pip install -e '.[app]'")

from simulation.outputs import OUTPUTS, in_group  # noqa: E402
from simulation.viz import app  # noqa: E402
from simulation.written_rules import BELIEF_RULES  # noqa: E402

N = 200
#: Strict accountability, tolerance 0.8 from year 4, strict again from year 7.
BACK_AND_FORTH = {app.POPULATION: N, app.STEPS: 9, "switch.step": 4, "switch.back_step": 7,
                  "switch.regime.fault_tolerance.tolerance": 0.8,
                  "switch.regime.supervision.clarification": 0.6}


@pytest.fixture(scope="module")
def switched_model() -> app.AppModel:
    model = app.start_model("strict_accountability", **BACK_AND_FORTH)
    for _ in range(9):
        model.step()
    return model


def lines_by_style(fig):
    ax = fig.axes[0]
    solid = {line.get_label(): line for line in ax.get_lines() if line.get_linestyle() == "-"}
    dotted = [line for line in ax.get_lines()
              if line.get_linestyle() not in ("-", "None") and len(line.get_xdata())]
    return solid, dotted


def test_every_learnt_belief_has_one_entry_in_the_mapping():
    """A belief output added to the registry must be paired (or say why it cannot be)."""
    beliefs = [rule.belief for rule in BELIEF_RULES]
    assert sorted(beliefs) == sorted(in_group("belief"))
    assert all(rule.meaning for rule in BELIEF_RULES)


def test_each_belief_is_drawn_from_the_runs_table(switched_model):
    # Chances on the beliefs chart, the believed costs of sanctions on their own.
    solid = {**lines_by_style(app.beliefs_figure(switched_model))[0],
             **lines_by_style(app.belief_costs_figure(switched_model))[0]}
    table = switched_model.results_table()
    for rule in BELIEF_RULES:
        label = OUTPUTS[rule.belief].short
        line = solid.get(label) or solid[f"{label} (no written rule)"]
        assert np.allclose(line.get_ydata(), table[rule.belief])


def test_written_values_follow_the_rules_in_force_year_by_year(switched_model):
    _, dotted = lines_by_style(app.beliefs_figure(switched_model))
    by_colour = {rule.belief: rule.colour for rule in BELIEF_RULES}
    written = {belief: line.get_ydata() for line in dotted for belief, colour
               in by_colour.items() if line.get_color() == colour}
    # Honest failure punished: 1 - tolerance, tolerance 0.8 in years 4-6 only.
    assert np.allclose(written["belief_punish"], [1, 1, 1, .2, .2, .2, 1, 1, 1])
    # Lying flat caught: strict accountability's annual evaluation 0.4, no public clues or media.
    assert np.allclose(written["belief_detect"], 0.4)
    # Upheld false accusation: rate 0.06 x (1 - 0 deterred) x (1 - clarification), clarification
    # 0.05 under strict accountability and 0.6 during the switch.
    assert np.allclose(written["belief_accuse"],
                       [0.06 * 0.95] * 3 + [0.06 * 0.4] * 3 + [0.06 * 0.95] * 3)
    assert "belief_promote" not in written  # no written counterpart: no dotted line


def test_written_sanction_costs_are_the_rungs_of_the_regime_in_force(switched_model):
    _, dotted = lines_by_style(app.belief_costs_figure(switched_model))
    acc = switched_model.config.regime.accountability
    rungs = {line.get_color(): line.get_ydata() for line in dotted}
    by_belief = {rule.belief: rule.colour for rule in BELIEF_RULES}
    assert np.allclose(rungs[by_belief["belief_warning_cost"]], acc.warning_cost)
    assert np.allclose(rungs[by_belief["belief_removal_cost"]], acc.removal_cost)


def test_a_belief_without_a_written_counterpart_says_so(switched_model):
    solid, _ = lines_by_style(app.beliefs_figure(switched_model))
    assert "Belief: promoted (no written rule)" in solid
    notes = app.belief_notes_html()
    assert "Belief: promoted</b>: no written counterpart" in notes
    assert notes.count("<li>") == len(BELIEF_RULES)


@pytest.mark.slow
def test_the_page_shows_the_beliefs_chart_and_what_each_written_value_is():
    import ipywidgets

    _, rc = solara.render(solara.AppLayout(children=[app.Page(n_cadres=N)]),
                          handle_error=False)
    try:
        assert len(rc.find(ipywidgets.Image).widgets) == len(app.VIEWS)
        notes = [w for w in rc.find(solara.widgets.HTML).widgets
                 if "cadresim-beliefs" in w.unsafe_innerHTML]
        assert len(notes) == 1 and "no written counterpart" in notes[0].unsafe_innerHTML
    finally:
        rc.close()
