use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, assert_error, spawn_app};

/// The former site of the Panyu county committee, approximately (GCJ-02).
const PANYU: (f64, f64) = (22.9375, 113.3842);

async fn create_site(app: &TestApp, admin: &Session, body: Value) -> Value {
    let (status, site) = app
        .json(
            app.post("/api/v1/admin/sites", &body, Some(&admin.access_token))
                .await,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    site
}

/// A site `dlat` degrees north of PANYU.
fn north(name: &str, dlat: f64, category: &str) -> Value {
    json!({"name": name, "category": category, "lat": PANYU.0 + dlat, "lng": PANYU.1, "address": format!("番禺区{name}")})
}

#[tokio::test]
async fn platform_admins_manage_sites_and_members_see_only_open_ones() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let tree = app.tree(&root).await;
    let admin_a = app.org_admin_of(&root, "o-admin-a", tree.org_a).await;
    let member = app.dev_login("o-visitor").await;

    let site = create_site(&app, &root, json!({"name": "中共番禺县工委旧址", "category": "former_site", "lat": PANYU.0, "lng": PANYU.1})).await;
    assert_eq!(
        (site["radius_m"].as_i64(), site["status"].as_str()),
        (Some(200), Some("active"))
    );
    let res = app
        .post(
            "/api/v1/admin/sites",
            &north("x", 0.0, "museum"),
            Some(&admin_a.access_token),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    for bad in [
        json!({"name": "x", "category": "museum", "lat": 91.0, "lng": 0.0}),
        json!({"name": "x", "category": "museum", "lat": 1.0, "lng": 1.0, "radius_m": 5000}),
        json!({"name": "x", "category": "castle", "lat": 1.0, "lng": 1.0}),
    ] {
        let res = app
            .post("/api/v1/admin/sites", &bad, Some(&root.access_token))
            .await;
        assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }

    let path = format!("/api/v1/sites/{}", site["id"]);
    let seen: Value = app
        .get(&path, Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["name"], "中共番禺县工委旧址");
    let edit = app
        .patch(
            &format!("/api/v1/admin/sites/{}", site["id"]),
            &json!({"radius_m": 300, "status": "hidden"}),
            Some(&root.access_token),
        )
        .await;
    assert_eq!(edit.status(), StatusCode::OK);
    assert_error(
        app.get(&path, Some(&member.access_token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.patch(
        &format!("/api/v1/admin/sites/{}", site["id"]),
        &json!({"status": "active"}),
        Some(&root.access_token),
    )
    .await;
    assert_eq!(
        app.get(&path, Some(&member.access_token))
            .await
            .json::<Value>()
            .await
            .unwrap()["radius_m"],
        300
    );

    let res = app
        .client
        .delete(app.url(&format!("/api/v1/admin/sites/{}", site["id"])))
        .bearer_auth(&root.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.get(&path, Some(&member.access_token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let audit: Value = app
        .get(
            "/api/v1/admin/audit-log?entity_type=site",
            Some(&root.access_token),
        )
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
    assert_eq!(
        actions,
        ["site.delete", "site.update", "site.update", "site.create"]
    );
}

#[tokio::test]
async fn nearby_lists_the_sites_within_reach_nearest_first_with_their_distance() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-hiker").await;
    let far = create_site(&app, &root, north("烈士陵园", 0.05, "martyrs_cemetery")).await; // ≈ 5.6 km
    let near = create_site(&app, &root, north("纪念馆", 0.001, "memorial_hall")).await; // ≈ 111 m
    let mid = create_site(&app, &root, north("故居", 0.01, "former_residence")).await; // ≈ 1.1 km
    let hidden = create_site(&app, &root, north("闭馆", 0.0005, "museum")).await;
    app.patch(
        &format!("/api/v1/admin/sites/{}", hidden["id"]),
        &json!({"status": "hidden"}),
        Some(&root.access_token),
    )
    .await;
    create_site(
        &app,
        &root,
        json!({"name": "远方", "category": "other", "lat": 31.24, "lng": 121.49}),
    )
    .await;

    let find = |query: String| {
        let app = &app;
        let token = member.access_token.clone();
        async move {
            let res = app
                .get(&format!("/api/v1/sites?{query}"), Some(&token))
                .await;
            let (status, body) = app.json(res).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    let at = format!("lat={}&lng={}", PANYU.0, PANYU.1);
    let ids = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].clone())
            .collect::<Vec<_>>()
    };

    let default = find(at.clone()).await;
    assert_eq!(
        ids(&default),
        [near["id"].clone(), mid["id"].clone()],
        "5 km by default"
    );
    let d_near = default["items"][0]["distance_m"].as_f64().unwrap();
    let d_mid = default["items"][1]["distance_m"].as_f64().unwrap();
    assert!((d_near - 111.2).abs() / 111.2 < 0.01, "{d_near}");
    assert!((d_mid - 1112.0).abs() / 1112.0 < 0.01, "{d_mid}");

    assert_eq!(
        ids(&find(format!("{at}&within_m=10000")).await),
        [near["id"].clone(), mid["id"].clone(), far["id"].clone()]
    );
    assert_eq!(
        ids(&find(format!("{at}&within_m=500")).await),
        [near["id"].clone()]
    );
    assert_eq!(
        ids(&find(format!("{at}&within_m=10000&category=martyrs_cemetery")).await),
        [far["id"].clone()]
    );
    assert_eq!(
        ids(&find(format!("{at}&within_m=10000&q={}", "故居")).await),
        [mid["id"].clone()]
    );

    let first = find(format!("{at}&within_m=10000&limit=2")).await;
    assert_eq!(ids(&first).len(), 2);
    let second = find(format!(
        "{at}&within_m=10000&limit=2&cursor={}",
        first["next_cursor"].as_str().unwrap()
    ))
    .await;
    assert_eq!(ids(&second), [far["id"].clone()]);
    assert_eq!(second["next_cursor"], Value::Null);

    let everything = find(String::new()).await;
    assert_eq!(
        everything["items"].as_array().unwrap().len(),
        4,
        "all open sites, no distances"
    );
    assert!(everything["items"][0].get("distance_m").is_none());
    let res = app
        .get(
            &format!("/api/v1/sites?lat={}", PANYU.0),
            Some(&member.access_token),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

async fn import(
    app: &TestApp,
    admin: &Session,
    content_type: &str,
    csv: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/admin/sites/import"))
        .bearer_auth(&admin.access_token)
        .header("content-type", content_type)
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_csv_import_creates_every_row_or_none_and_names_the_bad_lines() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let member = app.dev_login("o-csv").await;
    let good = "\u{feff}name,category,lat,lng,radius_m,address\n\
                中共番禺县工委旧址,former_site,22.9375,113.3842,150,番禺区\n\
                何虹烈士故居,former_residence,22.9452,113.3921,,\n\
                番禺烈士陵园,martyrs_cemetery,22.9500,113.3700,300,番禺区\n";
    let (status, body) = app
        .json(import(&app, &root, "text/csv; charset=utf-8", good).await)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["created"], 3);
    let first: Value = app
        .get(
            "/api/v1/sites?q=%E7%95%AA%E7%A6%BA%E5%8E%BF", // 番禺县
            Some(&member.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let first = &first["items"][0];
    assert_eq!(
        (first["name"].as_str(), first["radius_m"].as_i64()),
        (Some("中共番禺县工委旧址"), Some(150))
    );
    let second: Value = app
        .get(
            "/api/v1/sites?q=%E4%BD%95%E8%99%B9", // 何虹
            Some(&member.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let second = &second["items"][0];
    assert_eq!(second["radius_m"], 200, "an empty radius takes the default");

    let bad = "name,category,lat,lng\n\
               好的一行,museum,22.1,113.1\n\
               纬度不对,museum,95,113.1\n\
               类别不对,castle,22.1,113.1\n\
               不是数字,museum,north,113.1\n";
    let res = import(&app, &root, "text/csv", bad).await;
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields = err["details"]["fields"].as_object().unwrap();
    let mut keys: Vec<&String> = fields.keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["rows[3].lat", "rows[4].category", "rows[5]"],
        "{err}"
    );
    let all: Value = app
        .get("/api/v1/sites?limit=100", Some(&member.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        3,
        "the good row of a bad file was not created"
    );

    let res = import(&app, &root, "application/json", good).await;
    assert_error(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let huge = format!(
        "name,category,lat,lng\n{}",
        "很长的名字,museum,22.1,113.1\n".repeat(200_000)
    );
    let res = import(&app, &root, "text/csv", &huge).await;
    assert_error(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn a_csv_import_takes_ten_thousand_rows_and_lists_the_first_hundred_problems() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let row = |i: usize| format!("遗址{i},museum,22.{i:04},113.1\n");
    let full: String = std::iter::once("name,category,lat,lng\n".to_owned())
        .chain((0..10_000).map(row))
        .collect();
    let (status, imported) = app.json(import(&app, &root, "text/csv", &full).await).await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    assert_eq!(imported["created"], 10_000);
    let last: Value = app
        .get(
            "/api/v1/sites?q=%E9%81%97%E5%9D%809999",
            Some(&root.access_token),
        ) // 遗址9999
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["items"][0]["name"], "遗址9999");

    let res = import(&app, &root, "text/csv", &format!("{full}{}", row(10_000))).await;
    let err = assert_error(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(err["details"]["max_rows"], 10_000);

    let bad: String = std::iter::once("name,category,lat,lng\n".to_owned())
        .chain((0..150).map(|i| format!("坏{i},castle,22.1,113.1\n")))
        .collect();
    let res = import(&app, &root, "text/csv", &bad).await;
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(err["details"]["fields"].as_object().unwrap().len(), 100);
    assert_eq!(err["details"]["error_count"], 150);
    assert_eq!(err["details"]["truncated"], true);
    let res = import(
        &app,
        &root,
        "text/csv",
        "name,category,lat,lng\n无穷,museum,NaN,inf\n",
    )
    .await;
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(err["details"]["fields"]["rows[2].lat"].is_array(), "{err}");
    let res = app
        .get(
            "/api/v1/sites?lat=22.1&lng=113.1&within_m=NaN",
            Some(&root.access_token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "a NaN radius is the default");
    let nul = "name,category,lat,lng\n坏\u{0}名,museum,22.1,113.1\n";
    let res = import(&app, &root, "text/csv", nul).await;
    let err = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(err["details"]["fields"]["rows[2]"].is_array(), "{err}");
}

#[tokio::test]
async fn a_site_just_inside_the_search_radius_is_found() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    // 4,995 m due north of the caller (99.9% of 5 km) on the sphere distances are measured on.
    let north = 4_995.0 / 111_195.08;
    let body = json!({"name": "边缘遗址", "category": "other", "lat": 22.9 + north, "lng": 113.3});
    let res = app
        .post("/api/v1/admin/sites", &body, Some(&root.access_token))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let found: Value = app
        .get(
            "/api/v1/sites?lat=22.9&lng=113.3&within_m=5000",
            Some(&root.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let d = found["items"][0]["distance_m"]
        .as_f64()
        .expect("the site is found");
    assert!((d - 4_995.0).abs() < 1.0, "{d}");
}
