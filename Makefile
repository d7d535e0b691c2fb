# Two commands do everything on a fresh machine:
#   make demo   set up .venv, then run the demo (the seed's sine, estimated)
#   make test   set up .venv, then run the whole test suite (two pytest-xdist workers)
#   make figures  regenerate the figures of the README and docs in docs/figures (about 25 min on 2 cores)
#   make docs     build the documentation site into docs/_build/html (about 30 s)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench lint figures docs
setup:
	bash scripts/setup.sh

demo: setup
	bash scripts/demo.sh

test: setup
	$(BIN)/python -m pytest -q -n 2

bench: setup
	$(BIN)/python benchmarks/run_all.py

lint: setup
	$(BIN)/python -m ruff check .

figures: setup
	bash scripts/figures.sh

docs: setup
	$(BIN)/python -m sphinx -j auto -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"
