#!/usr/bin/env bash
# Chaos harness for genworker: kill -9 rounds, a PostgreSQL restart, the fault
# matrix through the simulator, and three replicas on one PostgreSQL.
# Prints one table: scenario | requests | lost | submitted twice | refunded twice | result.
#
#   scripts/chaos.sh            full run (20 kill -9 rounds x 200 requests, 10,000 requests on 3 replicas)
#   scripts/chaos.sh --quick    smoke (3 rounds x 30, 300 requests; under a minute)
#   scripts/chaos.sh --only kill9,faults [--rounds N --inflight N --replicas-count N --verbose]
#
# Needs PostgreSQL at CHAOS_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres;
# databases gw_chaos_<pid>_* are created and dropped), psql and Python 3. The restart
# scenario initdb's and restarts its own server (as user postgres when run as root),
# so the shared cluster is never restarted. Exit status 1 when any scenario fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CHAOS_TARGET_DIR:-${CARGO_TARGET_DIR:-target}}"
if [[ -z "${GENWORKER_BIN:-}" ]]; then
    cargo build --release --quiet --bin genworker
    export GENWORKER_BIN="$CARGO_TARGET_DIR/release/genworker"
fi
exec python3 scripts/chaos/chaos.py "$@"
