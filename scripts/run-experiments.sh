#!/bin/sh
# Run, analyse and plot the seven shipped experiments (docs/experiments.md), with the extra
# figures the document refers to. Rerunning resumes finished sweeps instead of redoing them.
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
run regime_comparison
run detection_x_tolerance bold afraid avoidance lying_flat wrongful_sanctions
run promotion_reform unwilling meritocracy
run evaluation_vs_formalism formalism
run sobol_levers afraid unable unwilling formalism avoidance lying_flat bold
run fault_tolerance_switch
run strict_tolerant_strict
echo "figures are in results/*/figures"
