//! Migrations that fill new columns from old data do it on every backend.
use chrono::{NaiveDate, TimeZone, Utc};
use entity::{class_attendance, classes, members, submissions};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveValue::Set, Database, EntityTrait};

use crate::helpers::TestDatabase;

#[tokio::test]
async fn migration_21_gives_old_submissions_and_attendance_their_local_day() {
    let db = TestDatabase::create().await;
    let conn = Database::connect(db.url.as_str()).await.unwrap();
    Migrator::up(&conn, Some(20)).await.unwrap();
    // 23:30 on 31 May in Shanghai (the default timezone) is 15:30 UTC.
    let late = Utc.with_ymd_and_hms(2026, 5, 31, 15, 30, 0).unwrap();
    // 00:30 on 1 June in Shanghai.
    let early = Utc.with_ymd_and_hms(2026, 5, 31, 16, 30, 0).unwrap();
    // Rows as the schema of migration 20 had them: inserted without reading them back.
    members::Entity::insert(members::ActiveModel {
        id: Set(1),
        openid: Set(Some("old".into())),
        is_mobile_member: Set(false),
        volunteer_minutes: Set(0),
        created_at: Set(late.into()),
        updated_at: Set(late.into()),
        ..Default::default()
    })
    .exec_without_returning(&conn)
    .await
    .unwrap();
    for (id, at) in [(1, late), (2, early)] {
        submissions::Entity::insert(submissions::ActiveModel {
            id: Set(id),
            member_id: Set(1),
            kind: Set("reflection".into()),
            title: Set("旧稿".into()),
            body: Set("旧稿正文".into()),
            status: Set("pending".into()),
            two_stage: Set(false),
            version: Set(1),
            moderation: Set("off".into()),
            moderation_tries: Set(0),
            points_awarded: Set(0),
            likes: Set(0),
            created_at: Set(at.into()),
            updated_at: Set(at.into()),
            ..Default::default()
        })
        .exec_without_returning(&conn)
        .await
        .unwrap();
    }
    classes::Entity::insert(classes::ActiveModel {
        id: Set(1),
        title: Set("旧课".into()),
        starts_at: Set(late.into()),
        ends_at: Set(early.into()),
        attend_min_seconds: Set(60),
        created_by: Set(1),
        created_at: Set(late.into()),
        ..Default::default()
    })
    .exec_without_returning(&conn)
    .await
    .unwrap();
    class_attendance::Entity::insert(class_attendance::ActiveModel {
        class_id: Set(1),
        member_id: Set(1),
        org_id: Set(None),
        credited_seconds: Set(600),
        first_beat_at: Set(early.into()),
        attended_at: Set(Some(early.into())),
        ..Default::default()
    })
    .exec_without_returning(&conn)
    .await
    .unwrap();

    Migrator::up(&conn, None).await.unwrap();
    let days: Vec<Option<NaiveDate>> = submissions::Entity::find()
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.local_date)
        .collect();
    assert_eq!(
        days,
        [
            NaiveDate::from_ymd_opt(2026, 5, 31),
            NaiveDate::from_ymd_opt(2026, 6, 1)
        ]
    );
    let attendance = class_attendance::Entity::find()
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attendance.local_date, NaiveDate::from_ymd_opt(2026, 6, 1));
    // And back down, and up again.
    Migrator::down(&conn, Some(1)).await.unwrap();
    Migrator::up(&conn, None).await.unwrap();
    conn.close().await.unwrap();
}
