#!/usr/bin/env python3
"""The export benchmark (run it through `bench/run export`): memory stays flat as rows grow.

On a fresh database the release server is started, a platform admin and an org with
BENCH_EXPORT_MEMBERS members (dev login, joined through an invite) are made through the API,
and then ledger rows are written straight into the database (copying the shape of a row the
server wrote), BENCH_EXPORT_ROWS in all (default "10000 100000": each size is topped up
from the one before). After each size the ledger is exported as CSV and as XLSX through
`GET /api/v1/admin/exports/ledger`, read as it streams, while the server's resident memory is
sampled every 10 ms. The report gives, per size and format: rows, bytes, time to the first
byte, total time, and the server's resident memory before and at its peak during the export.
Flat memory means the peak does not grow with the rows.
"""
import os
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the same server, database and API helpers)

MEMBERS = int(os.environ.get("BENCH_EXPORT_MEMBERS", "200"))
SIZES = [int(n) for n in os.environ.get("BENCH_EXPORT_ROWS", "10000 100000").split()]
DAYS = 30


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def setup(api, server, workdir):
    admin, _, code = bench.admin_and_org(api, server, workdir, "导出基准党委")

    def member(i):
        login = api.call("POST", "/api/v1/auth/dev-login",
                         {"openid": f"export-{i}", "nickname": f"=队员{i}"})
        api.call("POST", "/api/v1/orgs/join", {"code": code}, token=login["access_token"])
        return login["member"]["id"]

    with ThreadPoolExecutor(8) as pool:
        members = list(pool.map(member, range(MEMBERS)))
    # One ledger row written by the server, whose columns the bulk rows copy.
    api.call("POST", f"/api/v1/admin/members/{members[0]}/points-adjustments",
             {"points": 1, "reason": "基准"}, token=admin)
    return admin, members


def top_up(backend, members, have, want):
    """Ledger rows until there are `want` bulk rows, spread over the last DAYS days."""
    today = datetime.now(timezone.utc).date()
    if backend.kind == "sqlite":
        with sqlite3.connect(backend.path, timeout=60) as c:
            created = c.execute("SELECT created_at FROM points_ledger LIMIT 1").fetchone()[0]
            c.executemany(
                "INSERT INTO points_ledger (member_id, source, source_id, points, local_date,"
                " note, created_at) VALUES (?, 'bench', ?, ?, ?, NULL, ?)",
                ((members[i % len(members)], str(i), 1 + i % 5,
                  (today - timedelta(days=i % DAYS)).isoformat(), created)
                 for i in range(have, want)))
        return
    bench.psql(backend.url, (
        "INSERT INTO points_ledger (member_id, source, source_id, points, local_date, note,"
        " created_at) SELECT (ARRAY[" + ",".join(map(str, members)) + "])"
        f"[1 + i % {len(members)}], 'bench', i::text, 1 + i % 5, CURRENT_DATE - (i % {DAYS}),"
        f" NULL, now() FROM generate_series({have}, {want - 1}) AS i"))


def export(server, token, fmt):
    today = datetime.now(timezone.utc).date()
    query = f"format={fmt}&from={today - timedelta(days=DAYS)}&to={today + timedelta(days=1)}"
    req = urllib.request.Request(f"{server.base}/api/v1/admin/exports/ledger?{query}")
    req.add_header("Authorization", "Bearer " + token)
    before = rss_mb(server.proc.pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(server.proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    first = None
    size = 0
    lines = 0
    with urllib.request.urlopen(req, timeout=600) as resp, tempfile.TemporaryFile() as saved:
        while True:
            chunk = resp.read(64 * 1024)
            if not chunk:
                break
            if first is None:
                first = time.monotonic() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
            saved.write(chunk)
        total = time.monotonic() - started
        done.set()
        sampler.join()
        if fmt == "xlsx":
            lines = xlsx_rows(saved)
    return {"format": fmt, "bytes": size, "lines": lines, "first_byte_s": first or total,
            "total_s": total, "rss_before_mb": before, "rss_peak_mb": peak[0]}


def xlsx_rows(file):
    """The rows in an XLSX file's sheets, counted in the XML as it unpacks."""
    rows = 0
    with zipfile.ZipFile(file) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/sheet"):
                with book.open(name) as sheet:
                    tail = b""
                    while chunk := sheet.read(1 << 20):
                        rows += (tail + chunk).count(b"<row ")
                        tail = chunk[-4:]
    return rows


def run(kind):
    workdir = tempfile.mkdtemp(prefix=f"redtrail-export-{kind}-")
    bench.log(f"== export on {kind} (in {workdir})")
    backend = bench.Backend(kind, workdir)
    server = bench.Server(backend, workdir)
    api = bench.Api(server.base)
    results = []
    try:
        token, members = setup(api, server, workdir)
        have = 0
        for size in SIZES:
            bench.log(f"  {size} ledger rows")
            top_up(backend, members, have, size)
            have = size
            for fmt in ("csv", "xlsx"):
                r = export(server, token, fmt)
                r["rows"] = size
                # The rows, a header, and the one adjustment the server wrote.
                if r["lines"] != size + 2:
                    r["problem"] = f"{r['lines']} rows in the file for {size} + 2"
                results.append(r)
    finally:
        server.stop()
        backend.drop()
    return kind, results


def report(kind, results):
    lines = [f"### exports on {kind} (ledger, {MEMBERS} members)", "",
             "| rows | format | bytes | first byte s | total s | rows/s | RSS before MB |"
             " RSS peak MB | check |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['rows']:,} | {r['format']} | {r['bytes']:,} | {r['first_byte_s']:.2f} |"
                     f" {r['total_s']:.2f} | {r['rows'] / r['total_s']:,.0f} |"
                     f" {r['rss_before_mb']:.0f} | {r['rss_peak_mb']:.0f} |"
                     f" {r.get('problem', 'ok')} |")
    return "\n".join(lines)


def main():
    kinds = sys.argv[1:] or ["sqlite"]
    out = [run(kind) for kind in kinds]
    print("\n\n".join(report(k, r) for k, r in out))
    sys.exit(1 if any("problem" in r for _, rs in out for r in rs) else 0)


if __name__ == "__main__":
    main()
