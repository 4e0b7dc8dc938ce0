# Two entry points for a fresh machine: `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck setup system-deps clean lock mutation

# Dependencies come from the lock file (the versions CI tested), then sendplan itself, editable.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -c "from sendplan.routing.placement.kernels import compile_kernels; compile_kernels()"
	$(BIN)/python -c "from sendplan.routing.transport.labels import compile_labels; compile_labels()"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/sendplan demo --out sendplan-demo

lint: $(STAMP)
	$(BIN)/ruff check __init__.py errors.py logs.py routing geo api data tests bench
	$(BIN)/ruff format --check __init__.py errors.py logs.py routing geo api data tests bench
	$(BIN)/lint-imports
	$(BIN)/deptry .

# mypy cannot follow setuptools' editable finder, so it reads the same files through a
# symlinked `sendplan/` view of the package (the repository root is the package).
typecheck: $(STAMP)
	@mkdir -p .typecheck/sendplan
	@for p in routing geo api data bench __init__.py errors.py logs.py; do ln -sfn ../../$$p .typecheck/sendplan/$$p; done
	MYPYPATH=.typecheck $(BIN)/mypy -p sendplan

# Debian Chromium for the report's browser tests (installed when missing and root or sudo is at hand).
system-deps:
	@.ci/system-deps

# Three pytest workers on a 2-core machine: much of the suite's time is spent waiting on the
# service's, Dask's and Chromium's own processes, so a third worker fills the idle cores (the whole
# suite measured 14 min 3 s with three against 15 min 51 s with two, run one after the other).
TEST_WORKERS ?= 3

test: lint typecheck system-deps
	$(BIN)/pytest -n $(TEST_WORKERS)

# Mutation testing (mutmut) of the three checkers, each against its own test files only: one JSON
# report on stdout, progress on stderr, scratch copies in .mutation/ (MUTATION_FLAGS=--only engine).
mutation: $(STAMP)
	@$(BIN)/python bench/mutation.py $(MUTATION_FLAGS)

# Re-resolve requirements.lock from pyproject.toml (LOCK_FLAGS=--upgrade for newer releases).
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links --allow-unsafe --no-header $(LOCK_FLAGS) -o requirements.lock.new pyproject.toml
	{ sed -n 1,2p requirements.lock; cat requirements.lock.new; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock && rm requirements.lock.new

clean:
	rm -rf $(VENV) .typecheck sendplan-demo
