#!/usr/bin/env bash
# Queue benchmarks (issue 5), one table on standard output:
#   idle cost (CPU %, transactions/min), pickup latency (PostgreSQL NOTIFY, SQLite
#   polling), throughput on PostgreSQL beside a pgbench floor (same server, same
#   client count, one-row SKIP LOCKED claim + complete per transaction) and on SQLite,
#   and capacity (1,000 / 5,000 / 10,000 Kling jobs of 60 s in one daemon: peak RSS,
#   CPU %, Kling requests/s), and crash recovery (N jobs in flight, SIGKILL, a new
#   daemon at once: seconds until all are done, with the worker registry's takeover
#   and with the lease alone), and Kling calls per video and the delay after a task's
#   end with polling and with callbacks, and the queue engine alone (the daemon with the
#   instant test provider beside pgbench's one-row and 32-row floors, and its
#   instructions per request under callgrind when valgrind is on PATH; BENCH_CALLGRIND_KEEP=DIR keeps
#   its profiles for callgrind_annotate). The daemon and
#   the simulator run as child processes.
#
#   scripts/bench.sh            the full run (about 10 minutes)
#   scripts/bench.sh --quick    small counts, under a minute
#   scripts/bench.sh --smoke    debug build, smallest counts: proves the harness runs (scripts/test.sh)
#   scripts/bench.sh --only throughput,latency   some sections (idle, latency, throughput, capacity, recovery, callbacks, engine)
#
# Needs PostgreSQL at BENCH_DATABASE_URL (else TEST_DATABASE_URL, else
# postgres://postgres@127.0.0.1:5432/postgres; it creates and drops gw_bench_* databases),
# and psql and pgbench on PATH. Progress goes to standard error.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for tool in psql pgbench; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool not found on PATH" >&2; exit 1; }
done
if [[ " $* " == *" --smoke "* ]]; then
  # The harness itself, quickly, in the debug build the tests already made.
  exec cargo bench --profile dev --bench queue -- "$@"
fi
exec cargo bench --bench queue -- "$@"
