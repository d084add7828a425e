use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[test]
fn the_committed_openapi_spec_is_fresh() {
    let generated = redtrail::openapi::spec_json().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: refresh it with `cargo run -- openapi > openapi/openapi.json` and commit it"
    );
}

#[tokio::test]
async fn the_server_serves_the_same_spec() {
    let app = spawn_app().await;
    let served: Value = app
        .get("/api-docs/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let generated: Value = serde_json::from_str(&redtrail::openapi::spec_json().unwrap()).unwrap();
    assert_eq!(served, generated);
}

#[test]
fn every_operation_is_tagged_named_and_documents_its_errors() {
    let spec: Value = serde_json::from_str(&redtrail::openapi::spec_json().unwrap()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/auth/wechat-login"));
    assert!(paths.contains_key("/api/v1/me"));
    for (path, item) in paths {
        for (verb, op) in item.as_object().unwrap() {
            let at = format!("{verb} {path}");
            assert!(op["operationId"].is_string(), "{at}: operationId");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at}: tag"
            );
            let responses = op["responses"].as_object().unwrap();
            // Secured by the document's `security` unless the operation opts out with `[{}]`.
            let public = op["security"] == serde_json::json!([{}]);
            if !public {
                assert!(
                    responses.contains_key("401"),
                    "{at}: a secured operation documents 401"
                );
            }
            if op["requestBody"]["content"]
                .get("application/json")
                .is_some()
            {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{at}: a JSON body documents {status}"
                    );
                }
            }
        }
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    assert_eq!(spec["security"], serde_json::json!([{"bearer": []}]));
}

#[tokio::test]
async fn the_interactive_docs_are_served_from_the_binary() {
    let app = spawn_app().await;
    let redirect = app.get("/docs", None).await;
    assert!(redirect.status().is_redirection());
    let page = app.get("/docs/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("cdn"), "nothing may load from a CDN");
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let res = app.get(asset, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
    }
    let init = app
        .get("/docs/swagger-initializer.js", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api-docs/openapi.json"));
}
