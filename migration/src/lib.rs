//! Schema migrations. One file per migration, each with a `down`; every one runs unchanged on
//! SQLite, PostgreSQL and MySQL/MariaDB.
pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261122_000001_members_and_auth;
mod m20261122_000002_orgs;
mod m20261122_000003_points;
mod m20261122_000004_badges;
mod m20261122_000005_idempotency;
mod m20261122_000006_sites;
mod m20261122_000007_checkins;
mod m20261122_000008_routes;
mod m20261122_000009_campaigns;
mod m20261202_000010_point_adjustments;
mod m20261202_000011_checkins_by_member;
mod m20261202_000012_drop_session_key;
mod m20261202_000013_idempotency_sweep;
mod m20261203_000014_quiz;
mod m20261203_000015_exam_reserve;
mod m20261204_000016_reading;
mod m20261204_000017_article_body_mediumtext;
mod m20261207_000018_media;
mod m20261207_000019_submissions;
mod m20261207_000020_subscribe_messages;
mod m20261208_000021_statistics;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_members_and_auth::Migration),
            Box::new(m20261122_000002_orgs::Migration),
            Box::new(m20261122_000003_points::Migration),
            Box::new(m20261122_000004_badges::Migration),
            Box::new(m20261122_000005_idempotency::Migration),
            Box::new(m20261122_000006_sites::Migration),
            Box::new(m20261122_000007_checkins::Migration),
            Box::new(m20261122_000008_routes::Migration),
            Box::new(m20261122_000009_campaigns::Migration),
            Box::new(m20261202_000010_point_adjustments::Migration),
            Box::new(m20261202_000011_checkins_by_member::Migration),
            Box::new(m20261202_000012_drop_session_key::Migration),
            Box::new(m20261202_000013_idempotency_sweep::Migration),
            Box::new(m20261203_000014_quiz::Migration),
            Box::new(m20261203_000015_exam_reserve::Migration),
            Box::new(m20261204_000016_reading::Migration),
            Box::new(m20261204_000017_article_body_mediumtext::Migration),
            Box::new(m20261207_000018_media::Migration),
            Box::new(m20261207_000019_submissions::Migration),
            Box::new(m20261207_000020_subscribe_messages::Migration),
            Box::new(m20261208_000021_statistics::Migration),
        ]
    }
}
