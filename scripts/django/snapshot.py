#!/usr/bin/env python3
"""Deterministic text snapshots of a database, for scripts/test-django.sh.

  snapshot.py botapp-schema URL   schema of the botapp_* tables. Objects that belong to
                                  genworker (their name or SQL mentions "genworker", e.g.
                                  its own index or NOTIFY trigger on botapp_genrequest,
                                  which DESIGN.md allows) are left out and listed on stderr.
  snapshot.py botapp-data URL     every row of every botapp_* table, ordered by id
  snapshot.py full URL            schema of all tables + every row of the botapp_* tables

PostgreSQL: pg_dump --schema-only (from PATH) and COPY ... TO STDOUT through psql.
SQLite: sqlite_master and SELECT through python's sqlite3.
"""
import re
import sqlite3
import subprocess
import sys

BOTAPP = ["botapp_aimodel", "botapp_genrequest", "botapp_tguser", "botapp_transaction", "botapp_userbalance"]


def is_pg(url):
    return url.startswith(("postgres://", "postgresql://"))


def sqlite_path(url):
    for prefix in ("sqlite://", "sqlite:"):
        if url.startswith(prefix):
            return url[len(prefix):]
    return url


def pg_dump_schema(url, tables=None):
    cmd = ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "--dbname", url]
    for t in tables or []:
        cmd += ["--table", t]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = []
    for line in out.splitlines():
        # comments carry versions; \restrict / \unrestrict carry a random key per run
        if line.startswith("--") or line.startswith("\\restrict") or line.startswith("\\unrestrict"):
            continue
        lines.append(line)
    text = "\n".join(lines)
    # one block per statement, blank lines collapsed
    blocks = [b.strip() for b in re.split(r";\s*\n", text) if b.strip()]
    return blocks


def pg_data(url):
    out = []
    for t in BOTAPP:
        rows = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname", url, "-c",
             f"COPY (SELECT * FROM {t} ORDER BY id) TO STDOUT"],
            check=True, capture_output=True, text=True,
        ).stdout.splitlines()
        out += [f"{t}\t{r}" for r in rows]
    return out


def sqlite_schema(url, botapp_only):
    conn = sqlite3.connect(sqlite_path(url))
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
    conn.close()
    blocks = []
    for typ, name, tbl, sql in rows:
        if botapp_only and not tbl.startswith("botapp_"):
            continue
        blocks.append(f"{typ} {name} ON {tbl}: {sql}")
    return blocks


def sqlite_data(url):
    conn = sqlite3.connect(sqlite_path(url))
    out = []
    for t in BOTAPP:
        for row in conn.execute(f'SELECT * FROM "{t}" ORDER BY id'):
            out.append(f"{t}\t{row!r}")
    conn.close()
    return out


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("botapp-schema", "botapp-data", "full"):
        print(__doc__, file=sys.stderr)
        return 2
    what, url = sys.argv[1], sys.argv[2]
    if what == "botapp-schema":
        blocks = pg_dump_schema(url, BOTAPP) if is_pg(url) else sqlite_schema(url, True)
        for b in blocks:
            if "genworker" in b.lower():
                print("note: genworker object on a botapp table (ignored): " + " ".join(b.split()), file=sys.stderr)
            else:
                print(b)
    elif what == "botapp-data":
        print("\n".join(pg_data(url) if is_pg(url) else sqlite_data(url)))
    else:
        blocks = pg_dump_schema(url) if is_pg(url) else sqlite_schema(url, False)
        print("\n".join(blocks))
        print("\n".join(pg_data(url) if is_pg(url) else sqlite_data(url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
