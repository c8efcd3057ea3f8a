#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are missing, and never upgrades an installed PostgreSQL
# package: an upgrade under a running server breaks every cluster on the machine (new backends load a plpgsql.so
# the old postmaster cannot link; ENVIRONMENT.md). Packages built from the postgresql-15 source (server-dev,
# client) are pinned to the installed server's version; a plan that would still upgrade a PostgreSQL package is
# refused before anything is installed.
# Usage: scripts/apt_install.sh [--optional] PACKAGE ...
#   --optional: when these cannot be installed without an upgrade, say so and exit 3 instead of 1.
set -euo pipefail
say() { printf 'setup: %s\n' "$*"; }

optional=0
if [ "${1:-}" = "--optional" ]; then
  optional=1
  shift
fi
installed_version() { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'; }

missing=()
for pkg in "$@"; do
  [ -n "$(installed_version "$pkg")" ] || missing+=("$pkg")
done
((${#missing[@]})) || exit 0

if [ "$(id -u)" -ne 0 ]; then
  say "missing Debian packages: ${missing[*]}; run this as root (or install them) and re-run" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

server_version=$(installed_version postgresql-15)
wanted=()
for pkg in "${missing[@]}"; do
  case "$pkg" in
    postgresql-server-dev-15 | postgresql-client-15 | postgresql-15-jit-llvm | libpq-dev)
      if [ -n "$server_version" ]; then
        if ! apt-cache madison "$pkg" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -qxF "$server_version"; then
          say "$pkg $server_version (the installed postgresql-15's version) is not in the package index;" \
            "installing another version would mean upgrading postgresql-15 under its running clusters" >&2
          exit $((optional ? 3 : 1))
        fi
        wanted+=("$pkg=$server_version")
        continue
      fi
      ;;
  esac
  wanted+=("$pkg")
done

# Refuse a plan that upgrades an installed PostgreSQL package (an "Inst name [old version]" line).
upgrades=$(apt-get install -s -y "${wanted[@]}" 2>&1 \
  | sed -n -E 's/^Inst ((postgresql|libpq)[^ ]*) \[([^]]*)\] \(([^ ]*).*/\1 \3 -> \4/p' || true)
if [ -n "$upgrades" ]; then
  say "installing ${missing[*]} would upgrade installed PostgreSQL packages ($(echo "$upgrades" | paste -sd, -));" \
    "not done, as it would break the clusters running on this machine" >&2
  exit $((optional ? 3 : 1))
fi

say "installing ${wanted[*]} (apt)"
apt-get install -y -qq "${wanted[@]}" >/dev/null
