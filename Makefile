# CadreSim: `make demo` and `make test` set everything up on a fresh machine.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: demo test test-fast validate bench app lab experiments lint docs venv clean help

# Durations measured on the 2-core development machine; "loaded" = other jobs running.
help:
	@echo "make demo   - create .venv if needed (install 1.5-6 minutes, shown), compare all preset"
	@echo "              regimes: table and figures (2-5 minutes)"
	@echo "make test   - create .venv if needed and run the full test suite (5-11 minutes)"
	@echo "make test-fast - unit and property tests: no sweeps, browser, notebooks or validation;"
	@echo "              one process (75 s wall, 72 s of CPU at load 1.5 on 7 Dec 2026; about"
	@echo "              3 minutes on a loaded machine)"
	@echo "make lab    - Jupyter Lab on notebooks/ (installed by make demo / make test)"
	@echo "make app    - the interactive page at http://127.0.0.1:8765"
	@echo "make experiments - run, analyse and plot the six shipped experiments, with progress"
	@echo "              (7-25 minutes: 12 minutes at load 8 on 7 Dec 2026, the Sobol sweep 2.6),"
	@echo "              then the scenario discovery on the Sobol sweep and the policy search"
	@echo "              (the search: 24 minutes of CPU measured at load 10; about 10 minutes"
	@echo "              on 2 quiet cores, estimated)"
	@echo "make validate - the validation suite, each check once, with progress inside each check"
	@echo "              (1 minute quiet, 22 at load 10); exits 1: wang_chilling_effect is known"
	@echo "              to fail (README, Validation)"
	@echo "make bench  - speed and memory, Numba and NumPy paths side by side, against the"
	@echo "              per-agent reference; the single-run check, the demo sweep, 7.2 million"
	@echo "              cadres x 30 years (17 minutes quiet, 29 busy; BENCH_ARGS=--quick:"
	@echo "              1 minute); writes results/bench/ (untracked); BENCH_ARGS=--record"
	@echo "              writes the tracked benchmarks/results/"
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

# Experiment 1 (the status quo and every preset regime compared): 220 runs, 117 s of sweep measured
# on a loaded 2-core machine (load about 8) on 7 December 2026, then the table and the figures;
# the main figure is results/regime_comparison/figures/inaction_by_form.png (the three forms of
# inaction beside its causes, per regime, with real output and welfare below). Rerunning resumes:
# finished runs are not run again.
DEMO := configs/experiments/regime_comparison.yaml
demo: venv
	$(VENV)/bin/cadresim sweep $(DEMO) --workers 2
	$(VENV)/bin/cadresim analyze results/regime_comparison
	$(VENV)/bin/cadresim plot results/regime_comparison

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
