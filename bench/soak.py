#!/usr/bin/env python3
"""The soak (run it through `bench/run soak [sqlite|postgres]`): a mixed load held for
BENCH_SOAK_MINUTES (30) at BENCH_SOAK_RPS (40) requests a second from BENCH_SOAK_WORKERS (8)
clients, each on one kept-alive connection: check-ins, practice quizzes answered and submitted, reading heartbeats, reflections
posted and approved by an admin, and the common reads. Every 10 s it samples the server's RSS,
its open file descriptors, its sockets, the database connections and the database's size. Writes
target/bench/soak-<backend>.csv and .json, plots bench/soak-<backend>.png (memory, descriptors,
connections over time) and prints a Markdown summary: the slope of RSS after warm-up, the spread
of descriptors and connections, and the answers by status (no 5xx allowed).
"""
import csv
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import bench
from bench import Api, Backend, Server, log

MINUTES = float(os.environ.get("BENCH_SOAK_MINUTES", "30"))
RPS = float(os.environ.get("BENCH_SOAK_RPS", "40"))
WORKERS = int(os.environ.get("BENCH_SOAK_WORKERS", "8"))
MEMBERS = int(os.environ.get("BENCH_SOAK_MEMBERS", "300"))
SITES = int(os.environ.get("BENCH_SOAK_SITES", "500"))
SAMPLE_S = 10
WARMUP_S = int(os.environ.get("BENCH_SOAK_WARMUP_S", "180"))
# What each client does, by weight.
MIX = [("checkin", 30), ("quiz", 15), ("reading", 25), ("review", 10), ("read", 20)]


def setup(api, server, workdir):
    admin, _, code = bench.admin_and_org(api, server, workdir, "浸泡测试行业党委")
    sites = []
    for k in range(SITES):
        lat, lng = bench.site_position(k)
        site = api.call("POST", "/api/v1/admin/sites", {
            "name": f"浸泡旧址 {k + 1}", "category": "former_site", "lat": lat, "lng": lng,
            "radius_m": 200}, token=admin)
        sites.append((site["id"], lat, lng))
    for k in range(30):
        api.call("POST", "/api/v1/admin/questions", {
            "type": "single", "stem": f"浸泡题 {k + 1}：番禺区互联网行业党委成立于何时？",
            "category": "党史", "difficulty": 2,
            "options": [{"text": t, "correct": t == "2018年11月"}
                        for t in ("2012年11月", "2018年11月", "2021年7月", "2003年1月")]},
            token=admin)
    article = api.call("POST", "/api/v1/admin/articles", {
        "title": "红船精神", "body": "<p>1921 年，中共一大在嘉兴南湖的红船上闭幕。</p>",
        "category": "党史", "status": "published", "min_read_seconds": 60}, token=admin)["id"]
    members = []
    for i in range(MEMBERS):
        login = api.call("POST", "/api/v1/auth/dev-login", {"openid": f"soak-{i}"})
        api.call("POST", "/api/v1/orgs/join", {"code": code}, token=login["access_token"])
        members.append(login["access_token"])
    return admin, sites, article, members


