use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn kinds_must_nest_and_only_party_orgs_have_an_enterprise_record() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let t = root.access_token.as_str();
    let tree = app.tree(&root).await;

    let org: Value = app
        .get(&format!("/api/v1/admin/orgs/{}", tree.org_a), Some(t))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(org["kind"], "party_org");
    assert_eq!(org["parent_id"], tree.committee);
    assert_eq!(org["depth"], 1);
    assert_eq!(org["enterprise"]["name"], "甲网络科技有限公司");
    assert_eq!(org["enterprise"]["staff_count"], 320);

    let cases = [
        (
            json!({"name": "x", "kind": "branch", "parent_id": tree.branch_a}),
            "parent_id",
        ),
        (
            json!({"name": "x", "kind": "party_org", "parent_id": tree.org_a}),
            "parent_id",
        ),
        (json!({"name": "x", "kind": "party_org"}), "parent_id"),
        (
            json!({"name": "x", "kind": "branch", "parent_id": tree.org_a, "enterprise": {"name": "e"}}),
            "enterprise",
        ),
        (
            json!({"name": " ", "kind": "branch", "parent_id": tree.org_a}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/admin/orgs", &body, Some(t)).await;
        let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(err["details"]["fields"][field].is_array(), "{body} → {err}");
    }
    let res = app
        .post(
            "/api/v1/admin/orgs",
            &json!({"name": "x", "kind": "branch", "parent_id": 999_999}),
            Some(t),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn an_org_admin_sees_and_edits_exactly_their_subtree() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let t = admin_a.access_token.as_str();

    let page: Value = app
        .get("/api/v1/admin/orgs", Some(t))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [tree.org_a, tree.branch_a]);

    for path in [
        format!("/api/v1/admin/orgs/{}", tree.org_b),
        format!("/api/v1/admin/orgs/{}", tree.committee),
    ] {
        assert_error(
            app.get(&path, Some(t)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let res = app
            .patch(&path, &json!({"name": "hijacked"}), Some(t))
            .await;
        assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    let under_b = json!({"name": "x", "kind": "branch", "parent_id": tree.org_b});
    assert_error(
        app.post("/api/v1/admin/orgs", &under_b, Some(t)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let root_org = json!({"name": "x", "kind": "industry_committee"});
    assert_error(
        app.post("/api/v1/admin/orgs", &root_org, Some(t)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    let second = app
        .create_org(
            t,
            json!({"name": "甲公司第二支部", "kind": "branch", "parent_id": tree.org_a}),
        )
        .await;
    let renamed = app
        .patch(
            &format!("/api/v1/admin/orgs/{second}"),
            &json!({"name": "甲公司青年支部"}),
            Some(t),
        )
        .await;
    assert_eq!(
        renamed.json::<Value>().await.unwrap()["name"],
        "甲公司青年支部"
    );
}

#[tokio::test]
async fn moving_an_org_carries_its_subtree_and_cycles_are_refused() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let t = root.access_token.as_str();
    let tree = app.tree(&root).await;
    let other_committee = app
        .create_org(
            t,
            json!({"name": "另一行业党委", "kind": "industry_committee"}),
        )
        .await;
    let admin_old = app.org_admin_of(&root, "o-old", tree.committee).await;
    let admin_new = app.org_admin_of(&root, "o-new", other_committee).await;

    let res = app
        .patch(
            &format!("/api/v1/admin/orgs/{}", tree.org_a),
            &json!({"parent_id": tree.branch_a}),
            Some(t),
        )
        .await;
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(err["details"]["fields"]["parent_id"].is_array());

    let moved = app
        .patch(
            &format!("/api/v1/admin/orgs/{}", tree.org_a),
            &json!({"parent_id": other_committee}),
            Some(t),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);

    // The branch below A moved with it: the new committee's admin sees it, the old one's no longer.
    let branch = format!("/api/v1/admin/orgs/{}", tree.branch_a);
    let seen: Value = app
        .get(&branch, Some(&admin_new.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["depth"], 2);
    assert_error(
        app.get(&branch, Some(&admin_old.access_token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get(
            &format!("/api/v1/admin/orgs/{}", tree.branch_b),
            Some(&admin_old.access_token)
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn invite_codes_put_members_in_the_org_until_used_up_or_expired() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin = app.org_admin_of(&root, "o-secretary", tree.branch_a).await;
    let expires = (app.clock_now() + chrono::Duration::days(7)).to_rfc3339();
    let res = app
        .post(
            &format!("/api/v1/admin/orgs/{}/invites", tree.branch_a),
            &json!({"max_uses": 2, "expires_at": expires}),
            Some(&admin.access_token),
        )
        .await;
    let (status, invite) = app.json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let code = invite["code"].as_str().unwrap().to_owned();
    assert!(code.len() <= 32);

    let first = app.dev_login("o-joiner-1").await;
    let (status, member) = app
        .json(
            app.post(
                "/api/v1/orgs/join",
                &json!({"code": code.to_lowercase()}),
                Some(&first.access_token),
            )
            .await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{member}");
    assert_eq!(member["org"]["id"], tree.branch_a);
    assert_eq!(member["org"]["name"], "甲公司第一支部");

    let again = app
        .post(
            "/api/v1/orgs/join",
            &json!({"code": code}),
            Some(&first.access_token),
        )
        .await;
    assert_error(again, StatusCode::CONFLICT, "org.already_member").await;

    let second = app.dev_login("o-joiner-2").await;
    assert_eq!(
        app.post(
            "/api/v1/orgs/join",
            &json!({"code": code}),
            Some(&second.access_token)
        )
        .await
        .status(),
        StatusCode::OK
    );
    let third = app.dev_login("o-joiner-3").await;
    let used_up = app
        .post(
            "/api/v1/orgs/join",
            &json!({"code": code}),
            Some(&third.access_token),
        )
        .await;
    assert_error(used_up, StatusCode::GONE, "invite.used_up").await;
    let unknown = app
        .post(
            "/api/v1/orgs/join",
            &json!({"code": "NOSUCHCODE"}),
            Some(&third.access_token),
        )
        .await;
    assert_error(unknown, StatusCode::NOT_FOUND, "invite.not_found").await;

    let (_, left) = app
        .json(
            app.post("/api/v1/orgs/leave", &json!({}), Some(&first.access_token))
                .await,
        )
        .await;
    assert_eq!(left["org"], Value::Null);

    let fresh = app
        .post(
            &format!("/api/v1/admin/orgs/{}/invites", tree.branch_a),
            &json!({"max_uses": 5, "expires_at": expires}),
            Some(&admin.access_token),
        )
        .await;
    let fresh_code = fresh.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(chrono::Duration::days(8));
    let third = app.dev_login("o-joiner-3").await; // a week later: a fresh login
    let expired = app
        .post(
            "/api/v1/orgs/join",
            &json!({"code": fresh_code}),
            Some(&third.access_token),
        )
        .await;
    assert_error(expired, StatusCode::GONE, "invite.expired").await;
}

#[tokio::test]
async fn concurrent_joins_with_a_single_use_code_admit_exactly_one() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let expires = (app.clock_now() + chrono::Duration::days(1)).to_rfc3339();
    let invite: Value = app
        .post(
            &format!("/api/v1/admin/orgs/{}/invites", tree.branch_b),
            &json!({"max_uses": 1, "expires_at": expires}),
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut members = Vec::new();
    for i in 0..6 {
        members.push(app.dev_login(&format!("o-rush-{i}")).await);
    }
    let body = json!({"code": invite["code"]});
    let joins = members
        .iter()
        .map(|m| app.post("/api/v1/orgs/join", &body, Some(&m.access_token)));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(joins)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::GONE).count(),
        5,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn join_attempts_are_limited_to_ten_a_minute_per_member() {
    let app = spawn_app().await;
    let guesser = app.dev_login("o-guesser").await;
    let other = app.dev_login("o-other").await;
    for i in 0..10 {
        let res = app
            .post(
                "/api/v1/orgs/join",
                &json!({"code": format!("GUESS{i}")}),
                Some(&guesser.access_token),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let res = app
        .post(
            "/api/v1/orgs/join",
            &json!({"code": "GUESS10"}),
            Some(&guesser.access_token),
        )
        .await;
    assert!(res.headers().contains_key("retry-after"));
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let res = app
        .post(
            "/api/v1/orgs/join",
            &json!({"code": "GUESS10"}),
            Some(&other.access_token),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "another member is not slowed down"
    );
    app.clock.advance(chrono::Duration::seconds(61));
    let res = app
        .post(
            "/api/v1/orgs/join",
            &json!({"code": "GUESS11"}),
            Some(&guesser.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invites_need_a_future_expiry_within_a_year() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let path = format!("/api/v1/admin/orgs/{}/invites", tree.branch_a);
    for expires in [
        app.clock_now() - chrono::Duration::hours(1),
        app.clock_now() + chrono::Duration::days(400),
    ] {
        let res = app
            .post(
                &path,
                &json!({"max_uses": 1, "expires_at": expires.to_rfc3339()}),
                Some(&root.access_token),
            )
            .await;
        let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(err["details"]["fields"]["expires_at"].is_array());
    }
}

#[tokio::test]
async fn a_revoked_invite_joins_no_one_and_the_list_shows_it() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin = app.org_admin_of(&root, "o-secretary", tree.branch_a).await;
    let t = admin.access_token.as_str();
    let expires = (app.clock_now() + chrono::Duration::days(7)).to_rfc3339();
    let invites = format!("/api/v1/admin/orgs/{}/invites", tree.branch_a);
    let invite: Value = app
        .post(
            &invites,
            &json!({"max_uses": 50, "expires_at": expires}),
            Some(t),
        )
        .await
        .json()
        .await
        .unwrap();

    let res = app
        .client
        .delete(app.url(&format!("/api/v1/admin/invites/{}", invite["id"])))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let joiner = app.dev_login("o-late").await;
    let res = app
        .post(
            "/api/v1/orgs/join",
            &json!({"code": invite["code"]}),
            Some(&joiner.access_token),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "invite.not_found").await;

    let listed: Value = app.get(&invites, Some(t)).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], invite["id"]);
    assert!(listed["items"][0]["revoked_at"].is_string());
    let audit: Value = app
        .get("/api/v1/admin/audit-log?entity_type=invite", Some(t))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["invite.revoke", "invite.create"]);
}

#[tokio::test]
async fn a_malformed_id_is_404_and_a_malformed_query_is_422() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let t = Some(root.access_token.as_str());
    assert_error(
        app.get("/api/v1/admin/orgs/not-a-number", t).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let res = app
        .get("/api/v1/admin/members?is_mobile_member=maybe", t)
        .await;
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(err["details"]["fields"]["query"].is_array());
}
