# tunebench: every target installs what it needs into .venv first. setuptools warns on
# every editable install that folders named like the package shadow it: here they are
# the package, so that warning is silenced (PYTHONWARNINGS) and the install stays quiet.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RESULTS ?= results
SUITE ?= default
JOBS ?=
RUN_FLAGS := --results $(RESULTS) $(if $(JOBS),--jobs $(JOBS),)

.PHONY: setup bench quick lessons publish report test lint mutate tamper tabulate surrogate-fidelity perf-loop perf-wrappers perf-objectives perf-scale perf-simulator simulation-check fresh-clone guides install-size compare-check regress lock clean

$(STAMP): pyproject.toml constraints.txt scripts/install_torch.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python scripts/install_torch.py
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -c constraints.txt -e '.[gp,dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv with the pinned stack
	@echo "setup: $(VENV) holds $$($(BIN)/python -m pip list --format=freeze 2>/dev/null | wc -l) packages for python $$($(BIN)/python -c 'import platform; print(platform.python_version())')"

bench: $(STAMP)  ## run the default suite (resumes), then write its report
	$(BIN)/python -m bench run default $(RUN_FLAGS)
	$(BIN)/python -m bench report $(RESULTS)/default

quick: $(STAMP)  ## a small suite in well under two minutes, then its report
	$(BIN)/python -m bench run quick $(RUN_FLAGS)
	$(BIN)/python -m bench report $(RESULTS)/quick

LESSONS := lessons-grid-25 lessons-grid-100 lessons-synthetic lessons-mlp lessons-surrogate parallel

lessons: $(STAMP)  ## the lessons suites (resuming), then the lessons page results/lessons/index.html
	for suite in $(LESSONS); do $(BIN)/python -m bench run $$suite $(RUN_FLAGS) || exit $$?; done
	$(BIN)/python -m bench lessons --results $(RESULTS)

publish: bench lessons surrogate-fidelity  ## the README's claims and figures, recomputed from the stored default, random-vs-grid, lessons and surrogate-check runs
	$(BIN)/python -m bench run random-vs-grid $(RUN_FLAGS)
	$(BIN)/python -m bench report $(RESULTS)/random-vs-grid
	$(BIN)/python -m bench publish --results $(RESULTS)

report: $(STAMP)  ## regenerate the report of SUITE (default: default) from stored runs only
	$(BIN)/python -m bench report $(RESULTS)/$(SUITE)

test: $(STAMP)  ## the test suite, one worker per core
	$(BIN)/python -m pytest -n auto --dist worksteal

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

mutate: $(STAMP)  ## mutation check: the tests must kill >= 90% of the mutants of the loop, budget, report statistics and wrappers (~17 min on 2 cores)
	$(BIN)/python scripts/mutate.py --jobs 2 --out results/published/mutate.md

tamper: $(STAMP)  ## tamper with a results folder and a copy of the code; show that each tamper is noticed
	$(BIN)/python scripts/tamper.py --out results/published/tamper.md

TABLE := objectives/tables/mlp-curves.parquet

tabulate: $(STAMP)  ## record the shipped learning-curve table (resumes; ~15 min on 2 cores): 512 Sobol configurations x 3 seeds x 6 MLP objectives x 27 epochs
	$(BIN)/python -m bench tabulate --configs 512 --seeds 3 --out $(TABLE) --work $(RESULTS)/tabulate/mlp-curves $(if $(JOBS),--jobs $(JOBS),)

surrogate-fidelity: $(STAMP)  ## how faithful the surrogate MLPs are: held-out rank correlations, fidelity correlations, seed noise, the model comparison, and searcher rankings vs real training (runs the surrogate-check suite, resuming; ~10 min)
	$(BIN)/python -m bench run surrogate-check $(RUN_FLAGS)
	$(BIN)/python scripts/surrogate_fidelity.py --results $(RESULTS) --out results/published/surrogate-fidelity.md

perf-loop: $(STAMP)  ## the loop's overhead and random search's cost per trial vs a bare numpy loop; writes results/published/perf-loop.md
	$(BIN)/python benchmarks/perf_loop.py --out results/published/perf-loop.md

perf-wrappers: $(STAMP)  ## tunebench vs each library's native ask/tell loop, 100 trials on Branin; writes results/published/perf-wrappers.md
	$(BIN)/python benchmarks/perf_wrappers.py --out results/published/perf-wrappers.md

perf-objectives: $(STAMP)  ## cost per evaluation of every objective (synthetic: 1 point and a batch; MLPs: 3 configs; recorded curves vs the training they stand for); writes results/published/perf-objectives.md
	$(BIN)/python benchmarks/perf_objectives.py --out results/published/perf-objectives.md

perf-scale: $(STAMP)  ## one suite with --jobs 1, --jobs 2 and a 2-worker loopback Dask cluster: speedups and lower bound; writes results/published/perf-scale.md
	$(BIN)/python benchmarks/perf_scale.py --out results/published/perf-scale.md

fresh-clone: $(STAMP)  ## git clone the committed code to an empty folder, run make setup, bench and test there, time each (~17 min); writes results/published/fresh-clone.md
	$(BIN)/python scripts/fresh_clone.py --out results/published/fresh-clone.md

perf-simulator: $(STAMP)  ## the simulated clock's overhead per trial beyond ask/tell, W = 1, 4, 16, and a 240-run simulation grid's wall time; writes results/published/perf-simulator.md
	$(BIN)/python benchmarks/perf_simulator.py --out results/published/perf-simulator.md

simulation-check: $(STAMP)  ## the simulation against reality: real two-process MLP runs vs their simulation (makespan error, completion-order tau; ~3 min); writes results/published/simulation-check.md
	$(BIN)/python scripts/simulation_check.py --out results/published/simulation-check.md

install-size: $(STAMP)  ## what a fresh Linux x86_64 machine downloads for .[gp], package by package: torch from PyPI alone (CUDA) vs torch's CPU build (~1 min; needs PyPI); writes results/published/install-size.md
	$(BIN)/python scripts/install_size.py --out results/published/install-size.md

compare-check: $(STAMP)  ## bench compare on a planted tpe regression (share of 10 synthetic functions flagged worse) and its false-positive rate over 20 null comparisons (~5 min); writes results/published/compare-check.md
	$(BIN)/python scripts/compare_check.py --out results/published/compare-check.md

LIB ?= optuna
A ?= 4.9.0
B ?= 5.0.0
REGRESS_SUITE ?= quick
regress: $(STAMP)  ## REGRESS_SUITE (quick) with LIB==A and LIB==B in two venvs (.venv-regress/), then bench compare B against A (--fail-on worse); e.g. make regress LIB=optuna A=4.9.0 B=5.0.0
	PYTHON=$(PYTHON) scripts/regress.sh $(LIB) $(A) $(B) $(REGRESS_SUITE) results/regress $(if $(JOBS),--jobs $(JOBS),)

guides:  ## follow the README's plugin guides verbatim in a fresh clone of HEAD, timing each (~3 min)
	scripts/follow_guides.sh

clean:  ## remove .venv and caches (results are kept)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info

lock:  ## re-resolve pyproject's ranges in a scratch venv and rewrite constraints.txt
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet 'torch==2.13.0' '.[gp,dev]'
	{ echo '# The lock: exact versions `make setup` installs (Python 3.11, x86_64). `make lock` rewrites it.'; \
	  .venv-lock/bin/python -m pip freeze --exclude tunebench | sed 's/+cpu$$//'; } > constraints.txt
	rm -rf .venv-lock
