#!/usr/bin/env python3
"""The redtrail benchmark (run it through `bench/run`, which builds and installs what it needs).

For each backend asked for: a fresh database, the release binary started on it (start-up timed
to the first healthy answer), a platform admin, an org with an invite, a pool of members logged
in through dev login who join the org, sites laid out in a snake 3 km apart and one route. Then
wrk at each connection count against check-in writes (every request a new valid check-in), `/me`,
nearby sites and the leaderboards. After every write run the rows are checked against the 201s
the server counted (its /metrics), for duplicates, and against the ledger. Last, the database's
own limit for a check-in's two inserts per transaction (a compiled SQLite loop, pgbench), the
ratio, and the server's peak RSS. Prints a Markdown report and writes target/bench/<backend>.json.
"""
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# BENCH_BIN: another build to measure (an older commit's, for a before/after).
BIN = os.environ.get("BENCH_BIN", os.path.join(ROOT, "target", "release", "redtrail"))
OUT = os.path.join(ROOT, "target", "bench")
RAW_SQLITE = os.path.join(OUT, "sqlite-raw")

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "16 64 256").split()]
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "2000"))
SITES = int(os.environ.get("BENCH_SITES", "200"))
QUESTIONS = int(os.environ.get("BENCH_QUESTIONS", "30"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
# BENCH_PROFILE=1 runs the server under `perf record` (target/bench/perf-<backend>.data; read it
# with `perf report -i …`); peak RSS is then perf's, not the server's.
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
# Which parts to run: any of writes, reads (default both).
PARTS = os.environ.get("BENCH_PARTS", "writes reads").split()
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "redtrail_bench"
# The targets are for PostgreSQL that makes commits durable. A test machine's server often runs
# with fsync off; the benchmark turns it on for its run and puts the settings back after.
PG_DURABLE = os.environ.get("BENCH_PG_DURABLE", "on") == "on"
# Panyu, Guangzhou; the snake runs north and east from here.
ORIGIN = (22.90, 113.30)
SPACING_M = 3000.0
SNAKE_WIDTH = 10
CHECKINS = "/api/v1/checkins"
# A zone where it is about noon now, so that every capture of the run (the earliest some three
# hours back) falls on today's local day, whenever the benchmark runs. Speed does not depend on it.
_OFFSET = 12 - datetime.now(timezone.utc).hour
NOON_ZONE = "Etc/GMT" if _OFFSET == 0 else f"Etc/GMT{-_OFFSET:+d}"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Api:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, token=None, expect=(200, 201)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read()
                status = resp.status
        except urllib.error.HTTPError as e:
            text, status = e.read(), e.code
        if status not in expect:
            raise RuntimeError(f"{method} {path} -> {status}: {text[:300]!r}")
        return json.loads(text) if text else None

    def metrics(self):
        with urllib.request.urlopen(self.base + "/metrics", timeout=30) as resp:
            return resp.read().decode()


def counted(metrics, method, route, status_re=r"\d+"):
    """Sum of http_requests_total for method and route over statuses matching status_re."""
    total = 0
    pattern = re.compile(r'^http_requests_total\{(.*)\} (\d+)$')
    for line in metrics.splitlines():
        m = pattern.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if labels.get("method") == method and labels.get("route") == route \
                and re.fullmatch(status_re, labels.get("status", "")):
            total += int(m.group(2))
    return total


def statements(metrics):
    m = re.search(r"^redtrail_db_statements_total (\d+)$", metrics, re.M)
    return int(m.group(1)) if m else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backend:
    """A fresh database, and how to count rows in it."""

    def __init__(self, kind, workdir):
        self.kind = kind
        if kind == "sqlite":
            self.path = os.path.join(workdir, "bench.db")
            self.url = f"sqlite://{self.path}?mode=rwc"
        else:
            psql(PG_ADMIN_URL + "/postgres", f"DROP DATABASE IF EXISTS {PG_DB}")
            psql(PG_ADMIN_URL + "/postgres", f"CREATE DATABASE {PG_DB}")
            self.url = f"{PG_ADMIN_URL}/{PG_DB}"

    def query(self, sql):
        if self.kind == "sqlite":
            with sqlite3.connect(self.path, timeout=30) as c:
                return c.execute(sql).fetchall()
        out = subprocess.run(["psql", self.url, "-XAtF", "\t", "-c", sql], check=True,
                             capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def scalar(self, sql):
        return int(self.query(sql)[0][0])

    def drop(self):
        if self.kind == "postgres":
            psql(PG_ADMIN_URL + "/postgres", f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def psql(url, sql):
    subprocess.run(["psql", url, "-Xq", "-c", sql], check=True, capture_output=True)


class Server:
    def __init__(self, backend, workdir, profile=False, env_overrides=None,
                 log_name="server.log"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update({
            "REDTRAIL_DATABASE_URL": backend.url,
            "REDTRAIL_BIND": f"127.0.0.1:{self.port}",
            "REDTRAIL_DEV_LOGIN": "true",
            "REDTRAIL_JWT_SECRET": secrets.token_hex(32),
            "REDTRAIL_MEDIA_DIR": os.path.join(workdir, "media"),
            "REDTRAIL_TIMEZONE": NOON_ZONE,
        })
        for key, value in (env_overrides or {}).items():
            if key not in ("REDTRAIL_BIND",):
                env[key] = value
        self.env = env
        self.log = open(os.path.join(workdir, log_name), "w")
        started = time.monotonic()
        command = [BIN, "serve"]
        self.profiled = profile
        if profile:
            command = ["perf", "record", "-e", "cpu-clock", "-F", "999", "-g", "-o",
                       os.path.join(OUT, f"perf-{backend.kind}.data"), "--", *command]
        self.proc = subprocess.Popen(command, env=env, cwd=workdir, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() - started > 30:
                raise RuntimeError("the server did not start in 30 s")
            time.sleep(0.005)
        self.startup_s = time.monotonic() - started

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        # perf record stops on SIGINT, writes its data and ends the server with it.
        self.proc.send_signal(signal.SIGINT if self.profiled else signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def site_position(k):
    """The k-th site of the snake: rows of SNAKE_WIDTH, every other row reversed."""
    row, col = divmod(k, SNAKE_WIDTH)
    if row % 2:
        col = SNAKE_WIDTH - 1 - col
    lat = ORIGIN[0] + row * SPACING_M / 111_320.0
    lng = ORIGIN[1] + col * SPACING_M / (111_320.0 * 0.9211)  # cos(22.9°)
    return round(lat, 6), round(lng, 6)


def admin_and_org(api, server, workdir, name):
    """A platform admin (its token), an industry committee, and an invite code to it."""
    subprocess.run([BIN, "admin", "create", "bench"], input="bench-password-123\n", text=True,
                   env=server.env, cwd=workdir, check=True, capture_output=True)
    admin = api.call("POST", "/api/v1/auth/admin-login",
                     {"username": "bench", "password": "bench-password-123"})["access_token"]
    org = api.call("POST", "/api/v1/admin/orgs",
                   {"name": name, "kind": "industry_committee", "parent_id": None},
                   token=admin)["id"]
    expires = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code = api.call("POST", f"/api/v1/admin/orgs/{org}/invites",
                    {"max_uses": 10_000, "expires_at": expires}, token=admin)["code"]
    return admin, org, code


def populate(api, server, workdir):
    """The admin, org, members, sites and route; returns the files and ids the runs need."""
    admin, org, code = admin_and_org(api, server, workdir, "基准测试行业党委")
    sites = []
    for k in range(SITES):
        lat, lng = site_position(k)
        site = api.call("POST", "/api/v1/admin/sites", {
            "name": f"基准旧址 {k + 1}", "category": "former_site", "lat": lat, "lng": lng,
            "radius_m": 200}, token=admin)
        sites.append((site["id"], lat, lng))
    api.call("POST", "/api/v1/admin/routes", {
        "name": "基准路线", "site_ids": [s[0] for s in sites[:5]], "ordered": False}, token=admin)
    for k in range(QUESTIONS):
        api.call("POST", "/api/v1/admin/questions", {
            "type": "single", "stem": f"基准题 {k + 1}：番禺区互联网行业党委成立于何时？",
            "category": "党史", "difficulty": 2, "explanation": "2018年11月。",
            "options": [{"text": t, "correct": t == "2018年11月"}
                        for t in ("2012年11月", "2018年11月", "2021年7月", "2003年1月")]},
            token=admin)

    def member(i):
        login = api.call("POST", "/api/v1/auth/dev-login",
                         {"openid": f"bench-{i}", "nickname": f"队员{i}"})
        api.call("POST", "/api/v1/orgs/join", {"code": code}, token=login["access_token"])
        # Today's daily quiz, so the read run measures what a refresh costs.
        api.call("POST", "/api/v1/quiz/daily", {}, token=login["access_token"])
        return login["access_token"], login["member"]["id"]

    with ThreadPoolExecutor(8) as pool:
        members = list(pool.map(member, range(MEMBERS)))
    tokens = os.path.join(workdir, "tokens.txt")
    with open(tokens, "w") as f:
        f.writelines(t + "\n" for t, _ in members)
    site_file = os.path.join(workdir, "sites.txt")
    with open(site_file, "w") as f:
        f.writelines(f"{i} {lat} {lng}\n" for i, lat, lng in sites)
    ids = [m for _, m in members]
    return {"tokens": tokens, "sites": site_file, "org": org, "site_ids": [s[0] for s in sites],
            "site0": sites[0], "member_lo": min(ids), "member_hi": max(ids)}


def cpu_ticks():
    """(busy, stolen, total) jiffies of the whole machine, from /proc/stat. Stolen time is the
    hypervisor's: on a shared host it says how much of a run's result is the neighbours'."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle, steal = fields[3] + fields[4], fields[7]  # idle + iowait; steal
    return sum(fields) - idle - steal, steal, sum(fields)


def wrk(base, script, connections, args):
    threads = min(THREADS, connections)  # the scripts number requests by thread: last argument
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{DURATION}", "--timeout", "10s",
           "-s", os.path.join("bench", "lua", script), base, "--", *map(str, args), str(threads)]
    busy0, steal0, total0 = cpu_ticks()
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    busy1, steal1, total1 = cpu_ticks()
    line = next(l for l in out.splitlines() if l.startswith("BENCH "))
    r = json.loads(line[6:])
    r["cpu_busy"] = (busy1 - busy0) / max(total1 - total0, 1)
    r["cpu_stolen"] = (steal1 - steal0) / max(total1 - total0, 1)
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def write_runs(api, backend, setup, base_epoch):
    results, p = [], 0
    for c in CONNECTIONS:
        before = api.metrics()
        rows_before = backend.scalar("SELECT COUNT(*) FROM checkins")
        r = wrk(api.base, "checkin.lua", c,
                [setup["tokens"], setup["sites"], base_epoch, p])
        p = r["next"]
        time.sleep(1.0)  # requests in flight when wrk stopped finish on the server
        after = api.metrics()
        created = counted(after, "POST", CHECKINS, "201") - counted(before, "POST", CHECKINS, "201")
        failed = counted(after, "POST", CHECKINS, r"5\d\d") - counted(before, "POST", CHECKINS,
                                                                      r"5\d\d")
        answered = counted(after, "POST", CHECKINS) - counted(before, "POST", CHECKINS)
        rows = backend.scalar("SELECT COUNT(*) FROM checkins") - rows_before
        seen_201 = r["statuses"].get("201", 0)
        r.update({
            "what": "POST /checkins", "connections": c, "rows": rows, "server_201": created,
            "server_5xx": failed,
            "statements_per_request": round((statements(after) - statements(before))
                                            / max(answered, 1), 1),
        })
        problems = []
        if rows != created:
            problems.append(f"rows {rows} != 201 responses {created}")
        if not (seen_201 <= created <= seen_201 + c):
            problems.append(f"server sent {created} 201s but wrk saw {seen_201}")
        if failed or any(s.startswith("5") for s in r["statuses"]):
            problems.append(f"5xx: {failed}")
        if set(r["statuses"]) - {"201"}:
            problems.append(f"other statuses: {r['statuses']}")
        r["problems"] = problems
        log(f"  {backend.kind} checkins c={c}: {r['rps']:.0f}/s p99 {r['p99_us'] / 1000:.1f} ms"
            f" cpu {r['cpu_busy']:.0%} stolen {r['cpu_stolen']:.0%}"
            f" rows={rows} 201s={created} {'OK' if not problems else problems}")
        results.append(r)
    dup = backend.scalar("SELECT COUNT(*) FROM (SELECT member_id, site_id, local_date FROM checkins"
                         " GROUP BY member_id, site_id, local_date HAVING COUNT(*) > 1) d")
    dup_pay = backend.scalar("SELECT COUNT(*) FROM (SELECT member_id, source, source_id FROM"
                             " points_ledger GROUP BY member_id, source, source_id"
                             " HAVING COUNT(*) > 1) d")
    accepted = backend.scalar("SELECT COUNT(*) FROM checkins WHERE status = 'accepted'")
    flagged = backend.scalar("SELECT COUNT(*) FROM checkins WHERE status = 'flagged'")
    paid = backend.scalar("SELECT COUNT(*) FROM points_ledger WHERE source = 'checkin'")
    checks = {"duplicate_checkins": dup, "duplicate_payouts": dup_pay, "accepted": accepted,
              "flagged": flagged, "checkin_payouts": paid,
              "route_completions": backend.scalar("SELECT COUNT(*) FROM route_completions")}
    problems = []
    if dup or dup_pay:
        problems.append("duplicates")
    if paid != accepted:
        problems.append(f"{accepted} accepted check-ins but {paid} check-in payouts")
    checks["problems"] = problems
    log(f"  {backend.kind} checks: {checks}")
    return results, checks


def read_runs(api, setup):
    lat, lng = setup["site0"][1], setup["site0"][2]
    org = setup["org"]
    paths = [
        ("GET /me", "/api/v1/me"),
        ("GET /sites nearby 5 km", f"/api/v1/sites?lat={lat}&lng={lng}&within_m=5000"),
        ("GET /leaderboards global all", "/api/v1/leaderboards?scope=global&period=all"),
        ("GET /leaderboards global day", "/api/v1/leaderboards?scope=global&period=day"),
        ("GET /leaderboards org all", f"/api/v1/leaderboards?scope=org&org_id={org}&period=all"),
        ("GET /leaderboards org day", f"/api/v1/leaderboards?scope=org&org_id={org}&period=day"),
        ("POST /quiz/daily (today's, open)", "/api/v1/quiz/daily"),
    ]
    results = []
    for what, path in paths:
        for c in CONNECTIONS:
            method = what.split()[0]
            r = wrk(api.base, "get.lua", c, [setup["tokens"], path, method])
            bad = {s: n for s, n in r["statuses"].items() if s != "200"}
            r.update({"what": what, "connections": c, "problems": [f"statuses {bad}"] if bad else []})
            log(f"  {what} c={c}: {r['rps']:.0f}/s p99 {r['p99_us'] / 1000:.1f} ms"
                f" cpu {r['cpu_busy']:.0%} stolen {r['cpu_stolen']:.0%}"
                f" {'OK' if not bad else bad}")
            results.append(r)
    return results


def raw_limit(backend, setup):
    """Transactions per second for a check-in's two inserts, straight into the database."""
    secs = DURATION.rstrip("s")
    if backend.kind == "sqlite":
        out = subprocess.run([RAW_SQLITE, backend.path, secs, str(setup["member_lo"]),
                              str(setup["member_hi"]), str(setup["site0"][0])],
                             check=True, capture_output=True, text=True).stdout
        return {"tps": float(out.strip()), "how": "compiled C loop, one connection"}
    psql(backend.url, "CREATE SEQUENCE IF NOT EXISTS bench_raw")
    script = os.path.join(OUT, "pg_raw.sql")
    with open(script, "w") as f:
        f.write(f"""\\set m random({setup['member_lo']}, {setup['member_hi']})
BEGIN;
INSERT INTO checkins (member_id, site_id, lat, lng, accuracy_m, distance_m, local_date, captured_at, status, points_awarded, created_at) VALUES (:m, {setup['site0'][0]}, 22.9375, 113.3842, 12.5, 0, DATE '1000-01-01' + nextval('bench_raw')::int, now(), 'accepted', 1, now());
INSERT INTO points_ledger (member_id, source, source_id, points, local_date, created_at) VALUES (:m, 'bench_raw', currval('bench_raw')::text, 1, DATE '1000-01-01', now());
END;
""")
    best = None
    for clients in (16, 64):
        out = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", str(THREADS), "-T", secs,
                              "-f", script, backend.url], check=True, capture_output=True,
                             text=True).stdout
        tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
        log(f"  pgbench {clients} clients: {tps:.0f} tps")
        if best is None or tps > best["tps"]:
            best = {"tps": tps, "how": f"pgbench, {clients} clients, {THREADS} threads"}
    return best


def settings(backend):
    if backend.kind == "sqlite":
        return {"journal": "WAL", "synchronous": "NORMAL"}
    rows = backend.query("SELECT name, setting FROM pg_settings WHERE name IN"
                         " ('fsync', 'synchronous_commit', 'server_version')")
    return {name: value for name, value in rows}


class DurablePostgres:
    """fsync and synchronous_commit on for the run (ALTER SYSTEM, reload), then as they were."""

    SETTINGS = ("fsync", "synchronous_commit")

    def __enter__(self):
        admin = PG_ADMIN_URL + "/postgres"
        self.before = {}
        for name in self.SETTINGS:
            out = subprocess.run(["psql", admin, "-XAtc", f"SELECT setting FROM pg_settings"
                                  f" WHERE name = '{name}'"], check=True, capture_output=True,
                                 text=True).stdout.strip()
            self.before[name] = out
            psql(admin, f"ALTER SYSTEM SET {name} = on")
        psql(admin, "SELECT pg_reload_conf()")
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        admin = PG_ADMIN_URL + "/postgres"
        for name, value in self.before.items():
            psql(admin, f"ALTER SYSTEM SET {name} = '{value}'")
        psql(admin, "SELECT pg_reload_conf()")
        return False


def run(kind):
    if kind == "postgres" and PG_DURABLE:
        with DurablePostgres():
            return run_on(kind)
    return run_on(kind)


def run_on(kind):
    os.makedirs(OUT, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix=f"redtrail-bench-{kind}-")
    log(f"== {kind} (in {workdir})")
    backend = Backend(kind, workdir)
    server = Server(backend, workdir, profile=PROFILE)
    log(f"  start-up on a fresh database (migrations included): {server.startup_s:.3f} s")
    api = Api(server.base)
    try:
        setup = populate(api, server, workdir)
        # Captures a minute apart from here, all earlier today: see checkin.lua.
        base_epoch = int(time.time()) - 60 * (SITES + 5)
        writes, checks = ([], {"problems": []})
        if "writes" in PARTS:
            writes, checks = write_runs(api, backend, setup, base_epoch)
        reads = read_runs(api, setup) if "reads" in PARTS else []
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    # Start-up again, on the now populated database (no migrations left to apply).
    restarted = Server(backend, workdir)
    warm_startup = restarted.startup_s
    restarted.stop()
    raw = raw_limit(backend, setup)
    at_64 = [w["rps"] for w in writes if w["connections"] == 64] or [w["rps"] for w in writes]
    best_write = max(at_64, default=0.0)
    result = {
        "backend": kind, "settings": settings(backend), "date": datetime.now().isoformat(
            timespec="seconds"), "duration": DURATION, "members": MEMBERS, "sites": SITES,
        "startup_fresh_s": server.startup_s, "startup_s": warm_startup, "peak_rss_mb": rss,
        "writes": writes, "checks": checks, "reads": reads, "raw": raw,
        "ratio_at_64": best_write / raw["tps"],
    }
    backend.drop()
    with open(os.path.join(OUT, f"{kind}.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def report(results):
    lines = []
    for r in results:
        lines.append(f"### {r['backend']} ({', '.join(f'{k} {v}' for k, v in r['settings'].items())})")
        lines.append("")
        lines.append("| run | conns | req/s | p50 ms | p99 ms | CPU busy / stolen | stmts/req |"
                     " checks |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for w in r["writes"] + r["reads"]:
            ok = "ok" if not w["problems"] else "; ".join(w["problems"])
            if "rows" in w:
                ok = f"rows {w['rows']} = 201s {w['server_201']}, " + ok
            stmts = w.get("statements_per_request", "")
            lines.append(f"| {w['what']} | {w['connections']} | {w['rps']:,.0f} |"
                         f" {w['p50_us'] / 1000:.1f} | {w['p99_us'] / 1000:.1f} |"
                         f" {w['cpu_busy']:.0%} / {w['cpu_stolen']:.0%} | {stmts} | {ok} |")
        c = r["checks"]
        lines.append("")
        if "accepted" not in c:
            lines.append(f"- peak RSS {r['peak_rss_mb']:.0f} MB")
            lines.append("")
            continue
        lines.append(f"- raw limit: {r['raw']['tps']:,.0f} tx/s ({r['raw']['how']}); API ÷ raw at"
                     f" 64 connections: {r['ratio_at_64']:.2f}")
        lines.append(f"- after the writes: {c['accepted']} accepted, {c['flagged']} flagged,"
                     f" {c['checkin_payouts']} check-in payouts, {c['route_completions']} route"
                     f" completions, {c['duplicate_checkins']} duplicate check-ins,"
                     f" {c['duplicate_payouts']} duplicate payouts"
                     f"{'' if not c['problems'] else ' — PROBLEMS: ' + '; '.join(c['problems'])}")
        lines.append(f"- peak RSS {r['peak_rss_mb']:.0f} MB; start-up {r['startup_s']:.3f} s"
                     f" ({r['startup_fresh_s']:.3f} s on a fresh database, migrations included)")
        lines.append("")
    return "\n".join(lines)


def main():
    kinds = sys.argv[1:] or ["sqlite", "postgres"]
    results = [run(kind) for kind in kinds]
    print(report(results))
    bad = [w for r in results for w in r["writes"] + r["reads"] if w["problems"]]
    bad += [r for r in results if r["checks"]["problems"]]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
