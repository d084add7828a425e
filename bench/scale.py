#!/usr/bin/env python3
"""The scale benchmark (run it through `bench/run scale`): how the hot reads grow with the data.

For each backend and each scale in BENCH_SCALES (default "0.01 1": the 10,000- and the
1,000,000-check-in data sets of `redtrail seed bench`): a fresh database, the data set seeded
(timed), `redtrail points verify` (timed; it must pass), the release server started on it, a
pool of members logged in through dev login and the two seeded org admins through admin login.
Then every hot read is driven by wrk at BENCH_SCALE_CONNECTIONS connections for BENCH_DURATION,
and the ones that are not plain GETs are timed one request at a time: a daily quiz's first draw
(members who have none today) and an export's first byte. Last, on the largest scale, the
server is restarted with its SQL traced (`redtrail::sql=debug`), each hot read is sent once,
and every statement it ran is EXPLAINed (SQLite: EXPLAIN QUERY PLAN with the parameters
unbound; PostgreSQL: a generic plan of the prepared statement). Prints a Markdown report
(paste it into BENCHMARKS.md) and writes target/bench/scale-<backend>.json and
target/bench/explain-<backend>.md.
"""
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the same server, database, wrk and API helpers)

SCALES = [float(s) for s in os.environ.get("BENCH_SCALES", "0.01 1").split()]
# Latency as data grows, not throughput (bench/run measures that): few connections, so the
# figures are the requests' own cost rather than their queueing behind each other.
CONNECTIONS = int(os.environ.get("BENCH_SCALE_CONNECTIONS", "4"))
# A read slower than this once is timed alone (three times), not driven by wrk: a queue of
# them would hold the server's connections for minutes and spoil the reads after it.
TOO_SLOW_S = float(os.environ.get("BENCH_SCALE_TOO_SLOW_S", "1"))
POOL = int(os.environ.get("BENCH_SCALE_POOL", "1000"))
DRAWS = int(os.environ.get("BENCH_SCALE_DRAWS", "200"))
FIRST_BYTES = int(os.environ.get("BENCH_SCALE_FIRST_BYTES", "20"))
PASSWORD = "bench-password-2026"
# As seeded (src/seed/bench.rs): the grid's corner and spacing, the committee's id.
ORIGIN = (23.10, 113.30)
SPACING_M = 1000.0
COMMITTEE = 1
# The benchmark's timezone: noon now, as bench.py's (the seed and the server share it).
ZONE = bench.NOON_ZONE


def grid_centre(sites):
    import math
    width = max(1, math.ceil(math.sqrt(sites)))
    mid = width // 2
    rows = math.ceil(sites / width)
    row = min(mid, rows - 1)
    lat = ORIGIN[0] + row * SPACING_M / 111_320.0
    lng = ORIGIN[1] + mid * SPACING_M / (111_320.0 * math.cos(math.radians(ORIGIN[0])))
    return round(lat, 6), round(lng, 6)


