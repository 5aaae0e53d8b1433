# CadreSim: `make demo` and `make test` set everything up on a fresh machine.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: demo demo-calibrated demo-uncalibrated test test-fast validate validate-posterior bench app lab experiments lint docs venv clean help \
	calibrate calibrate-coverage calibrate-recovery screen-calibration ship-calibration

# Durations measured on the 2-core development machine; "loaded" = other jobs running.
help:
	@echo "make demo   - create .venv if needed (install 1.5-6 minutes, shown), compare all preset"
	@echo "              regimes under 100 draws of the shipped posterior: tables, robustness"
	@echo "              verdicts and figures (3.6 minutes at load 6 on 7 Dec 2026)"
	@echo "make test   - create .venv if needed and run the full test suite (5-11 minutes)"
	@echo "make test-fast - unit and property tests: no sweeps, browser, notebooks or validation;"
	@echo "              one process (75 s wall, 72 s of CPU at load 1.5 on 7 Dec 2026; about"
	@echo "              3 minutes on a loaded machine)"
	@echo "make lab    - Jupyter Lab on notebooks/ (installed by make demo / make test)"
	@echo "make app    - the interactive page at http://127.0.0.1:8765"
	@echo "make experiments - run, analyse and plot the seven shipped experiments, the discovery"
	@echo "              and the policy search, with progress (35 minutes at load 5-7 on 7 Dec"
	@echo "              2026, the search 17 of them)"
	@echo "make validate - the validation suite, each check once, with progress inside each check;"
	@echo "              exits 1: one of 15 checks fails at the calibrated defaults (README,"
	@echo "              Validation)"
	@echo "make validate-posterior - the incentive checks across the shipped posterior (400 draws,"
	@echo "              about 6 minutes on 2 workers): the share of draws meeting each"
	@echo "              incentive check's criterion (a report: it exits 0)"
	@echo "make bench  - speed and memory, Numba and NumPy paths side by side, against the"
	@echo "              per-agent reference; the single-run check, the demo sweep, 7.2 million"
	@echo "              cadres x 30 years (17 minutes quiet, 29 busy; BENCH_ARGS=--quick:"
	@echo "              1 minute); writes results/bench/ (untracked); BENCH_ARGS=--record"
	@echo "              writes the tracked benchmarks/results/"
	@echo "make calibrate - the shipped fit of the status quo to the People's Tribune figures, and"
	@echo "              the hold-out fit that predicts the 2018 figures (docs/calibration.md;"
	@echo "              see CAL_BUDGET for the budget and its measured cost); resumable"
	@echo "make calibrate-coverage - simulation-based calibration of the shipped fit's parameters"
	@echo "              and targets at a scaled budget (benchmarks/calibration_coverage.py)"
	@echo "make calibrate-recovery - recovery of known parameter values at the shipped budget"
	@echo "make screen-calibration - every slow validation check's effects across the fit's"
	@echo "              posterior (400 draws), for pattern-oriented defaults (docs/calibration.md)"
	@echo "make ship-calibration - if the fit passes its checks: posterior into configs/posteriors,"
	@echo "              its posterior median into the defaults (simulation/config.py), changelog"
	@echo "make demo-calibrated - the same as make demo (its older name)"
	@echo "make demo-uncalibrated - every preset at the hand-set values the calibration replaced"
	@echo "              (1-2 minutes)"
	@echo "make lint   - ruff check"
	@echo "make docs   - regenerate configs/default.yaml and the ODD parameter table"

$(PY):
	@py=$$(sh scripts/find-python.sh) || exit 1; \
	echo "creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

# The dev extra (tests) and the notebooks extra (Jupyter Lab, nbconvert), so that both set-up
# commands leave notebooks ready to open. pip prints each package as it installs (85 s
# measured on a quiet machine, 6 minutes on a busy one).
$(STAMP): pyproject.toml | $(PY)
	@echo "installing CadreSim and its dependencies into $(VENV) (1.5-6 minutes, depending on load)"
	$(PY) -m pip install --disable-pip-version-check --progress-bar off --upgrade pip
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -e '.[dev,notebooks]'
	@touch $(STAMP)

venv: $(STAMP)

# The main job: every preset regime under the calibrated status quo. Each replicate draws one
# particle of the shipped posterior (configs/posteriors/status_quo_2018.parquet, fitted to the
# People's Tribune figures of 2014-2018; docs/calibration.md), the same for every regime, and
# `cadresim analyze` prints, per objective, how often each regime beats the status quo and its
# robustness verdict. The main figure is
# results/calibrated_regime_comparison/figures/inaction_by_form.png. Rerunning resumes: finished
# runs are not run again. After a change to the model the sweep refuses the old results (another
# model's runs): `make demo DEMO_ARGS=--fresh` starts over.
CALIBRATED_DEMO := configs/experiments/calibrated_regime_comparison.yaml
DEMO_ARGS ?=
demo: venv
	$(VENV)/bin/cadresim sweep $(CALIBRATED_DEMO) --workers 2 $(DEMO_ARGS)
	$(VENV)/bin/cadresim analyze results/calibrated_regime_comparison
	$(VENV)/bin/cadresim plot results/calibrated_regime_comparison

