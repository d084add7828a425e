//! Integration tests: the real server on a random port, a fresh database per test (SQLite by
//! default; PostgreSQL or MySQL when `REDTRAIL_TEST_DATABASE_URL` names a server) and a fake
//! WeChat server. One binary, so the build is shared.
mod fixtures;
mod helpers;

mod admin_login;
mod admin_members;
mod authz_matrix;
mod badges;
mod campaigns;
mod checkins;
mod classes;
mod exams;
mod exports;
mod faults;
mod http_contract;
mod idempotency;
mod leaderboards;
mod me;
mod media;
mod migrations;
mod openapi;
mod operations;
mod orgs;
mod phone;
mod points;
mod push;
mod questions;
mod quiz;
mod reading;
mod routes;
mod schema;
mod seed;
mod seed_bench;
mod signals;
mod sites;
mod stats;
mod submissions;
mod subscriptions;
mod text;
mod tokens;
mod wechat_login;
