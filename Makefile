VENV ?= .venv
PY := $(VENV)/bin/python
PROJECT ?= projects/demo.gpkg

.PHONY: venv run test bench demo clean installer installer-smoke

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

$(PROJECT): $(VENV)/.installed
	$(VENV)/bin/territory-desk demo $(PROJECT) --seed 1

demo: $(PROJECT)

run: $(PROJECT)
	$(VENV)/bin/territory-desk $(PROJECT)

# import contracts, lint (ruff: pyflakes, complexity, and style in tests/), types (mypy: the files
# [tool.mypy] names), then the suite
test: $(VENV)/.installed
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check territory_desk tests
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -n 2

bench: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test,bench]'
	for b in tests/bench/bench_*.py; do echo "== $$b"; QT_QPA_PLATFORM=offscreen $(PY) $$b; done

installer:
	bash installer/build.sh

installer-smoke:
	bash installer/smoke_test.sh

clean:
	rm -rf $(VENV) build dist *.egg-info