demo-calibrated: demo

# The same presets at the hand-set parameters the calibration replaced (docs/calibration-changelog.md),
# asked for by name: what calibration changed in the comparison.
UNCALIBRATED_DEMO := configs/experiments/uncalibrated_regime_comparison.yaml
demo-uncalibrated: venv
	$(VENV)/bin/cadresim sweep $(UNCALIBRATED_DEMO) --workers 2 $(DEMO_ARGS)
	$(VENV)/bin/cadresim analyze results/uncalibrated_regime_comparison
	$(VENV)/bin/cadresim plot results/uncalibrated_regime_comparison

# The shipped calibration (docs/calibration.md). Two fits of the same targets, priors and budget:
# the hold-out fit (2014-2015 figures only; the 2018 figures predicted out of sample) and the
# shipped fit (every figure). CAL_BUDGET was sized on the pilot (docs/calibration.md, section 4):
# 1 000 particles for 200 effective ones in the final generation (the pilot's generations kept
# 19-56% of their particles effective); should the last one fall short, generations are added
# one at a time, up to 12. About 20 CPU minutes per fit at the pilot's 0.05 CPU s per simulation.
# Rerunning resumes each fit.
CAL_TARGETS := configs/targets/peoples_tribune_2015_2018.yaml
CAL_PRIORS  := configs/priors/behaviour.yaml
CAL_OUT     := results/calibration/peoples_tribune_2015_2018
CAL_BUDGET  ?= --population 1000 --generations 8 --min-ess 200 --max-generations 12 \
	--ppc-draws 100 --seed 1
CAL_WORKERS ?= 2
calibrate: venv
	nice -n 5 $(VENV)/bin/cadresim calibrate $(CAL_TARGETS) --priors $(CAL_PRIORS) \
		--out $(CAL_OUT)-holdout --hold-out 2018 $(CAL_BUDGET) --workers $(CAL_WORKERS) --quiet
	nice -n 5 $(VENV)/bin/cadresim calibrate $(CAL_TARGETS) --priors $(CAL_PRIORS) \
		--out $(CAL_OUT) $(CAL_BUDGET) --workers $(CAL_WORKERS) --quiet

calibrate-coverage: venv
	nice -n 5 $(PY) -m benchmarks.calibration_coverage --targets $(CAL_TARGETS) \
		--priors $(CAL_PRIORS) --replicates 80 --workers $(CAL_WORKERS)

calibrate-recovery: venv
	nice -n 5 $(PY) -m benchmarks.calibration_recovery --targets $(CAL_TARGETS) \
		--priors $(CAL_PRIORS) --population 1000 --generations 8 --workers $(CAL_WORKERS)

CAL_SCREEN  := results/validation/fit_screen
screen-calibration: venv
	$(VENV)/bin/cadresim validate-posterior $(CAL_OUT) --draws 400 --seeds 2 --out $(CAL_SCREEN)

# The posterior median. `cadresim ship $(CAL_OUT) --patterns $(CAL_SCREEN)` ships the
# pattern-oriented point instead (docs/calibration.md, section 8: not shipped on 7 December 2026).
ship-calibration: venv
	$(VENV)/bin/cadresim ship $(CAL_OUT) --holdout $(CAL_OUT)-holdout

test: venv
	$(PY) -m scripts.gen_docs --check
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal -q -m "not validation"

# What a developer runs often: no sweeps through worker processes, browser, notebooks,
# validation or tests over ~2 s of CPU (markers: tests/conftest.py). One process (-n 0), so its
# time is its CPU time on an idle core.
FAST := not (slow or sweep or browser or notebooks or validation)
test-fast: venv
	$(PY) -m pytest -n 0 -q -m "$(FAST)"

# Prints every check with its measured figure and checks docs/validation.md quotes it (each
# check runs once; `pytest -m validation` runs the same checks as tests).
validate: venv
	$(VENV)/bin/cadresim validate --check-report docs/validation.md

validate-posterior: venv
	$(VENV)/bin/cadresim validate-posterior --draws 400 --seeds 2 --out results/validation/across_posterior

BENCH_ARGS ?=
bench: venv
	$(PY) -m benchmarks.bench $(BENCH_ARGS)

experiments: venv
	sh scripts/run-experiments.sh

# No usage telemetry, no version check against PyPI.
app: venv
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=False $(VENV)/bin/solara run simulation/viz/app.py \
		--host 127.0.0.1 --port 8765 --production --no-check-version

# Jupyter Lab on the notebooks (Ctrl-C stops it); the notebooks extra is installed by `venv`.
lab: venv
	$(VENV)/bin/jupyter lab notebooks/

lint: venv
	$(VENV)/bin/ruff check .

docs: venv
	$(PY) -m scripts.gen_docs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
