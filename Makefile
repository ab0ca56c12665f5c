# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test install install-test migrate seed messages lint check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo

## make run: set up everything and start web + Celery worker + Celery beat (Ctrl-C stops all)
run: seed
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0 || echo "gettext missing: using the committed .mo files"
	@echo "Portal on http://127.0.0.1:$(PORT)/  (API docs: /api/docs/, health: /healthz)"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

## make test: install what the tests need and run the whole suite
test: install
	$(BIN)/python -m pytest -n auto

messages: install
	$(BIN)/python manage.py makemessages -l ko -l ja --ignore=.venv --ignore=staticfiles --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var/*.sqlite3* var/celery var/celerybeat-schedule*
