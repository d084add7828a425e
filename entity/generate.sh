#!/usr/bin/env bash
# Regenerates entity/src from the migrations: migrate a scratch PostgreSQL database, then let
# sea-orm-cli write one module per table. PostgreSQL, because its schema says the most (bigint
# ids, timestamptz). Its timestamptz comes out as DateTimeWithTimeZone, which MySQL cannot decode,
# so it is rewritten to UtcTime (entity/src/time/, hand-written and kept: it decodes on every
# backend and binds DATETIME-safe values on MySQL). Never edit the generated files by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${REDTRAIL_ENTITY_PG:-postgres://postgres@127.0.0.1:5432}
if ! command -v sea-orm-cli >/dev/null; then
  cargo install sea-orm-cli@2.0.4 --locked --no-default-features \
    --features codegen,sqlx-postgres,runtime-tokio-rustls
fi
db=redtrail_entities_$$
psql "$PG/postgres" -qc "CREATE DATABASE $db"
trap 'psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
cargo run -q -p migration --bin migrate -- "$PG/$db"
rm -f entity/src/*.rs
sea-orm-cli generate entity --database-url "$PG/$db" --output-dir entity/src --lib \
  --compact-format --with-prelude all --ignore-tables seaql_migrations
sed -i 's/DateTimeWithTimeZone/crate::time::UtcTime/g' entity/src/*.rs
echo 'pub mod time;' >> entity/src/lib.rs
cargo fmt -p entity
echo "entity/src regenerated"
