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