class Load:
    """The clients: each paces itself to its share of RPS and counts what it got."""

    def __init__(self, api, admin, sites, article, members):
        self.api, self.admin, self.sites = api, admin, sites
        self.article, self.members = article, members
        self.next_site = [0] * len(members)
        self.host, self.port = api.base.removeprefix("http://").split(":")
        self.local = threading.local()
        self.lock = threading.Lock()
        self.statuses = {}
        self.stop = threading.Event()

    def request(self, method, path, body=None, token=None):
        """The answer's body and status (0: no answer); every one is counted, none raises.
        Each client keeps one connection open (as the mini-program's HTTP/1.1 does) and
        paces itself per request."""
        local = self.local
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = None if body is None else json.dumps(body).encode()
        text, status = b"", 0
        for _ in range(2):  # a kept connection the server closed is opened again once
            try:
                if local.conn is None:
                    local.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                local.conn.request(method, path, body=data, headers=headers)
                resp = local.conn.getresponse()
                text, status = resp.read(), resp.status
                break
            except (OSError, http.client.HTTPException):
                local.conn.close()
                local.conn = None
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
        local.next_at += WORKERS / RPS
        delay = local.next_at - time.monotonic()
        if delay > 0:
            self.stop.wait(delay)
        else:
            local.next_at = time.monotonic()
        try:
            return (json.loads(text) if text else None), status
        except ValueError:
            return None, status

    def checkin(self, m):
        token = self.members[m]
        with self.lock:
            k = self.next_site[m] % len(self.sites)
            self.next_site[m] += 1
        site, lat, lng = self.sites[(k + m) % len(self.sites)]
        self.request("POST", "/api/v1/checkins",
                     {"site_id": site, "lat": lat, "lng": lng, "accuracy_m": 12.0}, token)

    def quiz(self, m):
        token = self.members[m]
        attempt, status = self.request("POST", "/api/v1/quiz/practice", {"count": 3}, token)
        if status != 201:
            return
        answers = [{"question_id": q["id"], "keys": [random.choice(q["options"])["key"]]}
                   for q in attempt["questions"]]
        self.request("POST", f"/api/v1/quiz/attempts/{attempt['id']}/submit",
                     {"answers": answers}, token)

    def reading(self, m):
        self.request("POST", f"/api/v1/articles/{self.article}/reading", {"seconds": 15},
                     self.members[m])

    def review(self, m):
        self.request("POST", "/api/v1/submissions", {
            "kind": "reflection", "title": "重走红色足迹", "body": f"第 {m} 位队员的心得。"},
            self.members[m])
        queue, status = self.request("GET", "/api/v1/admin/submissions?status=pending&limit=1",
                                     None, self.admin)
        if status == 200 and queue["items"]:
            item = queue["items"][0]
            self.request("POST", f"/api/v1/admin/submissions/{item['id']}/review",
                         {"decision": "approve", "version": item["version"]}, self.admin)

    def read(self, m):
        token = self.members[m]
        lat, lng = self.sites[m % len(self.sites)][1:]
        path = random.choice([
            "/api/v1/me", "/api/v1/leaderboards?scope=global&period=week",
            f"/api/v1/sites?lat={lat}&lng={lng}&radius_m=5000", "/api/v1/me/reading/streak",
            "/api/v1/me/points"])
        self.request("GET", path, None, token)

    def client(self, seed):
        rng = random.Random(seed)
        actions = [getattr(self, name) for name, _ in MIX]
        weights = [w for _, w in MIX]
        self.local.conn, self.local.next_at = None, time.monotonic()
        while not self.stop.is_set():
            rng.choices(actions, weights)[0](rng.randrange(len(self.members)))

    def answered(self):
        with self.lock:
            return sum(self.statuses.values()), sum(
                n for s, n in self.statuses.items() if s >= 500 or s == 0)


def sample(server, backend):
    """RSS (MB), open descriptors, sockets, database connections and the database's size (MB)
    now: a page cache growing with the database is not a leak."""
    pid = server.proc.pid
    rss = 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    sockets = sum(link.startswith("socket:") for link in links)
    if backend.kind == "sqlite":
        conns = sum(link == backend.path for link in links)
        size = sum(os.path.getsize(backend.path + ext) for ext in ("", "-wal")
                   if os.path.exists(backend.path + ext))
    else:
        conns = backend.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
            f"AND datname = '{bench.PG_DB}' AND pid <> pg_backend_pid()")
        size = backend.scalar(f"SELECT pg_database_size('{bench.PG_DB}')")
    return rss, len(links), sockets, conns, size / 2**20


