use migration::{Migrator, MigratorTrait};
use redtrail::db::Db;

use crate::helpers::TestDatabase;

#[tokio::test]
async fn every_migration_rolls_back_and_forward_cleanly() {
    let test_db = TestDatabase::create().await;
    let db = Db::connect(&test_db.url).await.unwrap();
    Migrator::up(db.conn(), None).await.unwrap();
    Migrator::down(db.conn(), None).await.unwrap();
    assert!(
        Migrator::get_applied_migrations(db.conn())
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(db.conn(), None).await.unwrap();
    assert_eq!(
        Migrator::get_pending_migrations(db.conn())
            .await
            .unwrap()
            .len(),
        0,
        "all migrations applied again"
    );
    db.close().await.unwrap();
}

#[tokio::test]
async fn my_check_ins_are_paged_by_an_index_on_member_and_id() {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let test_db = TestDatabase::create().await;
    let db = Db::open(&test_db.url, true, Default::default())
        .await
        .unwrap();
    let backend = db.backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'ix_checkins_member_id'"
        }
        DatabaseBackend::MySql => {
            "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index) AS def \
             FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND index_name = 'ix_checkins_member_id'"
        }
        _ => "SELECT sql AS def FROM sqlite_master WHERE name = 'ix_checkins_member_id'",
    };
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .expect("the index exists");
    let def: String = row.try_get("", "def").unwrap();
    let def = def.to_lowercase().replace(['"', '`', ' '], "");
    assert!(def.contains("member_id,id"), "{def}");
    db.close().await.unwrap();
}