def cli(env, *args):
    started = time.monotonic()
    out = subprocess.run([bench.BIN, *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"redtrail {' '.join(args)} failed: {out.stdout}\n{out.stderr}")
    return out.stdout, time.monotonic() - started


def seeded_counts(stdout):
    """{'members': 1000, ...} from the seed command's summary line."""
    counts = {}
    for n, what in re.findall(r"(\d+) ([a-z][a-z -]+?)(?=[,;(]| \(|$)", stdout.split("\n")[0]):
        counts[what.strip()] = int(n)
    return counts


def database_bytes(backend):
    if backend.kind == "sqlite":
        return sum(os.path.getsize(backend.path + s) for s in ("", "-wal")
                   if os.path.exists(backend.path + s))
    return backend.scalar(f"SELECT pg_database_size('{bench.PG_DB}')")


class Client:
    """One keep-alive connection, for requests timed one at a time."""

    def __init__(self, base):
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def timed(self, method, path, token, body=None, first_byte=False):
        headers = {"Authorization": "Bearer " + token}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        if first_byte:
            resp.read(1)
            took = time.perf_counter() - started
            resp.close()
            self.conn.close()  # the rest is not wanted: the server stops the export
            return resp.status, took
        resp.read()
        return resp.status, time.perf_counter() - started


def percentile(values, p):
    values = sorted(values)
    if not values:
        return 0.0
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def login_pool(api, members, workdir):
    """POOL members spread over the seeded ones (leaving some for the first draws of the
    day); tokens in a file for wrk."""
    count = max(1, min(POOL, members - 2 * DRAWS))
    step = max(1, members // count)
    numbers = [1 + i * step for i in range(count)]

    def login(n):
        return api.call("POST", "/api/v1/auth/dev-login",
                        {"openid": f"bench-member-{n}"})["access_token"]

    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(login, numbers))
    path = os.path.join(workdir, "tokens.txt")
    with open(path, "w") as f:
        f.writelines(t + "\n" for t in tokens)
    return path, tokens, set(numbers)


def admin_token(api, workdir, name):
    token = api.call("POST", "/api/v1/auth/admin-login",
                     {"username": name, "password": PASSWORD})["access_token"]
    path = os.path.join(workdir, f"{name}.txt")
    with open(path, "w") as f:
        f.write(token + "\n")
    return path, token


def hot_reads(counts, branch):
    """(name, method, path, who): who is members, committee or branch."""
    lat, lng = grid_centre(counts["sites"])
    return [
        ("nearby sites 5 km", "GET", f"/api/v1/sites?lat={lat}&lng={lng}&within_m=5000",
         "members"),
        ("leaderboard global all", "GET", "/api/v1/leaderboards?scope=global&period=all",
         "members"),
        ("leaderboard global week", "GET", "/api/v1/leaderboards?scope=global&period=week",
         "members"),
        ("leaderboard global day", "GET", "/api/v1/leaderboards?scope=global&period=day",
         "members"),
        ("leaderboard committee all", "GET",
         f"/api/v1/leaderboards?scope=org&org_id={COMMITTEE}&period=all", "members"),
        ("leaderboard branch month", "GET",
         f"/api/v1/leaderboards?scope=org&org_id={branch}&period=month", "members"),
        ("org leaderboard (committee's children) all", "GET",
         f"/api/v1/leaderboards/orgs?parent_id={COMMITTEE}&period=all", "members"),
        ("org leaderboard (committee's children) month", "GET",
         f"/api/v1/leaderboards/orgs?parent_id={COMMITTEE}&period=month", "members"),
        ("/me/reading/streak", "GET", "/api/v1/me/reading/streak", "members"),
        ("review queue, committee", "GET", "/api/v1/admin/submissions?status=pending",
         "committee"),
        ("review queue, branch", "GET", "/api/v1/admin/submissions?status=pending", "branch"),
        ("stats overview, committee (30 days)", "GET", "/api/v1/admin/stats/overview",
         "committee"),
        ("stats overview, branch (30 days)", "GET", "/api/v1/admin/stats/overview", "branch"),
    ]


def run_reads(api, reads, files):
    results = []
    for name, method, path, who in reads:
        with open(files[who]) as f:
            token = f.readline().strip()
        _, once = Client(api.base).timed(method, path, token, {} if method == "POST" else None)
        if once > TOO_SLOW_S:
            took = [once] + [Client(api.base).timed(method, path, token)[1] for _ in range(2)]
            r = summary(name, took)
            r["problems"] = [f"too slow for wrk: {once:.1f} s alone"]
            bench.log(f"  {name}: alone {', '.join(f'{t:.2f}' for t in took)} s — too slow")
            results.append(r)
            continue
        r = bench.wrk(api.base, "get.lua", CONNECTIONS, [files[who], path, method])
        bad = {s: n for s, n in r["statuses"].items() if s != "200"}
        r.update({"what": name, "path": path, "problems": [f"statuses {bad}"] if bad else []})
        bench.log(f"  {name}: {r['rps']:.0f}/s p50 {r['p50_us'] / 1000:.1f} ms"
                  f" p99 {r['p99_us'] / 1000:.1f} ms {'OK' if not bad else bad}")
        results.append(r)
    return results


def draws(api, members, pooled, tokens_wanted):
    """The first daily quiz of the day, for members who have none: one at a time."""
    numbers = [n for n in range(members, 0, -1) if n not in pooled][:tokens_wanted * 2]
    client = Client(api.base)
    took = []
    for n in numbers:
        token = api.call("POST", "/api/v1/auth/dev-login",
                         {"openid": f"bench-member-{n}"})["access_token"]
        status, seconds = client.timed("POST", "/api/v1/quiz/daily", token, {})
        if status != 200:
            raise RuntimeError(f"daily quiz draw: {status}")
        took.append(seconds)
        if len(took) == tokens_wanted:
            break
    return summary(DRAW, took)


def first_bytes(api, token, org, who):
    took = []
    path = f"/api/v1/admin/exports/checkins?format=csv&org_id={org}"
    for _ in range(FIRST_BYTES):
        client = Client(api.base)
        status, seconds = client.timed("GET", path, token, first_byte=True)
        if status != 200:
            raise RuntimeError(f"export: {status}")
        took.append(seconds)
    return summary(first_byte_name(who), took)


DRAW = "daily quiz, first draw of the day (one at a time)"


def first_byte_name(who):
    return f"export check-ins CSV, {who} (30 days): first byte, one at a time"


def summary(what, seconds):
    return {"what": what, "requests": len(seconds), "p50_us": percentile(seconds, 50) * 1e6,
            "p99_us": percentile(seconds, 99) * 1e6, "rps": 0.0, "problems": []}


# --- EXPLAIN ---------------------------------------------------------------------------------

def traced_statements(log_path, offset):
    with open(log_path) as f:
        f.seek(offset)
        text = f.read()
    sqls = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("target") == "redtrail::sql":
            sql = entry["fields"]["sql"]
            if sql.lstrip().upper().startswith(("SELECT", "WITH")) and sql not in sqls:
                sqls.append(sql)
    return sqls


def explain_sqlite(path, sql):
    params = [None] * sql.count("?")
    with sqlite3.connect(path) as c:
        rows = c.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return [("  " * 0) + r[3] for r in rows]


def explain_postgres(backend, sql):
    n = max([int(m) for m in re.findall(r"\$(\d+)", sql)] or [0])
    args = ", ".join(["NULL"] * n)
    script = ("SET plan_cache_mode = force_generic_plan;\n"
              f"PREPARE p AS {sql};\n"
              f"EXPLAIN (COSTS OFF) EXECUTE p{'(' + args + ')' if n else ''};\n")
    out = subprocess.run(["psql", backend.url, "-XAt", "-v", "ON_ERROR_STOP=1"], input=script,
                         capture_output=True, text=True)
    if out.returncode != 0:
        return [f"(could not explain: {out.stderr.strip()[:200]})"]
    return [line for line in out.stdout.splitlines() if line and line not in ("SET", "PREPARE")]


def full_scans(kind, plan, rows):
    """The tables a plan reads whole, each with its row count (`rows`: table -> rows; a name
    not in it is a sub-query's alias, not a table)."""
    scans = []
    for line in plan:
        if kind == "sqlite":
            m = re.match(r"[\s|`-]*SCAN (\w+)(?! USING (?:COVERING )?INDEX)", line)
        else:
            m = re.search(r"Seq Scan on (\w+)", line)
        if m and m.group(1) in rows:
            scans.append(f"{m.group(1)} ({rows[m.group(1)]:,} rows)")
    return scans


def table_rows(backend):
    if backend.kind == "sqlite":
        names = [r[0] for r in backend.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    else:
        names = [r[0] for r in backend.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    return {n: backend.scalar(f"SELECT COUNT(*) FROM {n}") for n in names}


def explain_all(backend, server_env, workdir, reads, tokens, counts):
    log_path = os.path.join(workdir, "traced.log")
    env = dict(server_env)
    env.update({"REDTRAIL_LOG": "warn,redtrail::sql=debug", "REDTRAIL_LOG_FORMAT": "json"})
    server = bench.Server(backend, workdir, env_overrides=env, log_name="traced.log")
    api = bench.Api(server.base)
    sections = []
    rows = table_rows(backend)
    try:
        who_token = {"members": tokens["members"], "committee": tokens["committee"],
                     "branch": tokens["branch"]}
        extra = [(DRAW, "POST", "/api/v1/quiz/daily", "fresh"),
                 (first_byte_name("branch"), "GET",
                  f"/api/v1/admin/exports/checkins?format=csv&org_id={counts['branch']}",
                  "branch")]
        for name, method, path, who in reads + extra:
            if who == "fresh":
                token = api.call("POST", "/api/v1/auth/dev-login",
                                 {"openid": "bench-member-2"})["access_token"]
            else:
                token = who_token[who]
            time.sleep(0.3)
            offset = os.path.getsize(log_path)
            Client(api.base).timed(method, path, token, {} if method == "POST" else None)
            time.sleep(0.3)
            plans = []
            for sql in traced_statements(log_path, offset):
                plan = (explain_sqlite(backend.path, sql) if backend.kind == "sqlite"
                        else explain_postgres(backend, sql))
                plans.append((sql, plan, full_scans(backend.kind, plan, rows)))
            sections.append((name, method, path, plans))
    finally:
        server.stop()
    return sections


def compact_sql(sql, width=400):
    """The statement with its select list elided (`SELECT … FROM`) and cut at `width`."""
    sql = re.sub(r"\s+", " ", sql).replace('"', "")
    sql = re.sub(r"^SELECT (?:\w+\.\w+(?: AS \w+)?, )+\w+\.\w+(?: AS \w+)? FROM",
                 "SELECT … FROM", sql)
    sql = re.sub(r"(?:\$\d+, ){8,}\$\d+", "$…", sql)
    return sql if len(sql) <= width else sql[:width] + " …"


def explain_markdown(kind, sections, level="##"):
    lines = []
    for name, method, path, plans in sections:
        scans = sorted({t for _, _, s in plans for t in s})
        lines.append(f"{level} {name}: `{method} {path}`")
        lines.append("")
        lines.append(f"Full scans: {', '.join(scans) if scans else 'none'}")
        lines.append("")
        for sql, plan, _ in plans:
            lines.append("```")
            lines.append(compact_sql(sql))
            lines.append("")
            lines.extend(plan)
            lines.append("```")
        lines.append("")
    return "\n".join(lines)


# --- the run ---------------------------------------------------------------------------------

def run_scale(kind, scale, explain):
    workdir = tempfile.mkdtemp(prefix=f"redtrail-scale-{kind}-")
    bench.log(f"== {kind}, scale {scale} (in {workdir})")
    backend = bench.Backend(kind, workdir)
    env = dict(os.environ)
    env.update({"REDTRAIL_DATABASE_URL": backend.url, "REDTRAIL_TIMEZONE": ZONE,
                "REDTRAIL_DATA_DIR": workdir, "REDTRAIL_LOG": "warn"})
    cli(env, "migrate")
    said, seed_s = cli(env, "seed", "bench", "--scale", str(scale))
    bench.log("  " + said.strip().replace("\n", "\n  "))
    counts = seeded_counts(said)
    counts["branch"] = int(re.search(r"a branch, org (\d+)", said).group(1))
    _, verify_s = cli(env, "points", "verify")
    size = database_bytes(backend)
    bench.log(f"  seeded in {seed_s:.0f} s, verified in {verify_s:.0f} s, {size / 1e6:.0f} MB")
    server = bench.Server(backend, workdir)
    api = bench.Api(server.base)
    try:
        pool_file, pool_tokens, pooled = login_pool(api, counts["members"], workdir)
        committee_file, committee = admin_token(api, workdir, "bench-committee")
        branch_file, branch = admin_token(api, workdir, "bench-branch")
        files = {"members": pool_file, "committee": committee_file, "branch": branch_file}
        reads = hot_reads(counts, counts["branch"])
        results = run_reads(api, reads, files)
        results.append(draws(api, counts["members"], pooled, DRAWS))
        results.append(first_bytes(api, branch, counts["branch"], "branch"))
        results.append(first_bytes(api, committee, COMMITTEE, "committee"))
        for r in results[-3:]:
            bench.log(f"  {r['what']}: p50 {r['p50_us'] / 1000:.1f} ms"
                      f" p99 {r['p99_us'] / 1000:.1f} ms")
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    sections = None
    if explain:
        sections = explain_all(backend, server.env, workdir, reads,
                               {"members": pool_tokens[0], "committee": committee,
                                "branch": branch}, counts)
    backend.drop()
    return {"scale": scale, "counts": counts, "seed_s": seed_s, "verify_s": verify_s,
            "bytes": size, "peak_rss_mb": rss, "reads": results}, sections


def run(kind):
    os.makedirs(bench.OUT, exist_ok=True)
    runs = []
    sections = None
    for i, scale in enumerate(SCALES):
        result, explained = run_scale(kind, scale, explain=(i == len(SCALES) - 1))
        runs.append(result)
        sections = explained or sections
    out = {"backend": kind, "date": datetime.now().isoformat(timespec="seconds"),
           "connections": CONNECTIONS, "duration": bench.DURATION, "runs": runs}
    with open(os.path.join(bench.OUT, f"scale-{kind}.json"), "w") as f:
        json.dump(out, f, indent=1)
    if sections:
        with open(os.path.join(bench.OUT, f"explain-{kind}.md"), "w") as f:
            f.write(f"### EXPLAIN, {kind}, the largest data set\n\n")
            f.write(explain_markdown(kind, sections, level="####"))
    out["sections"] = sections or []
    return out


def report(results):
    lines = []
    for r in results:
        small, large = r["runs"][0], r["runs"][-1]
        lines.append(f"### {r['backend']}: {small['counts'].get('check-ins', 0):,} →"
                     f" {large['counts'].get('check-ins', 0):,} check-ins"
                     f" ({CONNECTIONS} connections for the wrk rows)")
        lines.append("")
        for run_ in r["runs"]:
            lines.append(f"- scale {run_['scale']}: seeded in {run_['seed_s']:.0f} s,"
                         f" `points verify` {run_['verify_s']:.0f} s (passed),"
                         f" {run_['bytes'] / 1e6:,.0f} MB on disk, server peak RSS"
                         f" {run_['peak_rss_mb']:.0f} MB")
        lines.append("")
        lines.append("| hot read | req/s small | p50 / p99 ms small | req/s large |"
                     " p50 / p99 ms large | p99 growth | full scans (EXPLAIN) |")
        lines.append("|---|---|---|---|---|---|---|")
        scans = {name: sorted({t for _, _, s in plans for t in s})
                 for name, _, _, plans in r["sections"]}
        for a, b in zip(small["reads"], large["reads"]):
            growth = b["p99_us"] / max(a["p99_us"], 1)
            rps_a = f"{a['rps']:,.0f}" if a["rps"] else "—"
            rps_b = f"{b['rps']:,.0f}" if b["rps"] else "—"
            found = scans.get(a["what"])
            lines.append(f"| {a['what']} | {rps_a} | {a['p50_us'] / 1000:.1f} /"
                         f" {a['p99_us'] / 1000:.1f} | {rps_b} | {b['p50_us'] / 1000:.1f} /"
                         f" {b['p99_us'] / 1000:.1f} | {growth:.2f}× |"
                         f" {', '.join(found) if found else ('none' if found is not None else '')} |")
        lines.append("")
    return "\n".join(lines)


def main():
    kinds = sys.argv[1:] or ["sqlite", "postgres"]
    results = [run(kind) for kind in kinds]
    print(report(results))


if __name__ == "__main__":
    main()
