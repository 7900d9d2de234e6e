# Two commands set everything up on a fresh machine:
#   make demo   create .venv, install ember, train the seed notebook's network
#   make test   create .venv, install ember with the test extra, run the suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench digits examples clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-examples: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[examples]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-examples

demo: $(VENV)/.installed
	$(PY) examples/seed/tensors_manual_backward.py
	$(PY) examples/seed/tensors_autograd.py

# the digits MLP: scikit-learn's 8x8 digits, >= 97% test accuracy, curves in examples/output/
digits: $(VENV)/.installed-examples
	$(PY) examples/digits_mlp.py

# every 'Learning PyTorch with Examples' program
examples: $(VENV)/.installed
	for f in examples/seed/*.py examples/tutorial/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

test: $(VENV)/.installed-test
	$(PY) -m pytest -n 2 -q tests

bench: $(VENV)/.installed-test
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
