"""Processes and PostgreSQL for the chaos harness: the run's settings and scratch
folder, `psql`, the databases it creates (and drops), the `genworker` command
line, the simulator (`Sim`) and the daemon (`Daemon`).

Reads GENWORKER_BIN (the binary under test), CHAOS_DATABASE_URL (the admin
database) and CHAOS_RUST_LOG (the children's RUST_LOG, default warn).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = os.environ.get("GENWORKER_BIN", "/tmp/chaos-target/release/genworker")
PG_ADMIN = os.environ.get("CHAOS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
KEY = "chaos-key"
SECRET = "chaos-secret"
MAX_ATTEMPTS = 4
WORK = tempfile.mkdtemp(prefix="gw-chaos-")
PROCS = []  # every process we started, to clean up
DATABASES = []  # (admin_url, name)
VERBOSE = False  # --verbose; set by chaos.py


def log(msg):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- PostgreSQL

def db_url(admin, name):
    return admin.rsplit("/", 1)[0] + "/" + name


def psql(url, sql, check=True):
    r = subprocess.run(
        ["psql", url, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"psql failed: {r.stderr.strip()} (sql: {sql[:200]})")
    return [line.split("\t") for line in r.stdout.splitlines() if line != ""]


def scalar(url, sql):
    rows = psql(url, sql)
    return rows[0][0] if rows else None


def create_db(admin, tag):
    name = f"gw_chaos_{os.getpid()}_{tag}"
    psql(admin, f'DROP DATABASE IF EXISTS "{name}"')
    psql(admin, f'CREATE DATABASE "{name}"')
    DATABASES.append((admin, name))
    url = db_url(admin, name)
    run_cli(url, ["migrate"])
    return url


def drop_dbs():
    for admin, name in DATABASES:
        psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', check=False)


def drop_dbs_for(admin):
    for a, n in list(DATABASES):
        if a == admin:
            psql(a, f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)', check=False)
            DATABASES.remove((a, n))


def drop_dbs_for_url(url):
    for a, n in list(DATABASES):
        if db_url(a, n) == url:
            psql(a, f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)', check=False)
            DATABASES.remove((a, n))


# ---------------------------------------------------------------- processes

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env():
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("KLING_") or k.startswith("GENWORKER_")
                   or k.startswith("TELEGRAM_") or k in ("DATABASE_URL", "MEDIA_ROOT"))}
    env["RUST_LOG"] = os.environ.get("CHAOS_RUST_LOG", "warn")
    return env


def run_cli(url, args, check=True):
    env = base_env()
    env["DATABASE_URL"] = url
    r = subprocess.run([BIN] + args, env=env, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"genworker {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


class Sim:
    def __init__(self, tag):
        self.port = free_port()
        env = base_env()
        env["KLING_API_KEY"] = KEY
        env["KLING_API_SECRET"] = SECRET
        self.log = open(os.path.join(WORK, f"sim-{tag}.log"), "w")
        self.proc = subprocess.Popen([BIN, "simulate", "--port", str(self.port)],
                                     env=env, stdout=self.log, stderr=self.log)
        PROCS.append(self.proc)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("simulator did not start")

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def stats(self):
        return self._call("GET", "/_sim/stats")

    def knobs(self, **knobs):
        return self._call("PUT", "/_sim/knobs", knobs)

    def inject(self, endpoint, faults):
        return self._call("POST", "/_sim/inject", {"endpoint": endpoint, "faults": faults})

    def official_tasks(self, kind="text2video"):
        """Every official-style task as (task_id, external_task_id, status)."""
        import hmac, hashlib, base64
        def b64(b):
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        now = int(time.time())
        head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = b64(json.dumps({"iss": KEY, "exp": now + 1800, "nbf": now - 5}).encode())
        sig = b64(hmac.new(SECRET.encode(), f"{head}.{claims}".encode(), hashlib.sha256).digest())
        token = f"{head}.{claims}.{sig}"
        out, page = [], 1
        while True:
            req = urllib.request.Request(
                f"{self.base}/v1/videos/{kind}?pageNum={page}&pageSize=500",
                headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=60) as r:
                body = json.loads(r.read())
            data = body.get("data") or []
            for t in data:
                ext = (t.get("task_info") or {}).get("external_task_id")
                out.append((t.get("task_id"), ext, t.get("task_status")))
            if len(data) < 500:
                return out
            page += 1

    def stop(self):
        stop_proc(self.proc, signal.SIGKILL)
        self.log.close()


def daemon_env(url, sim, style="generic", **extra):
    env = base_env()
    env.update({
        "DATABASE_URL": url,
        "KLING_API_KEY": KEY,
        "KLING_API_SECRET": SECRET,
        "KLING_API_BASE_URL": sim.base,
        "KLING_API_STYLE": style,
        "KLING_ALLOW_PRIVATE_URLS": "true",
        "KLING_POLL_INTERVAL": "0.5",
        "KLING_REQUEST_TIMEOUT": "10",
        "GENWORKER_LEASE_SECONDS": "3",
        "GENWORKER_POLL_INTERVAL": "0.5",
        "GENWORKER_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "GENWORKER_RETRY_BASE": "0.5",
        "GENWORKER_SHUTDOWN_GRACE": "2",
        "MEDIA_ROOT": os.path.join(WORK, "media"),
    })
    if style == "useapi":
        # Kling through useapi.net: the bot's own variables (the key is KLING_API_KEY's).
        env.update({
            "USEAPI_BASE_URL": sim.base,
            "USEAPI_POLL_INTERVAL": "0.5",
            "USEAPI_REQUEST_TIMEOUT": "10",
            "USEAPI_KLING_MAX_JOBS": "50",
        })
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Daemon:
    n = 0

    def __init__(self, env, tag):
        Daemon.n += 1
        self.log = open(os.path.join(WORK, f"daemon-{tag}-{Daemon.n}.log"), "w")
        self.proc = subprocess.Popen([BIN, "run"], env=env, stdout=self.log, stderr=self.log)
        PROCS.append(self.proc)

    def kill9(self):
        stop_proc(self.proc, signal.SIGKILL)

    def stop(self):
        stop_proc(self.proc, signal.SIGTERM)

    def alive(self):
        return self.proc.poll() is None


def stop_proc(proc, sig):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

