use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn members_are_listed_within_scope_with_filters_and_cursor_paging() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let a1 = app.member_in(&root, "o-a1", tree.branch_a).await;
    let a2 = app.member_in(&root, "o-a2", tree.branch_a).await;
    let b1 = app.member_in(&root, "o-b1", tree.branch_b).await;
    let loner = app.dev_login("o-loner").await;
    let edit = json!({"real_name": "王小明", "political_status": "probationary", "is_mobile_member": true, "mobile_city": "深圳"});
    let res = app
        .patch(
            &format!("/api/v1/admin/members/{}", a2.member_id),
            &edit,
            Some(&admin_a.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let t = admin_a.access_token.as_str();
    let all: Value = app
        .get("/api/v1/admin/members", Some(t))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ids(&all),
        [a2.member_id, a1.member_id, admin_a.member_id],
        "newest first, A's subtree only"
    );

    let branch: Value = app
        .get(
            &format!("/api/v1/admin/members?org_id={}", tree.branch_a),
            Some(t),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&branch), [a2.member_id, a1.member_id]);
    let mobile: Value = app
        .get("/api/v1/admin/members?is_mobile_member=true", Some(t))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&mobile), [a2.member_id]);
    assert_eq!(mobile["items"][0]["mobile_city"], "深圳");
    let status: Value = app
        .get(
            "/api/v1/admin/members?political_status=probationary",
            Some(t),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&status), [a2.member_id]);
    let named: Value = app
        .get(&format!("/api/v1/admin/members?q={}", "小明"), Some(t))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&named), [a2.member_id]);
    let other = app
        .get(
            &format!("/api/v1/admin/members?org_id={}", tree.branch_b),
            Some(t),
        )
        .await;
    assert_error(other, StatusCode::NOT_FOUND, "not_found").await;

    let first: Value = app
        .get("/api/v1/admin/members?limit=2", Some(t))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&first), [a2.member_id, a1.member_id]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get(
            &format!("/api/v1/admin/members?limit=2&cursor={cursor}"),
            Some(t),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&rest), [admin_a.member_id]);
    assert_eq!(rest["next_cursor"], Value::Null);
    let bad = app
        .get("/api/v1/admin/members?cursor=garbage", Some(t))
        .await;
    assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let everyone: Value = app
        .get("/api/v1/admin/members?limit=100", Some(&root.access_token))
        .await
        .json()
        .await
        .unwrap();
    for id in [a1.member_id, b1.member_id, loner.member_id] {
        assert!(
            ids(&everyone).contains(&id),
            "the platform admin sees every member"
        );
    }
    assert_error(
        app.get(&format!("/api/v1/admin/members/{}", b1.member_id), Some(t))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        app.get(
            &format!("/api/v1/admin/members/{}", loner.member_id),
            Some(t),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn phones_are_masked_for_everyone_but_platform_admins() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let member = app.member_in(&root, "o-phone", tree.branch_a).await;
    let db = redtrail::db::Db::connect(&app.db_url).await.unwrap();
    db.conn()
        .execute_unprepared(&format!(
            "UPDATE members SET phone = '13812345678' WHERE id = {}",
            member.member_id
        ))
        .await
        .unwrap();
    db.close().await.unwrap();

    let path = format!("/api/v1/admin/members/{}", member.member_id);
    let by_org_admin: Value = app
        .get(&path, Some(&admin_a.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_org_admin["phone"], "138****5678");
    let by_self: Value = app
        .get("/api/v1/me", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_self["phone"], "138****5678");
    let by_platform: Value = app
        .get(&path, Some(&root.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_platform["phone"], "13812345678");
}

#[tokio::test]
async fn org_admins_grant_roles_only_within_their_subtree() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let member = app.member_in(&root, "o-volunteer", tree.branch_a).await;

    // A volunteer grant in B, made by the platform admin, must survive A's admin replacing roles.
    let (status, _) = app
        .set_roles(
            &root,
            member.member_id,
            json!([{"role": "volunteer", "org_id": tree.branch_b}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app
        .set_roles(
            &admin_a,
            member.member_id,
            json!([
                {"role": "volunteer", "org_id": tree.branch_a},
                {"role": "org_admin", "org_id": tree.branch_a},
                {"role": "volunteer", "org_id": tree.branch_a}
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut roles = body["roles"].as_array().unwrap().clone();
    roles.sort_by_key(|r| (r["org_id"].as_i64(), r["role"].as_str().map(str::to_owned)));
    assert_eq!(
        roles,
        [
            json!({"role": "org_admin", "org_id": tree.branch_a}),
            json!({"role": "volunteer", "org_id": tree.branch_a}),
            json!({"role": "volunteer", "org_id": tree.branch_b}),
        ]
    );

    let (status, _) = app
        .set_roles(
            &admin_a,
            member.member_id,
            json!([{"role": "volunteer", "org_id": tree.branch_b}]),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "granting in another subtree");
    let (status, _) = app
        .set_roles(
            &admin_a,
            member.member_id,
            json!([{"role": "platform_admin", "org_id": null}]),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "platform_admin is never an org admin's to grant"
    );
    let (status, body) = app
        .set_roles(
            &admin_a,
            member.member_id,
            json!([{"role": "org_admin", "org_id": null}]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The new branch admin can act at once, within the branch only.
    let res = app
        .get(
            &format!("/api/v1/admin/orgs/{}", tree.branch_a),
            Some(&member.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .get(
            &format!("/api/v1/admin/orgs/{}", tree.org_a),
            Some(&member.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Revoked: the same token loses the power on the next request.
    let (status, _) = app.set_roles(&admin_a, member.member_id, json!([])).await;
    assert_eq!(status, StatusCode::OK);
    let res = app
        .get(
            &format!("/api/v1/admin/orgs/{}", tree.branch_a),
            Some(&member.access_token),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let me: Value = app
        .get("/api/v1/me", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["roles"],
        json!([{"role": "volunteer", "org_id": tree.branch_b}])
    );
}

#[tokio::test]
async fn the_audit_log_records_admin_writes_and_shows_each_admin_their_scope() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let admin_b = app.org_admin_of(&root, "o-admin-b", tree.org_b).await;
    let member = app.member_in(&root, "o-m", tree.branch_a).await;
    let (status, _) = app
        .set_roles(
            &admin_a,
            member.member_id,
            json!([{"role": "volunteer", "org_id": tree.branch_a}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let filter = format!(
        "/api/v1/admin/audit-log?entity_type=member&entity_id={}",
        member.member_id
    );
    let seen_by_a: Value = app
        .get(&filter, Some(&admin_a.access_token))
        .await
        .json()
        .await
        .unwrap();
    let change = &seen_by_a["items"][0];
    assert_eq!(change["action"], "member.roles");
    assert_eq!(change["actor_id"], admin_a.member_id);
    assert_eq!(change["before"], json!([]));
    assert_eq!(
        change["after"],
        json!([{"role": "volunteer", "org_id": tree.branch_a}])
    );

    let seen_by_b: Value = app
        .get(&filter, Some(&admin_b.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen_by_b["items"],
        json!([]),
        "B's admin sees nothing of A's subtree"
    );

    let by_actor: Value = app
        .get(
            &format!(
                "/api/v1/admin/audit-log?actor_id={}&limit=100",
                root.member_id
            ),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = by_actor["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"org.create") && actions.contains(&"member.update"),
        "{actions:?}"
    );

    // A time window: everything so far happened at the test clock's current instant.
    let now = app.clock_now();
    let window = |from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>| {
        format!(
            "/api/v1/admin/audit-log?from={}&to={}",
            urlencode(&from.to_rfc3339()),
            urlencode(&to.to_rfc3339())
        )
    };
    let inside: Value = app
        .get(
            &window(now, now + chrono::Duration::seconds(1)),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!inside["items"].as_array().unwrap().is_empty());
    let before: Value = app
        .get(
            &window(now - chrono::Duration::hours(1), now),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before["items"], json!([]));
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
