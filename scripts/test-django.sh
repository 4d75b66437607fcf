#!/usr/bin/env bash
# Django admin compatibility test: genworker and a Django 5.2 project with the bot's
# `botapp` models (scripts/django/) sharing one database, on PostgreSQL and SQLite.
#
# Usage: scripts/test-django.sh [--sqlite-only | --pg-only] [--keep] [-h]
#
# Environment:
#   GENWORKER_BIN      genworker binary (default: target/debug/genworker, from the repo root)
#   TEST_DATABASE_URL  PostgreSQL server to create scratch databases on
#                      (default: postgres://postgres@127.0.0.1:5432/postgres); each scenario
#                      gets a fresh database gw_django_<pid>_<scenario>, dropped at the end
#   CONTRACT_DIR       the Django schema contract (default: tests/contract, the repo's copy)
#
# Scenarios, on each backend:
#   django-contract   `manage.py migrate` (all apps) creates exactly the contract's schema
#   genworker-contract `genworker migrate` on an empty database creates exactly the contract's schema
#   greenfield        genworker migrate creates the tables; Django fakes botapp's migrations,
#                     migrates its own apps; the admin lists kling-v1 and saves it with
#                     is_active off and price 79.50; `genworker models show` sees both
#   django-first      Django creates the tables; genworker migrate leaves the botapp schema
#                     and rows alone except for inserting kling-v1 (read back through the
#                     ORM); a second genworker migrate changes nothing
#   django-kling      as django-first, with a kling-v1 row created by the Django ORM first
#                     (price 99.00, inactive): genworker migrate leaves it untouched
#
# The Python side runs in a virtualenv at .venv-django/ (created on first use with
# Django==5.2.* and psycopg[binary]). Prints one PASS/FAIL line per scenario and exits
# non-zero if any failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DJ="$ROOT/scripts/django"
VENV="$ROOT/.venv-django"
PY="$VENV/bin/python"
TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
GENWORKER_BIN="${GENWORKER_BIN:-target/debug/genworker}"
case "$GENWORKER_BIN" in
  /*) ;;
  */*) [[ -e "$GENWORKER_BIN" ]] && GENWORKER_BIN="$(pwd)/$GENWORKER_BIN" || GENWORKER_BIN="$ROOT/$GENWORKER_BIN" ;;
  *) GENWORKER_BIN="$(command -v "$GENWORKER_BIN" || echo "$GENWORKER_BIN")" ;;
esac
export GENWORKER_BIN TEST_DATABASE_URL
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1

