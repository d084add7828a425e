use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn members_see_the_campaigns_their_org_takes_part_in() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let in_a = app.member_in(&root, "o-in-a", tree.branch_a).await;
    let in_b = app.member_in(&root, "o-in-b", tree.branch_b).await;
    let loner = app.dev_login("o-loner").await;
    let site: Value = app
        .post(
            "/api/v1/admin/sites",
            &json!({"name": "旧址", "category": "former_site", "lat": 22.9, "lng": 113.3}),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let route: Value = app
        .post(
            "/api/v1/admin/routes",
            &json!({"name": "红色足迹线", "site_ids": [site["id"]], "ordered": false}),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let now = app.clock_now();
    let window = |days: i64| json!({"starts_at": (now - Duration::days(1)).to_rfc3339(), "ends_at": (now + Duration::days(days)).to_rfc3339()});
    let mut body =
        json!({"title": "百家网企 网心向党", "org_ids": [tree.org_a], "route_ids": [route["id"]]});
    body.as_object_mut()
        .unwrap()
        .extend(window(30).as_object().unwrap().clone());

    // Campaigns span enterprises: platform admins create them; an org admin is refused.
    assert_error(
        app.post(
            "/api/v1/admin/campaigns",
            &body,
            Some(&admin_a.access_token),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let (status, campaign) = app
        .json(
            app.post("/api/v1/admin/campaigns", &body, Some(&root.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    assert_eq!(campaign["active"], true);
    assert_eq!(
        campaign["routes"],
        json!([{"id": route["id"], "name": "红色足迹线"}])
    );

    let path = format!("/api/v1/campaigns/{}", campaign["id"]);
    let seen: Value = app
        .get("/api/v1/campaigns", Some(&in_a.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["items"][0]["id"], campaign["id"],
        "a branch below a taking-part org sees it"
    );
    assert_eq!(
        app.get(&path, Some(&in_a.access_token)).await.status(),
        StatusCode::OK
    );
    for other in [&in_b, &loner] {
        let list: Value = app
            .get("/api/v1/campaigns", Some(&other.access_token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"], json!([]));
        assert_error(
            app.get(&path, Some(&other.access_token)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }

    let t = Some(root.access_token.as_str());
    let mut no_org = body.clone();
    no_org["org_ids"] = json!([999_999]);
    assert_error(
        app.post("/api/v1/admin/campaigns", &no_org, t).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let mut no_route = body.clone();
    no_route["route_ids"] = json!([999_999]);
    assert_error(
        app.post("/api/v1/admin/campaigns", &no_route, t).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let mut backwards = body.clone();
    backwards["ends_at"] = json!((now - Duration::days(2)).to_rfc3339());
    assert_error(
        app.post("/api/v1/admin/campaigns", &backwards, t).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    // Past 2038 (where MySQL's TIMESTAMP ends) is stored and read back as sent.
    let mut far = body.clone();
    far["ends_at"] = json!("2040-01-01T00:00:00Z");
    let (status, long) = app
        .json(app.post("/api/v1/admin/campaigns", &far, t).await)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{long}");
    let path = format!("/api/v1/campaigns/{}", long["id"]);
    let (_, read) = app
        .json(app.get(&path, Some(&in_a.access_token)).await)
        .await;
    assert_eq!(read["ends_at"], "2040-01-01T00:00:00Z", "{read}");
    let mut unstorable = body.clone();
    unstorable["ends_at"] = json!("+10000-01-01T00:00:00Z");
    assert_error(
        app.post("/api/v1/admin/campaigns", &unstorable, t).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let mut nobody = body.clone();
    nobody["org_ids"] = json!([]);
    assert_error(
        app.post("/api/v1/admin/campaigns", &nobody, t).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}
