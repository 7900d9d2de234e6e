# Two commands set everything up on a fresh machine:
#   make demo   create .venv, install ember, train the seed notebook's network
#   make test   create .venv, install ember with the test extra, run the suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) examples/seed/tensors_manual_backward.py
	$(PY) examples/seed/tensors_autograd.py

test: $(VENV)/.installed-test
	$(PY) -m pytest -n 2 -q tests

bench: $(VENV)/.installed-test
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
