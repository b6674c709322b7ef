# Kaaj's commands. `make run` and `make test` are the two a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall when the dependency list changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint format install messages check-deploy bench clean

run: $(STAMP) ## Start Kaaj with demo data: web, Celery worker and beat (Ctrl-C stops all)
	$(BIN)/python manage.py runstack

test: $(STAMP) ## Run the whole test suite on PostgreSQL
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff (lint and formatting) and import-linter (apps import downward only)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

install: $(STAMP)

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,embedded]"
	rm -f $(VENV)/.installed-*
	touch $@

messages: $(STAMP) ## Extract strings into marketplace/locale/bn and compile the catalogues (no gettext needed to compile)
	$(BIN)/python manage.py makemessages --locale bn --ignore ".venv/*" --ignore "var/*" --ignore "tests/*" --ignore "marketplace/locale_vendor/*" --no-obsolete
	$(BIN)/python manage.py compile_catalogues

check-deploy: $(STAMP) ## Django's deploy checks on the production settings with deploy/env.example (no database needed)
	$(BIN)/python deploy/check.py deploy/env.example

bench: $(STAMP) ## Run every benchmark in bench/ and print its figures
	@for script in bench/[!_]*.py; do [ -e "$$script" ] || continue; echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## Remove the virtualenv (var/, your local data, is kept)
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