say() { printf '    %s\n' "$*"; }
die() { printf '    FAILED: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# One scenario, run as its own bash process (so `set -e` holds inside it):
#   test-django.sh __scenario <postgres|sqlite> <name> <DATABASE_URL> <workdir>
# ---------------------------------------------------------------------------------------
manage() { (cd "$DJ" && "$PY" manage.py "$@"); }
djcheck() { "$PY" "$DJ/djcheck.py" "$@"; }
snapshot() { "$PY" "$DJ/snapshot.py" "$@"; }
gw() { "$GENWORKER_BIN" "$@"; }

gw_migrate() {
  local log="$WORK/gw-migrate.$1.log"
  if ! gw migrate >"$log" 2>&1; then
    sed 's/^/      | /' "$log" >&2
    die "genworker migrate ($1) exited non-zero"
  fi
  say "genworker migrate ($1): exit 0"
}

django_contract() {
  manage migrate -v0
  say "manage.py migrate (all apps): ok"
  "$PY" "$DJ/schema_check.py" --label "    "
}

genworker_contract() {
  gw_migrate first
  "$PY" "$DJ/schema_check.py" --label "    "
}

greenfield() {
  gw_migrate first
  manage migrate botapp --fake -v0
  say "manage.py migrate botapp --fake: ok"
  manage migrate -v0
  say "manage.py migrate (auth, admin, contenttypes, sessions): ok"
  if manage migrate --check -v0 >/dev/null 2>&1; then say "no unapplied Django migrations"; else die "manage.py migrate --check: unapplied migrations"; fi
  djcheck superuser | sed 's/^/    /'
  djcheck admin-edit | sed 's/^/    /'
  djcheck orm-roundtrip | sed 's/^/    /'
  local json="$WORK/kling.json"
  gw models show kling-v1 --json >"$json" || die "genworker models show kling-v1 --json exited non-zero"
  "$PY" - "$json" <<'EOF'
import json, sys
raw = open(sys.argv[1], encoding="utf-8").read()
try:
    obj = json.loads(raw)
except ValueError as e:
    sys.exit(f"    FAILED: genworker models show --json printed no JSON object ({e}): {raw[:500]!r}")
bad = []
if obj.get("is_active") is not False:
    bad.append(f"is_active is {obj.get('is_active')!r}, expected false")
if obj.get("price") != "79.50":
    bad.append(f"price is {obj.get('price')!r}, expected \"79.50\"")
if obj.get("slug") != "kling-v1":
    bad.append(f"slug is {obj.get('slug')!r}")
if bad:
    sys.exit("    FAILED: genworker models show kling-v1 --json after the admin edit: " + "; ".join(bad))
print('    genworker models show kling-v1 --json: "is_active": false, "price": "79.50"')
EOF
}

django_first() {
  local variant="$1" # plain | kling
  manage migrate -v0
  say "manage.py migrate (all apps, botapp's own migrations): ok"
  if [[ "$variant" == kling ]]; then
    djcheck create-kling | sed 's/^/    /'
  fi
  snapshot botapp-schema "$DATABASE_URL" >"$WORK/schema.before"
  snapshot botapp-data "$DATABASE_URL" >"$WORK/data.before"
  if [[ "$variant" == plain ]] && grep -q 'kling-v1' "$WORK/data.before"; then die "kling-v1 exists before genworker migrate"; fi

  gw_migrate first
  snapshot botapp-schema "$DATABASE_URL" >"$WORK/schema.after" 2>"$WORK/schema.notes"
  sed 's/^/    /' "$WORK/schema.notes"
  if ! diff -u "$WORK/schema.before" "$WORK/schema.after" >"$WORK/schema.diff"; then
    sed 's/^/      | /' "$WORK/schema.diff" >&2
    die "genworker migrate changed the botapp_* schema"
  fi
  say "botapp_* schema unchanged"
  snapshot botapp-data "$DATABASE_URL" >"$WORK/data.after"
  local removed added
  removed="$(comm -23 <(sort "$WORK/data.before") <(sort "$WORK/data.after"))"
  added="$(comm -13 <(sort "$WORK/data.before") <(sort "$WORK/data.after"))"
  if [[ -n "$removed" ]]; then
    printf '%s\n' "$removed" | sed 's/^/      - /' >&2
    die "genworker migrate changed or deleted existing botapp rows"
  fi
  if [[ "$variant" == kling ]]; then
    if [[ -n "$added" ]]; then
      printf '%s\n' "$added" | sed 's/^/      + /' >&2
      die "genworker migrate added botapp rows although kling-v1 existed"
    fi
    say "no botapp row added or changed"
    djcheck check-kling-untouched | sed 's/^/    /'
  else
    if [[ "$(printf '%s\n' "$added" | grep -c .)" != 1 ]] || ! grep -q $'^botapp_aimodel\t' <<<"$added" || ! grep -q 'kling-v1' <<<"$added"; then
      printf '%s\n' "$added" | sed 's/^/      + /' >&2
      die "expected exactly one new botapp row (kling-v1 in botapp_aimodel)"
    fi
    say "exactly one botapp row added: kling-v1; no other row changed"
    djcheck read-kling | sed 's/^/    /'
  fi

  snapshot full "$DATABASE_URL" >"$WORK/full.1"
  gw_migrate second
  snapshot full "$DATABASE_URL" >"$WORK/full.2"
  if ! diff -u "$WORK/full.1" "$WORK/full.2" >"$WORK/full.diff"; then
    sed 's/^/      | /' "$WORK/full.diff" >&2
    die "second genworker migrate changed the database"
  fi
  say "second genworker migrate: schema and botapp rows identical"
  djcheck orm-roundtrip | sed 's/^/    /'
}

if [[ "${1:-}" == __scenario ]]; then
  BACKEND="$2" NAME="$3" WORK="$5"
  export DATABASE_URL="$4"
  case "$NAME" in
    django-contract) django_contract ;;
    genworker-contract) genworker_contract ;;
    greenfield) greenfield ;;
    django-first) django_first plain ;;
    django-kling) django_first kling ;;
    *) die "unknown scenario $NAME" ;;
  esac
  exit 0
