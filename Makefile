# supalert: `make demo` and `make test` are the two commands a newcomer needs (see README.md).
PY := .venv/bin/python

.PHONY: help setup demo test lint bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

setup: ## Install Postgres 15 + extensions, the venv, Deno and the Supabase CLI (idempotent)
	@bash scripts/setup.sh

demo: setup ## Local Postgres + migrate + synthetic incident + status + dashboard URL (DASHBOARD=1 serves it)
	@$(PY) deploy.py migrate
	@$(PY) deploy.py demo-incident
	@$(PY) deploy.py status
	@$(PY) deploy.py dashboard --print-url
	@if [ -n "$(DASHBOARD)" ]; then $(PY) deploy.py dashboard; fi

test: setup ## Every test and lint: Deno (fmt, lint, check, test) for the functions, then pytest (real Postgres)
	@bash scripts/deno_test.sh
	@$(PY) -m pytest

lint: setup ## Only the lints (ruff, sqlfluff, squawk, plpgsql_check, supabase db lint/advisors)
	@$(PY) -m pytest tests/test_lints.py

clean: ## Stop the local Postgres and remove it, the venv and the tools
	-@$(PY) deploy.py local stop
	rm -rf .local .venv tools/node_modules

bench: setup ## Benchmarks, about 60 min (prints every figure with its target; see bench/README.md)
	@$(PY) -m bench.scale
	@$(PY) -m bench.health_rules
	@$(PY) -m bench.series_scale
	@$(PY) -m bench.outbox_sql
	@$(PY) -m bench.dispatch
	@$(PY) -m bench.convert_rate
	@$(PY) -m bench.delivery_latency
