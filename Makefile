# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
VAR_DIR ?= var
# The embedded default is a development set-up (as the .env below says to commands run
# without make); production sets DEBUG=0 and its secrets in the environment.
export DEBUG ?= 1

.PHONY: run serve test lint bench install local clean-var

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed local

# What a checkout needs beside the code: a git-ignored development .env (DEBUG on, a
# local SECRET_KEY; written once, never overwritten), so manage.py works in any terminal
# as the README shows, and the folders of the embedded default (the SQLite files and the
# filesystem broker; settings create nothing when imported, and the email and cache
# backends make their own folders).
local: .env
	@mkdir -p $(VAR_DIR)/broker $(VAR_DIR)/broker-control

.env:
	@$(PYTHON) bin/write-env $@

run: $(VENV)/.installed local
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_library
	$(PY) manage.py load_protocols
	$(PY) manage.py load_questionnaires
ifneq ($(filter 1 true True yes on,$(DEBUG)),)
	$(PY) manage.py seed_demo
else
	@echo "DEBUG is off: no demo accounts (create users with create_therapist and create_patient)"
endif
	$(MAKE) --no-print-directory serve

# Web, worker and beat, each behind bin/respawn: a process that dies (even by kill -9)
# is started again within a second or two while the others keep serving. Production
# runs the Procfile under its own supervisor instead (README: Processes).
serve: $(VENV)/.installed local
	sed -E 's|^([A-Za-z0-9_-]+):[[:space:]]*|\1: sh bin/respawn |' Procfile > $(VAR_DIR)/Procfile.embedded
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start --port $(PORT) \
		--app-root $(CURDIR) --procfile $(abspath $(VAR_DIR))/Procfile.embedded

test: $(VENV)/.installed local
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict --config-file /dev/null ptrx/plans/domain ptrx/outcomes/domain
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

bench: $(VENV)/.installed
	$(PY) bench/run_all.py

clean-var:
	rm -rf var
