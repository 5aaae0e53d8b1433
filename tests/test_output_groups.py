"""The output registry carries each output's group, better direction and colour, and the lists
other modules use (forms, causes, reasons, the analysis headline, the app's and the figures'
colours) are the registry's, not restated copies."""

from __future__ import annotations

import pytest

from simulation import decision
from simulation.formulas import ACTIONS
from simulation.outputs import (
    ACTION_OUTPUTS,
    ALIASES,
    BETTER,
    CAUSES,
    FORMS,
    GROUPS,
    OUTPUTS,
    REASONS,
    canonical,
    in_group,
    output,
)


def test_every_output_has_a_known_group_and_direction():
    for out in OUTPUTS.values():
        assert out.group in GROUPS, out.name
        assert out.better in BETTER, out.name
    assert {o.group for o in OUTPUTS.values()} == set(GROUPS)  # no group left empty


def test_declaring_an_output_without_a_known_group_or_direction_fails():
    with pytest.raises(TypeError):
        output("x_no_group", "X", "X", "share")  # group and better are required
    with pytest.raises(ValueError, match="group"):
        output("x_bad_group", "X", "X", "share", group="mood", better="lower")
    with pytest.raises(ValueError, match="better"):
        output("x_bad_better", "X", "X", "share", group="form", better="up")
    assert not any(name.startswith("x_") for name in OUTPUTS)


def test_the_registry_groups_the_headline_its_forms_causes_and_reasons():
    assert in_group("headline") == ("inaction", "final_inaction")
    assert FORMS == ("lying_flat", "formalism", "avoidance")
    assert CAUSES == ("unwilling", "unable", "afraid")
    assert tuple(f"reason_{c}" for c in CAUSES) == REASONS
    assert in_group("composition") == tuple(
        f"{n}_share" for n in (*FORMS, *CAUSES, *REASONS))


def test_directions_follow_what_the_outputs_measure():
    for name in ("inaction", *FORMS, *CAUSES, "wrongful_sanctions", "shielded_violations"):
        assert OUTPUTS[name].better == "lower", name
    for name in ("bold", "real_output", "meritocracy", "bold_success"):
        assert OUTPUTS[name].better == "higher", name
    for name in in_group("belief") + in_group("composition"):
        assert OUTPUTS[name].better == "neither", name


def test_the_model_names_forms_and_causes_as_the_registry_does():
    assert decision.FORMS == FORMS
    assert decision.CAUSES == CAUSES
    assert (decision.LYING_FLAT, decision.FORMALISM, decision.AVOIDANCE) == (0, 1, 2)
    assert decision.FALSE_ACTION == decision.FORMALISM  # the documented alias


def test_false_action_is_an_alias_of_formalism():
    assert ALIASES == {"false_action": "formalism"}
    assert canonical("false_action") == "formalism"
    assert canonical("inaction") == "inaction"
    assert all(alias not in OUTPUTS and target in OUTPUTS for alias, target in ALIASES.items())


def test_each_action_is_held_by_a_per_step_output_with_a_colour():
    assert tuple(ACTION_OUTPUTS) == ACTIONS
    for name in ACTION_OUTPUTS.values():
        assert OUTPUTS[name].per_step and OUTPUTS[name].colour is not None
    # Every part of inaction has a colour, and the stacked parts' colours differ.
    for parts in (FORMS, CAUSES):
        shown = [OUTPUTS[n].colour for n in parts]
        assert None not in shown and len(set(shown)) == len(shown)


def test_the_lists_of_the_analysis_and_calibration_are_the_registrys():
    from experiments.analysis.report import HEADLINE
    from experiments.calibration.compare import METRICS

    assert ("inaction", *FORMS, *CAUSES, "bold") == HEADLINE
    assert METRICS[:1 + len(FORMS) + len(CAUSES) + len(REASONS)] == (
        "inaction", *FORMS, *CAUSES, *REASONS)


def test_figures_and_app_draw_each_output_in_its_registry_colour():
    from experiments.analysis import style
    from simulation.viz import app

    for colours in (style.FORM_COLOURS, app.FORM_COLOURS, style.REASON_COLOURS,
                    app.REASON_COLOURS, app.CAUSE_COLOURS):
        assert colours == {n: OUTPUTS[n].colour for n in colours}
    assert tuple(style.FORM_COLOURS) == FORMS and tuple(app.REASON_COLOURS) == REASONS
    assert style.ACTION_COLOURS == app.ACTION_COLOURS
    assert {**app.CAUSE_COLOURS, "formalism": OUTPUTS["formalism"].colour} == style.CAUSE_COLOURS
    # The regime colours never repeat a colour of an output's part.
    assert not set(style.GROUP_COLOURS) & {o.colour for o in OUTPUTS.values()}


def test_the_apps_screen_style_is_the_figures_style_with_larger_type():
    from experiments.analysis.style import STYLE
    from simulation.viz.app import SCREEN_STYLE

    assert set(SCREEN_STYLE) == set(STYLE)
    sizes = {"font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
             "ytick.labelsize", "legend.fontsize"}
    assert {k: SCREEN_STYLE[k] for k in STYLE if k not in sizes} == \
        {k: STYLE[k] for k in STYLE if k not in sizes}
    assert all(SCREEN_STYLE[k] > STYLE[k] for k in sizes)