fi

# ---------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------
BACKENDS=(postgres sqlite)
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --sqlite-only) BACKENDS=(sqlite) ;;
    --pg-only | --postgres-only) BACKENDS=(postgres) ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done
SCENARIOS=(django-contract genworker-contract greenfield django-first django-kling)

if [[ ! -x "$GENWORKER_BIN" ]]; then
  echo "genworker binary not found at $GENWORKER_BIN (cargo build, or set GENWORKER_BIN)" >&2
  exit 2
fi

# virtualenv, installed only when missing
if [[ ! -x "$PY" ]]; then
  echo "creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$PY" -c 'import django, psycopg, sys; sys.exit(django.VERSION[:2] != (5, 2))' 2>/dev/null; then
  echo "installing Django 5.2 and psycopg into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'Django==5.2.*' 'psycopg[binary]'
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/gw-django.XXXXXX")"
PG_DBS=()
cleanup() {
  if [[ "$KEEP" == 1 ]]; then
    echo "kept: $TMP ${PG_DBS[*]:-}"
    return
  fi
  for db in "${PG_DBS[@]:-}"; do
    [[ -n "$db" ]] && pg_admin -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

pg_admin() { PGOPTIONS="-c client_min_messages=warning" psql -X -q "$TEST_DATABASE_URL" "$@"; }

pg_url_for() { # replace the database name in TEST_DATABASE_URL
  "$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
    "$TEST_DATABASE_URL" "$1"
}

PASSED=0 FAILED=0
RESULTS=()
for backend in "${BACKENDS[@]}"; do
  if [[ "$backend" == postgres ]] && ! pg_admin -c 'SELECT 1' >/dev/null 2>"$TMP/pg-error"; then
    for s in "${SCENARIOS[@]}"; do
      line="FAIL postgres $s (PostgreSQL unreachable at $TEST_DATABASE_URL: $(head -1 "$TMP/pg-error"))"
      echo "$line"; RESULTS+=("$line"); FAILED=$((FAILED + 1))
    done
    continue
  fi
  for s in "${SCENARIOS[@]}"; do
    work="$TMP/$backend-$s"
    mkdir -p "$work"
    if [[ "$backend" == postgres ]]; then
      db="gw_django_$$_${s//-/_}"
      PG_DBS+=("$db")
      pg_admin -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\"" >/dev/null
      url="$(pg_url_for "$db")"
    else
      url="sqlite://$work/db.sqlite3"
    fi
    echo "--- $backend $s ($url)"
    start=$SECONDS
    if bash "$0" __scenario "$backend" "$s" "$url" "$work"; then
      line="PASS $backend $s ($((SECONDS - start))s)"
      PASSED=$((PASSED + 1))
    else
      line="FAIL $backend $s ($((SECONDS - start))s)"
      FAILED=$((FAILED + 1))
    fi
    echo "$line"
    RESULTS+=("$line")
  done
done

echo
echo "=== Django compatibility summary"
printf '%s\n' "${RESULTS[@]}"
echo "django-compat: $PASSED passed, $FAILED failed"
[[ "$FAILED" == 0 ]]
