"""The crash scenarios: kill -9 rounds, PostgreSQL restarted mid-run (a server
of its own) and three replicas on one PostgreSQL.
"""

import json
import os
import random
import shutil
import subprocess
import time

import procs
from checks import (clone_requests, enqueue_many, generic_duplicates, lost_count, money_checks,
                    official_duplicates, record, status_counts, wait_final)
from procs import WORK, Daemon, Sim, create_db, daemon_env, drop_dbs_for, free_port, log, psql, run_cli, scalar


def scenario_kill9(admin, rounds, inflight, style):
    name = f"kill -9 x{rounds} ({style})"
    log(f"{name}: {inflight} requests in flight per round")
    url = create_db(admin, f"kill9{style[0]}")
    sim = Sim(f"kill9-{style}")
    sim.knobs(finish_after_ms=2500, video_bytes=32 * 1024)
    # Every request at Kling at once (the default per-process limit is 20).
    env = daemon_env(url, sim, style, KLING_MAX_CONCURRENT=max(256, inflight))
    users = [7000 + i for i in range(10)]
    total, serial, injected = 0, 0, 0
    rng = random.Random(os.getpid())
    daemon = None
    kill_log = []
    for rnd in range(rounds):
        unfinished = int(scalar(url, "SELECT count(*) FROM botapp_genrequest WHERE status "
                                     "IN ('queued','processing')"))
        add = max(0, inflight - unfinished)
        prompts = [f"chaos {style} r{rnd} #{serial + i} {os.getpid()}" for i in range(add)]
        serial += add
        enqueue_many(url, prompts, users)
        total += add
        # A mix of outcomes: some rounds reject at the end, some creates are refused.
        reject = rnd % 3 == 1
        sim.knobs(finish_after_ms=rng.randint(2000, 4000), video_bytes=32 * 1024,
                  outcome={"Reject": {"message": f"chaos reject r{rnd}"}} if reject else "Succeed")
        body = ('{"code":1201,"message":"chaos: invalid parameter","request_id":"c","data":null}'
                if style == "official" else '{"error":"chaos: invalid parameter"}')
        sim.inject("UseapiCreate" if style == "useapi" else "KlingCreate",
                   [{"Reject": {"code": 400, "body": body}}] * 3)
        injected += 3
        daemon = Daemon(env, f"kill9-{style}")
        wait = rng.uniform(0.3, 5.0)
        time.sleep(wait)
        counts = status_counts(url)
        daemon.kill9()
        kill_log.append((rnd, round(wait, 2), counts))
        if procs.VERBOSE:
            log(f"  round {rnd}: killed after {wait:.2f}s, {counts}")
    # Final run: let everything finish.
    sim.knobs(finish_after_ms=1000, video_bytes=32 * 1024)
    daemon = Daemon(env, f"kill9-{style}-final")
    finished = wait_final(url, 180)
    daemon.stop()
    lost = lost_count(url)
    twice_ref, problems = money_checks(url)
    stats = sim.stats()
    note = ""
    if style == "official":
        ntasks, dup, mismatched, orphans = official_duplicates(url, sim)
        twice_sub = len(dup) + len(mismatched)
        if mismatched:
            problems.append(f"saved task id differs from the run_code's task: {mismatched[:3]}")
        if orphans:
            problems.append(f"{len(orphans)} tasks whose run_code is no request")
        creates = stats["calls"]["KlingCreate"]
        extra = creates - injected - ntasks
        note = (f"{ntasks} tasks, {creates} creates, {injected} injected refusals, "
                f"{extra} creates refused as duplicate external_task_id, "
                f"{stats['calls']['KlingLookup']} lookups")
    else:
        ntasks, saved = generic_duplicates(url, sim)
        twice_sub = ntasks - saved
        note = f"{ntasks} tasks, {saved} task ids saved"
        if twice_sub:
            note += (f"; {twice_sub} tasks were created but killed before their id was saved: the "
                     f"{style} style has no way to find them, so their requests paid twice")
    counts = status_counts(url)
    note += f"; final {counts}"
    if not finished:
        problems.append("not finished within 180 s")
    record(name, total, lost, twice_sub, twice_ref, problems, note)
    sim.stop()


