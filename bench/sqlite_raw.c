/* The SQLite limit for a check-in's rows: one write transaction with the check-in and its ledger
 * row, on the benchmark's own database file (so the same schema, indexes and data), with the
 * settings redtrail uses (WAL, synchronous=NORMAL, foreign keys on), through prepared statements.
 * Compiled against the SQLite amalgamation that redtrail itself links (libsqlite3-sys's bundled
 * copy). usage: sqlite-raw DB-FILE SECONDS MEMBER-ID-LO MEMBER-ID-HI SITE-ID
 * prints: transactions per second */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "sqlite3.h"

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s DB-FILE SECONDS MEMBER-ID-LO MEMBER-ID-HI SITE-ID\n", argv[0]);
        return 2;
    }
    double limit = atof(argv[2]);
    long lo = atol(argv[3]), hi = atol(argv[4]), site = atol(argv[5]);
    sqlite3 *db;
    check(sqlite3_open(argv[1], &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                           "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
                       0, 0, 0), db, "pragmas");
    sqlite3_stmt *begin, *commit, *checkin, *ledger;
    check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, 0), db, "begin");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, 0), db, "commit");
    /* Distant-past days keep (member, site, day) unique without touching the API's rows. */
    check(sqlite3_prepare_v2(db,
        "INSERT INTO checkins (member_id, site_id, lat, lng, accuracy_m, distance_m, local_date,"
        " captured_at, status, points_awarded, created_at)"
        " VALUES (?1, ?2, 22.9375, 113.3842, 12.5, 0.0, date('1000-01-01', '+' || ?3 || ' days'),"
        " '2026-12-03T08:00:00+00:00', 'accepted', 1, '2026-12-03T08:00:00+00:00')",
        -1, &checkin, 0), db, "prepare checkin");
    check(sqlite3_prepare_v2(db,
        "INSERT INTO points_ledger (member_id, source, source_id, points, local_date, created_at)"
        " VALUES (?1, 'bench_raw', ?2, 1, '1000-01-01', '2026-12-03T08:00:00+00:00')",
        -1, &ledger, 0), db, "prepare ledger");
    long n = 0;
    double start = seconds(), now = start;
    while (now - start < limit) {
        for (int batch = 0; batch < 100; batch++, n++) {
            long member = lo + n % (hi - lo + 1);
            check(sqlite3_step(begin), db, "BEGIN");
            sqlite3_reset(begin);
            sqlite3_bind_int64(checkin, 1, member);
            sqlite3_bind_int64(checkin, 2, site);
            sqlite3_bind_int64(checkin, 3, n);
            check(sqlite3_step(checkin), db, "insert checkin");
            sqlite3_reset(checkin);
            sqlite3_bind_int64(ledger, 1, member);
            sqlite3_bind_int64(ledger, 2, n);
            check(sqlite3_step(ledger), db, "insert ledger");
            sqlite3_reset(ledger);
            check(sqlite3_step(commit), db, "COMMIT");
            sqlite3_reset(commit);
        }
        now = seconds();
    }
    printf("%.0f\n", n / (now - start));
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_finalize(checkin);
    sqlite3_finalize(ledger);
    return sqlite3_close(db) == SQLITE_OK ? 0 : 1;
}
