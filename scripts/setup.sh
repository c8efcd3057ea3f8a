#!/usr/bin/env bash
# Installs everything supalert's demo and tests need on a fresh Debian 12 machine, as root, with no manual step.
# Idempotent: each step checks first, so a re-run on a ready machine takes seconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf 'setup: %s\n' "$*"; }
started=$(date +%s)

# 1. Postgres 15 and the extensions the rules and tests use (Debian's packages): only what is missing, and never
# an upgrade of an installed PostgreSQL package (scripts/apt_install.sh says why).
# chromium: the dashboard's browser test drives Debian's Chromium (no browser download).
bash scripts/apt_install.sh postgresql-15 postgresql-15-cron postgresql-15-plpgsql-check postgresql-15-pgtap chromium
# Debian's package starts a cluster of its own on 5432; supalert runs its own clusters and never uses that one.

# 1b. supautils, pg_cron 1.6, pg_net and Vault from vendored sources, when they are at hand (cached, outside git).
bash scripts/build_extensions.sh

# 2. The Python virtual environment with the package and its dev extras.
python_bin=${PYTHON:-python3}
stamp=.venv/.supalert-installed
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$python_bin" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing the supalert package with dev extras into .venv"
  # This machine's pip config names local wheel folders that may be absent; its warnings about them are noise.
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' 2> >(grep -v '^WARNING: Location' >&2)
  touch "$stamp"
else
  say "Python environment up to date"
fi

# 3. Pinned Deno and Supabase CLI from the npm registry, into tools/node_modules (ignored by git).
if [ ! -x tools/node_modules/.bin/deno ] || [ ! -x tools/node_modules/.bin/supabase ] \
  || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
  say "installing Deno and the Supabase CLI (npm ci in tools/)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
else
  say "Deno and Supabase CLI present"
fi

say "ready in $(($(date +%s) - started)) s"
