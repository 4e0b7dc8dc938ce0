# Two entry points for a fresh machine: `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/sendplan demo --out sendplan-demo

lint: $(STAMP)
	$(BIN)/ruff check __init__.py errors.py routing geo api data tests bench
	$(BIN)/ruff format --check __init__.py errors.py routing geo api data tests bench

# mypy cannot follow setuptools' editable finder, so it reads the same files through a
# symlinked `sendplan/` view of the package (the repository root is the package).
typecheck: $(STAMP)
	@mkdir -p .typecheck/sendplan
	@for p in routing geo api data bench __init__.py errors.py; do ln -sfn ../../$$p .typecheck/sendplan/$$p; done
	MYPYPATH=.typecheck $(BIN)/mypy -p sendplan

test: lint typecheck
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .typecheck sendplan-demo
