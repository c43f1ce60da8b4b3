# Beat: the two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEV_ENV := var/dev.env

.PHONY: run test lint check-migrations venv dev-env migrate seed messages clean bench-publish chaos-publish bench-inbox e2e seed-scale bench-dashboard

# Create .venv with the runtime requirements; re-run pip only when requirements change.
$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Beat needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

# Development secrets, generated once per machine into var/dev.env (never committed).
$(DEV_ENV): | $(VENV)/.installed
	@mkdir -p var
	@$(PY) scripts/dev_env.py > $@
	@echo "Wrote development settings to $@"

dev-env: $(DEV_ENV)

migrate: $(VENV)/.installed $(DEV_ENV)
	@set -a; . ./$(DEV_ENV); set +a; $(PY) manage.py migrate --no-input -v 0

seed: migrate
	@set -a; . ./$(DEV_ENV); set +a; $(PY) manage.py seed_demo && \
		$(PY) manage.py sandbox_accounts --out var/sandbox-accounts.json

# Everything on the embedded default: SQLite, filesystem broker, platform sandbox, demo data.
run: seed
	@echo ""
	@echo "Beat is starting on http://127.0.0.1:$${BEAT_PORT:-8000}/  (Ctrl-C stops everything)"
	@echo ""
	@set -a; . ./$(DEV_ENV); set +a; exec $(VENV)/bin/honcho start -f Procfile

# The whole suite. With DATABASE_URL / REDIS_URL set it runs on PostgreSQL and Redis.
test: $(VENV)/.installed-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# Browser journeys (tests/e2e, not part of `make test`): Debian's Chromium through Playwright
# against a live stack (sandbox, web, Celery worker and beat) on a fresh database; PostgreSQL
# and Redis when DATABASE_URL / REDIS_URL are set. Screenshots: var/e2e-artifacts/<run>/.
e2e: $(VENV)/.installed-dev
	bash scripts/e2e_setup.sh
	$(PY) -m pytest tests/e2e -v $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

check-migrations: $(VENV)/.installed-dev
	DJANGO_DEBUG=1 BEAT_ENCRYPTION_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
		$(PY) manage.py makemigrations --check --dry-run

# Regenerate the Korean catalogue after changing user-facing strings (needs GNU gettext).
messages: $(VENV)/.installed
	DJANGO_DEBUG=1 BEAT_ENCRYPTION_KEYS=unused $(PY) manage.py makemessages -l ko --no-obsolete --add-location file
	DJANGO_DEBUG=1 BEAT_ENCRYPTION_KEYS=unused $(PY) manage.py compilemessages -l ko --ignore .venv

# Benchmarks: minutes each, not part of `make test` or CI. They use PostgreSQL and Redis
# (started if down, as .ci/run does; database beat_bench), the sandbox and real Celery
# workers and beat. N=... sets the number of posts. See README.md, "Benchmarks".
bench-publish: $(VENV)/.installed-dev
	$(PY) scripts/bench_publish.py $(if $(N),--posts $(N))

# N inbound messages (default 200,000) from the sandbox through the real inbox pull into
# PostgreSQL (database beat_bench_inbox), against a raw COPY of the same rows. See
# scripts/bench_inbox.py.
bench-inbox: $(VENV)/.installed-dev
	$(PY) scripts/bench_inbox.py $(if $(N),--messages $(N))

# The analytics workload of a large force in PostgreSQL (database beat_scale): 100,000 posts,
# 1,000,000 inbox messages, 5,000,000 metric snapshots for one agency among five. Seeds only
# when the data is not there yet; FORCE=1 seeds again. See scripts/seed_scale.py.
seed-scale: $(VENV)/.installed-dev
	$(PY) scripts/seed_scale.py $(if $(FORCE),--force)

# Every analyst dashboard page against that data, with its main aggregate as raw SQL beside it.
# Target: each page's p95 at most 300 ms. See scripts/bench_dashboard.py.
bench-dashboard: seed-scale
	$(PY) scripts/bench_dashboard.py

chaos-publish: $(VENV)/.installed-dev
	$(PY) scripts/chaos_publish.py $(if $(N),--posts $(N))

clean:
	rm -rf var/broker var/test