def slope_per_10min(points):
    """Least-squares slope of (seconds, value) points, per 10 minutes."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if len(xs) < 2:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 0.0 if den == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 600


def plot(rows, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    minutes = [r["t_s"] / 60 for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(6, 5), sharex=True)
    for ax, key, label in zip(axes, ("rss_mb", "fds", "db_conns"),
                              ("RSS (MB)", "open descriptors", "DB connections")):
        ax.plot(minutes, [r[key] for r in rows], lw=1.2, label=label)
        if key == "rss_mb":
            ax.plot(minutes, [r["db_mb"] for r in rows], lw=0.8, ls="--",
                    label="database size (MB)")
            ax.legend(fontsize=6, loc="lower right")
        ax.set_ylabel(label, fontsize=8)
        ax.set_ylim(0, max(r[key] for r in rows) * 1.2 or 1)
        ax.axvline(WARMUP_S / 60, color="grey", lw=0.6, ls=":")
        ax.tick_params(labelsize=7)
    axes[-1].set_xlabel("minutes", fontsize=8)
    axes[0].set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    kind = (sys.argv[1:] or ["sqlite"])[0]
    os.makedirs(bench.OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        backend = Backend(kind, workdir)
        server = Server(backend, workdir, env_overrides={"REDTRAIL_LOG": "warn"})
        try:
            api = Api(server.base)
            log(f"soak: setting up {MEMBERS} members, {SITES} sites on {kind}")
            load = Load(api, *setup(api, server, workdir))
            clients = [threading.Thread(target=load.client, args=(i,), daemon=True)
                       for i in range(WORKERS)]
            started = time.monotonic()
            for c in clients:
                c.start()
            rows = []
            while (elapsed := time.monotonic() - started) < MINUTES * 60:
                try:
                    rss, fds, sockets, conns, db_mb = sample(server, backend)
                except (OSError, IndexError, subprocess.CalledProcessError) as e:
                    log(f"soak: sampling failed ({e}); the server is gone?")
                    break
                done, errors = load.answered()
                rows.append({"t_s": round(elapsed), "rss_mb": round(rss, 1), "fds": fds,
                             "sockets": sockets, "db_conns": conns, "db_mb": round(db_mb, 1),
                             "requests": done, "errors": errors})
                log(f"soak: {elapsed / 60:5.1f} min  rss {rss:6.1f} MB  fds {fds}  "
                    f"sockets {sockets}  db {conns} ({db_mb:.0f} MB)  requests {done}  "
                    f"5xx {errors}")
                time.sleep(SAMPLE_S - (time.monotonic() - started) % SAMPLE_S)
            load.stop.set()
            for c in clients:
                c.join(timeout=60)
            elapsed = time.monotonic() - started
        finally:
            server.stop()
            backend.drop()
    with open(os.path.join(bench.OUT, f"soak-{kind}.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    after = [r for r in rows if r["t_s"] >= WARMUP_S] or rows
    requests, errors = load.answered()
    spread = lambda key: [min(r[key] for r in after), max(r[key] for r in after)]
    summary = {
        "backend": kind, "minutes": round(elapsed / 60, 1), "target_rps": RPS,
        "workers": WORKERS, "requests": requests, "rps": round(requests / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
        "rss_mb_after_warmup": after[0]["rss_mb"], "rss_mb_last": after[-1]["rss_mb"],
        "rss_mb_max": max(r["rss_mb"] for r in after),
        "rss_slope_mb_per_10min": round(
            slope_per_10min([(r["t_s"], r["rss_mb"]) for r in after]), 2),
        "db_mb_after_warmup": after[0]["db_mb"], "db_mb_last": after[-1]["db_mb"],
        "fds_min_max": spread("fds"), "sockets_min_max": spread("sockets"),
        "db_conns_min_max": spread("db_conns"),
    }
    with open(os.path.join(bench.OUT, f"soak-{kind}.json"), "w") as f:
        json.dump(summary, f, indent=2)
    png = os.path.join(bench.ROOT, "bench", f"soak-{kind}.png")
    plot(rows, png, f"redtrail soak, {kind}: {summary['rps']} req/s for {MINUTES:g} min")
    print(f"| soak ({kind}) | value |\n|---|---|")
    for key, value in summary.items():
        print(f"| {key} | {value} |")
    print(f"\nPlot: bench/soak-{kind}.png")
    if errors or elapsed < MINUTES * 60 - SAMPLE_S:
        sys.exit("soak: server errors, dropped connections or a short run (see above)")


if __name__ == "__main__":
    main()
