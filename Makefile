# The course's commands. `make lab` for students, `make test` for everyone who changes the course.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
START   = course/lessons/00-start-here.ipynb

.PHONY: lab test test-slow lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.course: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.course-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.course

# nbgrader runs `alembic` from PATH; root may run Jupyter only when it says so.
RUN     = PATH="$(CURDIR)/$(BIN):$$PATH"
AS_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(VENV)/.course  ## install the course and open JupyterLab on its start page
	$(RUN) $(BIN)/jupyter lab --ServerApp.ip=localhost --ServerApp.root_dir=$(CURDIR) \
		$(AS_ROOT) $(START)

test: $(VENV)/.course-test  ## install the test extra and run the suite (all but the slow round trips)
	$(RUN) $(BIN)/python -m pytest

test-slow: $(VENV)/.course-test  ## the grading round trips: both scorers, hostile notebooks, crashes
	$(RUN) $(BIN)/python -m pytest -m slow

bench: $(VENV)/.course-test  ## widget, lesson and import timings; grading throughput
	$(RUN) $(BIN)/python tests/benchmarks/bench_widgets.py
	$(RUN) $(BIN)/python tests/benchmarks/bench_grading.py

lint: $(VENV)/.course-test
	$(BIN)/ruff check course tests
	$(BIN)/ruff format --check course tests

clean:
	rm -rf $(VENV) build *.egg-info
