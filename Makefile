# CadreSim: `make demo` and `make test` set everything up on a fresh machine.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: demo test validate bench app experiments lint docs venv clean help

help:
	@echo "make demo   - create .venv if needed, compare all preset regimes: table and figures"
	@echo "make test   - create .venv if needed and run the full test suite"
	@echo "make experiments - run, analyse and plot the six shipped experiments (about 4 minutes)"
	@echo "make bench  - speed and memory against the per-agent reference (about 6 minutes)"
	@echo "make app    - the interactive SolaraViz page at http://127.0.0.1:8765"
	@echo "make validate - the validation suite: analytic limits and stylised facts (about 1 minute)"
	@echo "make lint   - ruff check"
	@echo "make docs   - regenerate configs/default.yaml and the ODD parameter table"

$(PY):
	@py=$$(sh scripts/find-python.sh) || exit 1; \
	echo "creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# Experiment 1 (all preset regimes compared): about 15 s of runs on 2 cores, then the table and
# the figures. Rerunning resumes: finished runs are not run again.
DEMO := configs/experiments/regime_comparison.yaml
demo: venv
	$(VENV)/bin/cadresim sweep $(DEMO) --workers 2
	$(VENV)/bin/cadresim analyze results/regime_comparison
	$(VENV)/bin/cadresim plot results/regime_comparison

test: venv
	$(PY) -m scripts.gen_docs --check
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal -q -m "not validation"

# Prints every check with its measured figure; then checks docs/validation.md still matches.
validate: venv
	$(VENV)/bin/cadresim validate
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal -q -m validation tests/test_validation.py

bench: venv
	$(PY) -m benchmarks.bench

experiments: venv
	sh scripts/run-experiments.sh

# No usage telemetry, no version check against PyPI.
app: venv
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=False $(VENV)/bin/solara run simulation/viz/app.py \
		--host 127.0.0.1 --port 8765 --production --no-check-version

lint: venv
	$(VENV)/bin/ruff check .

docs: venv
	$(PY) -m scripts.gen_docs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
