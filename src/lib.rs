//! redtrail: the backend of a WeChat mini-program for hikes to revolutionary heritage sites.
//!
//! Each capability is a folder with `endpoints.rs` (handlers and their OpenAPI), `service.rs`
//! (rules and queries) and `dto.rs` (request and response types).
// Error messages, one file per language (`locales/zh.yml`, `locales/en.yml`), built in.
rust_i18n::i18n!("locales", fallback = "zh");

pub mod api;
pub mod articles;
pub mod audit;
pub mod auth;
pub mod badges;
pub mod campaigns;
pub mod checkins;
pub mod classes;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod error;
pub mod exams;
pub mod exports;
pub mod geo;
pub mod http;
pub mod media;
pub mod members;
pub mod notifications;
pub mod openapi;
pub mod ops;
pub mod orgs;
pub mod points;
pub mod push;
pub mod questions;
pub mod quiz;
pub mod rate_limit;
pub mod routes;
pub mod seed;
pub mod sessions;
pub mod sites;
pub mod startup;
pub mod state;
pub mod stats;
pub mod storage;
pub mod study;
pub mod submissions;
pub mod telemetry;
pub mod wechat;