def scenario_pg_restart(count, quick):
    """Its own PostgreSQL server (initdb in a temporary folder), stopped and started mid-run."""
    name = "PostgreSQL restarted mid-run"
    pgbin = None
    for v in ("17", "16", "15", "14", "13"):
        if os.path.exists(f"/usr/lib/postgresql/{v}/bin/pg_ctl"):
            pgbin = f"/usr/lib/postgresql/{v}/bin"
            break
    if pgbin is None:
        record(name, 0, 0, 0, 0, ["no pg_ctl found"])
        return
    data = os.path.join(WORK, "pgdata")
    port = free_port()
    as_pg = (lambda cmd: ["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else (lambda c: c)
    os.makedirs(data)
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        os.chmod(WORK, 0o755)
    subprocess.run(as_pg([f"{pgbin}/initdb", "-D", data, "-U", "postgres", "-A", "trust"]),
                   check=True, capture_output=True)
    pglog = os.path.join(data, "server.log")
    ctl = lambda *a: subprocess.run(as_pg([f"{pgbin}/pg_ctl", "-D", data, "-l", pglog, "-w",
                                           "-o", f"-p {port} -k /tmp -c listen_addresses=127.0.0.1"] + list(a)),
                                    check=True, capture_output=True)
    ctl("start")
    try:
        admin = f"postgres://postgres@127.0.0.1:{port}/postgres"
        log(f"{name}: own server on port {port}, {count} requests")
        url = create_db(admin, "pgrestart")
        sim = Sim("pgrestart")
        sim.knobs(finish_after_ms=2000, video_bytes=32 * 1024)
        users = [8000 + i for i in range(5)]
        ids = enqueue_many(url, [f"pg restart #{i} {os.getpid()}" for i in range(count)], users)
        daemon = Daemon(daemon_env(url, sim, "generic", GENWORKER_LEASE_SECONDS=10,
                                       KLING_MAX_CONCURRENT=max(256, count)), "pgrestart")
        time.sleep(1.5)
        before = status_counts(url)
        t0 = time.time()
        ctl("stop", "-m", "fast")
        time.sleep(2.0)
        ctl("start")
        log(f"  restarted in {time.time() - t0:.1f}s; before: {before}")
        # Second restart while jobs are finishing.
        time.sleep(2.0)
        ctl("restart", "-m", "fast")
        finished = wait_final(url, 120)
        alive = daemon.alive()
        daemon.stop()
        lost = lost_count(url)
        twice_ref, problems = money_checks(url)
        ntasks, saved = generic_duplicates(url, sim)
        errors = psql(url, "SELECT error_message, count(*) FROM botapp_genrequest WHERE status='error' GROUP BY 1")
        if errors:
            problems.append(f"requests failed: {errors[:3]}")
        if not alive:
            problems.append("the daemon exited during the restart")
        if not finished:
            problems.append("not finished within 120 s")
        record(name, count, lost, ntasks - saved, twice_ref, problems,
               f"2 restarts; {ntasks} tasks, {saved} ids saved")
        sim.stop()
        drop_dbs_for(admin)
    finally:
        subprocess.run(as_pg([f"{pgbin}/pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True)


def scenario_replicas(admin, count):
    name = "3 replicas, one PostgreSQL"
    log(f"{name}: {count} requests")
    url = create_db(admin, "replicas")
    sim = Sim("replicas")
    sim.knobs(finish_after_ms=0, video_bytes=1024)
    template = json.loads(run_cli(url, ["enqueue", "--model", "kling-v1", "--prompt", "replica template",
                                        "--json"]))["id"]
    clone_requests(url, template, count - 1, f"rep{os.getpid()}-")
    env = daemon_env(url, sim, "generic", GENWORKER_LEASE_SECONDS=30, KLING_POLL_INTERVAL=0.2,
                     KLING_MAX_CONCURRENT=256, GENWORKER_POLL_INTERVAL=1)
    t0 = time.time()
    daemons = [Daemon(dict(env, GENWORKER_WORKER_ID=f"replica-{i}"), f"replica{i}") for i in range(3)]
    finished = wait_final(url, max(120, count / 20))
    elapsed = time.time() - t0
    for d in daemons:
        d.stop()
    lost = lost_count(url)
    problems = []
    ntasks, saved = generic_duplicates(url, sim)
    not_done = int(scalar(url, "SELECT count(*) FROM botapp_genrequest WHERE status <> 'done'"))
    if not_done:
        problems.append(f"{not_done} not done: "
                        f"{psql(url, 'SELECT status, error_message, count(*) FROM botapp_genrequest WHERE status <> $$done$$ GROUP BY 1,2')[:3]}")
    reclaimed = int(scalar(url, "SELECT count(*) FROM genworker_lease WHERE attempt <> 1"))
    if reclaimed:
        problems.append(f"{reclaimed} leases with attempt != 1")
    no_lease = int(scalar(url, "SELECT count(*) FROM botapp_genrequest r WHERE NOT EXISTS "
                               "(SELECT 1 FROM genworker_lease l WHERE l.request_id = r.id)"))
    per_worker = psql(url, "SELECT worker_id, count(*) FROM genworker_lease GROUP BY 1 ORDER BY 1")
    creates = sim.stats()["calls"]["KlingCreate"]
    if creates != count:
        problems.append(f"{creates} creates for {count} requests")
    if not finished:
        problems.append("not finished in time")
    twice_ref, money = money_checks(url)
    record(name, count, lost, ntasks - saved + max(0, creates - count), twice_ref, problems + money,
           f"{elapsed:.1f}s, {count / elapsed:.0f} req/s; {ntasks} tasks; per worker "
           f"{dict((w or 'none', int(c)) for w, c in per_worker)}; {no_lease} without lease row")
    sim.stop()

