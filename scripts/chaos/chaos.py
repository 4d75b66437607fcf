#!/usr/bin/env python3
"""genworker chaos harness (driven by scripts/chaos.sh).

Every scenario runs the real `genworker` binary (daemon, simulator, enqueue) as
separate processes against PostgreSQL, then checks the outcome from the database
and the simulator's counters. Prints one table:
scenario | requests | lost | submitted twice | refunded twice | result.

Standard library only; SQL goes through `psql`. Modules beside this one: procs
(settings, psql, databases, the simulator and the daemon), checks (requests,
invariants, the table), scenarios (kill -9, PostgreSQL restart, replicas) and
faults (the fault matrix).
"""

import argparse
import os
import shutil
import sys
import threading
import time

import procs
from checks import RESULTS, print_table
from faults import scenario_faults
from procs import PG_ADMIN, PROCS, WORK, drop_dbs, log, psql
from scenarios import scenario_kill9, scenario_pg_restart, scenario_replicas


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="",
                   help="comma list: kill9,kill9generic,kill9useapi,pg,faults,replicas")
    p.add_argument("--rounds", type=int)
    p.add_argument("--inflight", type=int)
    p.add_argument("--replicas-count", type=int)
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args()
    procs.VERBOSE = a.verbose
    rounds = a.rounds or (3 if a.quick else 20)
    inflight = a.inflight or (30 if a.quick else 200)
    rep = a.replicas_count or (300 if a.quick else 10000)
    only = set(filter(None, a.only.split(","))) or (
        {"kill9", "pg", "faults", "replicas"} if a.quick
        else {"kill9", "kill9generic", "kill9useapi", "pg", "faults", "replicas"})
    t0 = time.time()
    try:
        psql(PG_ADMIN, "SELECT 1")
        jobs = []
        if "faults" in only:
            jobs.append(lambda: scenario_faults(PG_ADMIN))
        if "kill9" in only:
            jobs.append(lambda: scenario_kill9(PG_ADMIN, rounds, inflight, "official"))
        if "kill9generic" in only:
            jobs.append(lambda: scenario_kill9(PG_ADMIN, rounds, inflight, "generic"))
        if "kill9useapi" in only:
            jobs.append(lambda: scenario_kill9(PG_ADMIN, rounds, inflight, "useapi"))
        if "pg" in only:
            jobs.append(lambda: scenario_pg_restart(inflight, a.quick))
        if "replicas" in only:
            jobs.append(lambda: scenario_replicas(PG_ADMIN, rep))
        if a.quick:
            # The smoke runs the scenarios side by side to stay well under a minute.
            errors = []
            def guard(job):
                try:
                    job()
                except Exception as e:  # noqa: BLE001
                    errors.append(e)
            threads = [threading.Thread(target=guard, args=(j,)) for j in jobs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise errors[0]
        else:
            for job in jobs:
                job()
    finally:
        for proc in PROCS:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        drop_dbs()
    print_table()
    log(f"total {time.time() - t0:.0f}s; logs in {WORK}")
    failed = [r for r in RESULTS if not r[5].startswith("PASS")]
    if not failed and os.environ.get("CHAOS_KEEP_LOGS") != "1":
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
