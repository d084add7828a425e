//! Text is Unicode without NUL or other C0 controls (tab and newline aside), in every string of
//! every JSON body and every query parameter: 422 naming the field, never a 500 (PostgreSQL text
//! cannot hold NUL). Walks the spec, so every operation added later is covered too.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

fn is_string(spec: &Value, schema: &Value) -> bool {
    let schema = resolve(spec, schema);
    match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(types) => types.iter().any(|t| t == "string"),
        _ => schema["oneOf"]
            .as_array()
            .is_some_and(|all| all.iter().any(|s| is_string(spec, s))),
    }
}

fn concrete(template: &str) -> String {
    template
        .replace("{source}", "checkin")
        .split('/')
        .map(|part| if part.starts_with('{') { "1" } else { part })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn a_control_character_in_any_string_field_or_query_is_422_naming_it() {
    let app = spawn_app().await;
    let root = app.platform_admin().await;
    let spec: Value = serde_json::from_str(&redtrail::openapi::spec_json().unwrap()).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (template, item) in spec["paths"].as_object().unwrap() {
        for (verb, operation) in item.as_object().unwrap() {
            let method: reqwest::Method = verb.to_uppercase().parse().unwrap();
            let path = concrete(template);
            let mut probes: Vec<(String, reqwest::RequestBuilder)> = Vec::new();
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            if !body.is_null() {
                let body = resolve(&spec, body);
                for (name, schema) in body["properties"].as_object().into_iter().flatten() {
                    if is_string(&spec, schema) {
                        let req = app
                            .client
                            .request(method.clone(), app.url(&path))
                            .json(&json!({ name.as_str(): "红\u{0}旗" }));
                        probes.push((name.clone(), req));
                    }
                }
            }
            for param in operation["parameters"].as_array().into_iter().flatten() {
                if param["in"] == "query" && is_string(&spec, &param["schema"]) {
                    let name = param["name"].as_str().unwrap();
                    let url = format!("{}?{name}=a%00b", app.url(&path));
                    probes.push((name.to_owned(), app.client.request(method.clone(), url)));
                }
            }
            for (field, req) in probes {
                checked += 1;
                let res = req.bearer_auth(&root.access_token).send().await.unwrap();
                let status = res.status();
                let body: Value = res.json().await.unwrap_or_default();
                if status != StatusCode::UNPROCESSABLE_ENTITY
                    || !body["details"]["fields"][&field].is_array()
                {
                    failures.push(format!("{verb} {template} {field}: {status} {body}"));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "the spec walk found only {checked} string fields"
    );
    assert!(failures.is_empty(), "not refused:\n{}", failures.join("\n"));

    // Tab and newline are text; a NUL in a path segment is refused like the rest.
    let res = app
        .post(
            "/api/v1/auth/dev-login",
            &json!({"openid": "o-text", "nickname": "红\t旗"}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .put(app.url("/api/v1/admin/point-rules/check%00in"))
        .bearer_auth(&root.access_token)
        .json(&json!({"points": 5, "daily_cap": 20, "weekly_cap": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
