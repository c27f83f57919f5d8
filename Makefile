# Needlepoint: `make run` serves the demo clinic, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test install migrate demo check bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	PUBLIC_SITE_URL=$${PUBLIC_SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py seed_demo

## run: install, migrate, load the demo clinic, then the web server, a Celery worker and beat (Ctrl-C stops all).
run: demo
	@echo
	@echo "Needlepoint is starting at http://127.0.0.1:$(PORT)/  (clinic admin: http://127.0.0.1:$(PORT)/admin/)"
	@echo "Messages go to files under var/mail and var/sms, listed at http://127.0.0.1:$(PORT)/admin/scheduling/sentmessage/"
	@echo "Press Ctrl-C to stop the web server, the worker and beat."
	@echo
	PUBLIC_SITE_URL=$${PUBLIC_SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/honcho start --procfile Procfile.dev --port $(PORT)

## test: the whole suite; PostgreSQL and Redis are used when configured or reachable on localhost.
test: install
	$(BIN)/python -m pytest

## check: Django's checks, no missing migration, the layers (import-linter), and lint (ruff).
check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/plan_series.py

clean:
	rm -rf var .pytest_cache .hypothesis
