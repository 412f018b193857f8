# Set-up and everyday commands.  `make run` serves Comptoir with demo data on an SQLite file;
# `make test` runs the test suite on SQLite and PostgreSQL (and Debian's chromium for the browser
# test).  Both install what they need first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATABASES ?= sqlite,postgresql
BIND ?= 127.0.0.1:8000

.PHONY: run test services packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(BIN)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(BIN)/.installed

run: $(BIN)/.installed
	$(BIN)/comptoir init --demo
	$(BIN)/comptoir upgrade
	@echo "Comptoir on http://$(BIND)/ -- log in as admin / adminadmin"
	$(BIN)/comptoir serve --bind $(BIND)

test: $(BIN)/.installed-test services packages
	$(BIN)/python -m pytest -n auto --maxprocesses=4 --comptoir-db=$(DATABASES)

services:
	@.ci/services

packages:
	@.ci/packages
