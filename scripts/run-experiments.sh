#!/bin/sh
# Run, analyse and plot the seven shipped experiments (docs/experiments.md), with the extra
# figures the document refers to; then the scenario discovery on the Sobol sweep and the policy
# search (experiments 8 and 9). Rerunning resumes finished sweeps and searches instead of
# redoing them; after a change to the model a sweep refuses its old folder (its runs are another
# model's): move results/ aside first.
set -e
bin=.venv/bin
run() {  # run NAME [METRIC ...]: sweep, analyse, default figures, then one heatmap/index per metric
    name=$1; shift
    $bin/cadresim sweep "configs/experiments/$name.yaml" --workers 2
    $bin/cadresim analyze "results/$name" > /dev/null
    $bin/cadresim plot "results/$name" | grep '^written' || true
    for metric in "$@"; do
        $bin/cadresim plot "results/$name" --metric "$metric" | grep "^written: \(heatmap\|sobol\)" || true
    done
}
discover() {  # discover NAME FOLDER COND: PRIM boxes of results/NAME where COND holds
    # A condition that holds in no case is a finding (said, not fatal): PRIM has nothing to box.
    $bin/cadresim discover "results/$1" --where "$3" --out "results/$1/discovery/$2" \
        || echo "discover: no boxes for \"$3\" in results/$1 (see the message above)"
}
run regime_comparison
run detection_x_tolerance bold afraid avoidance lying_flat wrongful_sanctions
run promotion_reform unwilling meritocracy
run evaluation_vs_formalism formalism
run sobol_levers afraid unable unwilling formalism avoidance lying_flat bold reason_afraid \
    real_output welfare
run fault_tolerance_switch
run strict_tolerant_strict
# Experiment 8: when does fear dominate inaction? (the cause split; then the reasons given)
discover sobol_levers fear_dominates "afraid_share > 0.5"
discover sobol_levers fear_said "reason_afraid_share > 0.5"
# Experiment 9: the policy search (results/search/policy_search: findings.md, trades.md, figures/)
$bin/cadresim search configs/experiments/policy_search.yaml --workers 2
echo "figures are in results/*/figures, results/sobol_levers/discovery/*/ and results/search/policy_search/figures"
