#!/usr/bin/env bash
# The whole test suite, as CI runs it (README: "run all tests").
#   cargo fmt --check; cargo clippy --all-targets -D warnings;
#   the tests on SQLite and PostgreSQL (TEST_DATABASE_URL, default
#   postgres://postgres@127.0.0.1:5432/postgres; each test makes its own database);
#   the Django admin compatibility scenarios (scripts/test-django.sh);
#   smoke runs of the chaos and bench harnesses (scripts/chaos.sh --quick,
#   scripts/bench.sh --smoke; PostgreSQL only).
# PostgreSQL unreachable: with CI=true the script starts the local cluster and fails
# if that does not help; otherwise it skips the PostgreSQL part, saying so loudly.
# The S3 storage tests (`s3_storage::…`) upload to a real S3-compatible server:
# moto's server mode from PyPI, installed into .venv-moto/ on first use, started on
# a free 127.0.0.1 port (TEST_S3_ENDPOINT) and stopped on exit. If it cannot start:
# with CI=true the run fails; otherwise the S3 tests are skipped, saying so loudly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

postgres_up() {
  python3 - "$TEST_DATABASE_URL" <<'PY'
import socket, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
try:
    socket.create_connection((url.hostname or "127.0.0.1", url.port or 5432), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

with_postgres=1
if ! postgres_up; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "PostgreSQL is not answering; starting the local cluster"
    for version in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    for _ in $(seq 1 30); do postgres_up && break; sleep 1; done
    postgres_up || { echo "PostgreSQL still unreachable at $TEST_DATABASE_URL" >&2; exit 1; }
  else
    with_postgres=0
    echo "############################################################################"
    echo "## PostgreSQL unreachable at $TEST_DATABASE_URL:"
    echo "## SKIPPING every PostgreSQL test. This run proves nothing about PostgreSQL."
    echo "############################################################################"
  fi
fi

# shellcheck source=scripts/moto.sh
source scripts/moto.sh

with_s3=1
if ! start_moto; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "the S3-compatible test server (moto) could not be started" >&2
    exit 1
  fi
  with_s3=0
  unset TEST_S3_ENDPOINT
  echo "############################################################################"
  echo "## moto (the S3-compatible test server) could not be started:"
  echo "## SKIPPING every S3 storage test. This run proves nothing about S3."
  echo "############################################################################"
fi

# Each stage's heading says how long the run has taken so far (CI's budget is 25 minutes).
stage() { echo "== $1 (at $((SECONDS / 60)) min $((SECONDS % 60)) s)"; }

stage "cargo fmt --check"
cargo fmt --all -- --check
stage "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings
stage "cargo test (benches run from scripts/bench*.sh, not here)"
skips=()
# PostgreSQL tests are named `…::postgres::…`, `…::postgres_latest::…` (beside the
# bot's latest release) or `…::postgres_<what>`; nothing else has `::postgres` in its path.
if [[ $with_postgres == 0 ]]; then skips+=(--skip ::postgres); fi
if [[ $with_s3 == 0 ]]; then skips+=(--skip s3_storage::); fi
cargo test --lib --bins --tests -- ${skips[@]+"${skips[@]}"}
stage "Django admin compatibility"
cargo build --quiet --bin genworker
if [[ $with_postgres == 1 ]]; then
  scripts/test-django.sh
else
  scripts/test-django.sh --sqlite-only
fi
if [[ $with_postgres == 1 ]]; then
  stage "chaos harness smoke (scripts/chaos.sh --quick)"
  GENWORKER_BIN=target/debug/genworker scripts/chaos.sh --quick
  stage "bench harness smoke (scripts/bench.sh --smoke)"
  scripts/bench.sh --smoke
fi
stage "all tests passed"
