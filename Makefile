# The course's commands. `make lab` for students, `make test` for everyone who changes the course.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
START   = course/lessons/00-start-here.ipynb

.PHONY: lab test lint exercises clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.course: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.course-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.course

lab: $(VENV)/.course  ## install the course and open JupyterLab on its start page
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(START)

test: $(VENV)/.course-test  ## install the test extra and run the whole suite
	$(BIN)/python -m pytest

lint: $(VENV)/.course-test
	$(BIN)/ruff check course tests
	$(BIN)/ruff format --check course tests

clean:
	rm -rf $(VENV) build *.egg-info
