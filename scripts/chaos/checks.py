"""Requests in and verdicts out: enqueueing and bulk copies, waiting until all
are final, the money invariants, lost and twice-submitted requests, and the
table of results (`record`, `print_table`).
"""

import json
import time
from concurrent.futures import ThreadPoolExecutor

from procs import log, psql, run_cli, scalar

# ---------------------------------------------------------------- requests

def enqueue_many(url, prompts, users):
    """Enqueues through `genworker enqueue --user`, as the bot does (charge included)."""
    def one(i_prompt):
        i, prompt = i_prompt
        out = run_cli(url, ["enqueue", "--model", "kling-v1", "--prompt", prompt,
                            "--user", str(users[i % len(users)]), "--json"])
        return json.loads(out)["id"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(one, enumerate(prompts)))


def clone_requests(url, template_id, count, prefix):
    """Copies a queued request `count` times in one statement (no charge: bulk load)."""
    cols = [r[0] for r in psql(url, """SELECT column_name FROM information_schema.columns
        WHERE table_name = 'botapp_genrequest' AND column_name NOT IN ('id','run_code','prompt','created_at')
        ORDER BY ordinal_position""")]
    c = ", ".join(f'"{x}"' for x in cols)
    psql(url, f"""INSERT INTO botapp_genrequest (run_code, prompt, created_at, {c})
        SELECT '{prefix}' || lpad(g::text, 6, '0'), '{prefix} prompt ' || g,
               now() + g * interval '1 microsecond', {c}
        FROM botapp_genrequest, generate_series(1, {count}) g WHERE id = {template_id}""")


def status_counts(url):
    return dict((r[0], int(r[1])) for r in psql(
        url, "SELECT status, count(*) FROM botapp_genrequest GROUP BY status"))


def wait_final(url, timeout, ids=None, watch=None):
    """Waits until no request is queued or processing; returns True when reached."""
    cond = "" if ids is None else f" AND id IN ({','.join(map(str, ids))})"
    deadline = time.time() + timeout
    while time.time() < deadline:
        left = int(scalar(url, "SELECT count(*) FROM botapp_genrequest WHERE status NOT IN "
                               f"('done','error','cancelled'){cond}"))
        if left == 0:
            return True
        if watch:
            watch()
        time.sleep(0.3)
    return False


def money_checks(url):
    """Refund and balance invariants. Returns (refunded_twice, problems list)."""
    problems = []
    twice = int(scalar(url, """SELECT count(*) FROM (
        SELECT r.id FROM botapp_genrequest r JOIN botapp_transaction t
          ON t.type = 'refund' AND t.related_transaction_id = r.transaction_id
        GROUP BY r.id HAVING count(*) > 1) x"""))
    twice_rows = int(scalar(url, """SELECT count(*) FROM (SELECT request_id FROM genworker_refund
        GROUP BY request_id HAVING count(*) > 1) x"""))
    twice = max(twice, twice_rows)
    missing = int(scalar(url, """SELECT count(*) FROM botapp_genrequest r
        WHERE r.status = 'error' AND r.transaction_id IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM botapp_transaction t WHERE t.type = 'refund'
          AND t.related_transaction_id = r.transaction_id)"""))
    if missing:
        problems.append(f"{missing} failed requests without refund")
    wrong = int(scalar(url, """SELECT count(*) FROM botapp_genrequest r
        WHERE r.status = 'done' AND EXISTS (
          SELECT 1 FROM botapp_transaction t WHERE t.type = 'refund'
          AND t.related_transaction_id = r.transaction_id)"""))
    if wrong:
        problems.append(f"{wrong} done requests refunded")
    bad_amount = int(scalar(url, """SELECT count(*) FROM botapp_transaction t
        JOIN botapp_transaction c ON c.id = t.related_transaction_id
        WHERE t.type = 'refund' AND t.amount <> -c.amount"""))
    if bad_amount:
        problems.append(f"{bad_amount} refunds with the wrong amount")
    unbalanced = psql(url, """SELECT b.user_id, b.balance, coalesce(sum(t.amount), 0)
        FROM botapp_userbalance b LEFT JOIN botapp_transaction t ON t.user_id = b.user_id
        GROUP BY b.user_id, b.balance HAVING b.balance <> coalesce(sum(t.amount), 0)""")
    if unbalanced:
        problems.append(f"{len(unbalanced)} users whose balance != charges+refunds: {unbalanced[:3]}")
    return twice, problems


def lost_count(url):
    return int(scalar(url, "SELECT count(*) FROM botapp_genrequest WHERE status NOT IN ('done','error')"))


# ---------------------------------------------------------------- results

RESULTS = []


def record(name, requests, lost, twice_sub, twice_ref, problems, note=""):
    ok = lost == 0 and twice_sub == 0 and twice_ref == 0 and not problems
    result = "PASS" if ok else "FAIL: " + "; ".join(
        ([f"{lost} lost"] if lost else []) + ([f"{twice_sub} submitted twice"] if twice_sub else [])
        + ([f"{twice_ref} refunded twice"] if twice_ref else []) + problems)
    if note:
        result += f" ({note})"
    RESULTS.append((name, requests, lost, twice_sub, twice_ref, result))
    log(f"{name}: {result}")


def official_duplicates(url, sim):
    """Official style: tasks per run_code, and every request's saved id = its task."""
    tasks = sim.official_tasks()
    per_ext = {}
    for tid, ext, _ in tasks:
        per_ext.setdefault(ext, []).append(tid)
    dup = {e: t for e, t in per_ext.items() if len(t) > 1}
    rows = psql(url, "SELECT id, run_code, provider_job_id, status FROM botapp_genrequest")
    mismatched = []
    for rid, run_code, job, status in rows:
        t = per_ext.get(run_code, [])
        if job and t and job not in t:
            mismatched.append((rid, run_code, job, t))
        if t and not job:
            mismatched.append((rid, run_code, "(not saved)", t, status))
    orphans = [e for e in per_ext if e not in {r[1] for r in rows}]
    return len(tasks), dup, mismatched, orphans


def generic_duplicates(url, sim):
    """Generic style: tasks the simulator made beyond the distinct ids the database saved."""
    tasks = sim.stats()["task_count"]
    saved = int(scalar(url, "SELECT count(DISTINCT provider_job_id) FROM botapp_genrequest "
                            "WHERE provider_job_id <> ''"))
    return tasks, saved


def print_table():
    head = ("scenario", "requests", "lost", "submitted twice", "refunded twice", "result")
    rows = [head] + [tuple(str(x) for x in r) for r in RESULTS]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    def line(r):
        return "| " + " | ".join(r[i].ljust(widths[i]) for i in range(5)) + " | " + r[5] + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|---|")
    for r in rows[1:]:
        print(line(r))

