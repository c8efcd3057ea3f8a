#!/usr/bin/env bash
# Builds the extensions a hosted Supabase project runs and Debian 12 does not package at Supabase's versions
# (supautils, pg_cron 1.6, pg_net, supabase_vault) from vendored sources, into a private copy of the machine's
# PostgreSQL 15 tree, cached outside git. The machine's own PostgreSQL is never touched: its pg_cron stays
# Debian's, and its clusters keep running. Writes .local/pg-extensions.json, which the test harness and the
# embedded local database read: the tree's bin folder and the extensions it holds, or why there is none.
#
# Sources: $SUPALERT_VENDOR_DIR, else ../shared/vendor beside the project. Cache: $SUPALERT_EXT_CACHE, else
# /var/cache/supalert (root) or ~/.cache/supalert. A tree is rebuilt only when the installed PostgreSQL packages,
# the sources or this script change (a key over all three names its folder).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf 'setup: %s\n' "$*"; }
manifest=.local/pg-extensions.json
mkdir -p .local
EXTENSIONS=(supautils pg_cron pg_net supabase_vault)
system_tree=/usr/lib/postgresql/15

skip() {
  say "vendored extensions not built: $1"
  say "  (tests that need supautils, pg_cron 1.6, pg_net or Vault are skipped and say so)"
  python3 -c 'import json, sys; print(json.dumps({"skipped": sys.argv[1]}, indent=2))' "$1" >"$manifest"
  exit 0
}

vendor=${SUPALERT_VENDOR_DIR:-$root/../shared/vendor}
if [ ! -d "$vendor" ]; then
  if [ -n "${SUPALERT_VENDOR_DIR:-}" ]; then
    skip "SUPALERT_VENDOR_DIR=$SUPALERT_VENDOR_DIR is not a folder"
  fi
  skip "no sources: $(cd "$root/.." && pwd)/shared/vendor does not exist and SUPALERT_VENDOR_DIR is not set"
fi
vendor=$(cd "$vendor" && pwd)
for ext in "${EXTENSIONS[@]}"; do
  [ -f "$vendor/$ext/Makefile" ] || skip "$vendor/$ext/Makefile is missing"
done

# Build dependencies. server-dev is pinned to the installed server's version (apt_install.sh), so this never
# upgrades PostgreSQL; where that version is not available the build is skipped, not forced.
set +e
bash scripts/apt_install.sh --optional postgresql-server-dev-15 libcurl4-openssl-dev libsodium-dev
status=$?
set -e
case $status in
  0) ;;
  3) skip "postgresql-server-dev-15 cannot be installed without upgrading the installed PostgreSQL (see above)" ;;
  *) skip "the build dependencies could not be installed (see above)" ;;
esac
pg_config=$system_tree/bin/pg_config
[ -x "$pg_config" ] || skip "$pg_config is missing (postgresql-server-dev-15)"

package_versions=$(dpkg-query -W -f='${Package} ${Version}\n' postgresql-15 postgresql-15-cron \
  postgresql-15-plpgsql-check postgresql-15-pgtap postgresql-server-dev-15 2>/dev/null || true)
source_hash=$(cd "$vendor" && find "${EXTENSIONS[@]}" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
key=$(printf '%s\n%s\n%s\n' "$package_versions" "$source_hash" "$(sha256sum "$0")" | sha256sum | cut -c1-16)

if [ -n "${SUPALERT_EXT_CACHE:-}" ]; then
  cache=$SUPALERT_EXT_CACHE
elif [ "$(id -u)" -eq 0 ]; then
  cache=/var/cache/supalert
else
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/supalert
fi
tree=$cache/pg15-$key

if [ ! -f "$tree/.complete" ]; then
  started=$(date +%s)
  say "building ${EXTENSIONS[*]} from $vendor into $tree"
  mkdir -p "$cache"
  chmod 755 "$cache"
  work=$(mktemp -d "$cache/.build-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  staging=$work/tree
  # A copy of the system tree: its postgres finds share/ and lib/ relative to itself, so DESTDIR installs land
  # beside a private pg_cron 1.6 instead of over Debian's 1.4.2.
  mkdir -p "$staging/usr/lib/postgresql" "$staging/usr/share/postgresql"
  cp -a "$system_tree" "$staging/usr/lib/postgresql/"
  cp -a /usr/share/postgresql/15 "$staging/usr/share/postgresql/"
  for ext in "${EXTENSIONS[@]}"; do
    cp -r "$vendor/$ext" "$work/$ext"
    chmod -R u+w "$work/$ext"
    log=$work/$ext.log
    if ! { make -C "$work/$ext" -j2 PG_CONFIG="$pg_config" && make -C "$work/$ext" install PG_CONFIG="$pg_config" \
      DESTDIR="$staging"; } >"$log" 2>&1; then
      cp "$log" ".local/build-$ext.log"
      say "building $ext failed; the log is in .local/build-$ext.log:" >&2
      tail -n 15 "$log" >&2
      exit 1
    fi
  done
  for lib in "${EXTENSIONS[@]}"; do
    [ -f "$staging/usr/lib/postgresql/15/lib/$lib.so" ] || { say "the build left no $lib.so" >&2; exit 1; }
  done
  chmod -R a+rX "$staging"
  rm -rf "$tree"
  mv "$staging" "$tree"
  printf '%s\n' "$package_versions" >"$tree/.complete"
  say "built in $(($(date +%s) - started)) s"
else
  say "vendored extensions present ($tree)"
fi

# Each extension's release, from the sources' own README table ("| `pg_net/` | supabase/pg_net | v0.20.5 | ...").
python3 - "$manifest" "$tree" "$vendor" "${EXTENSIONS[@]}" <<'PY'
import json, re, sys
path, tree, vendor, *names = sys.argv[1:]
releases = dict(re.findall(r"^\|\s*`([a-z_]+)/`\s*\|[^|]*\|\s*v?([0-9][0-9.]*)\s*\|", open(f"{vendor}/README.md").read(), re.M))
json.dump(
    {
        "bin": f"{tree}/usr/lib/postgresql/15/bin",
        "sources": vendor,
        "extensions": {name: releases.get(name, "unknown") for name in names},
    },
    open(path, "w"),
    indent=2,
)
PY
