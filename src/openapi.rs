//! The OpenAPI document. Paths and schemas come from route registration (utoipa-actix-web), so
//! the spec cannot drift from the routes; this file adds only what registration cannot know.
use actix_web::App;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::ErrorBody;
use crate::http::text;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "redtrail API",
        description = "Backend of the redtrail WeChat mini-program: hikes to revolutionary heritage sites \
                       with verified check-ins (线下徒步 线上打卡), study, points and reviews.\n\n\
                       Errors are `{code, message, details}`; `message` is Chinese unless \
                       `Accept-Language` prefers English. Every response carries `x-request-id`. \
                       Any operation that reads or writes answers 503 `service_unavailable` with \
                       `Retry-After` while the database cannot be reached (or no connection is \
                       free within `REDTRAIL_DB_ACQUIRE_TIMEOUT_MS`); nothing was written: send it again \
                       later (a write with its `Idempotency-Key`, where it takes one)."
    ),
    modifiers(&BearerAuth),
    // Every operation needs a bearer token unless it says `security(())` (logins, ops).
    security(("bearer" = [])),
    components(schemas(ErrorBody)),
    tags(
        (name = "auth", description = "Logging in and tokens"),
        (name = "me", description = "The calling member"),
        (name = "orgs", description = "Joining and leaving an organisation"),
        (name = "sites", description = "Red sites and the nearby search"),
        (name = "routes", description = "Hiking routes (徒步路线) and my progress along them"),
        (name = "campaigns", description = "Campaigns (主题活动) my org takes part in"),
        (name = "checkins", description = "Verified check-ins at sites (线下徒步 线上打卡)"),
        (name = "quiz", description = "Study quizzes: daily (每日答题), practice (专项练习), challenge (挑战答题), exams (竞赛) and my wrong-answer book (错题本)"),
        (name = "reading", description = "Articles and series (学习), counted study time, my daily study streak (连续学习) and make-up cards (补签卡)"),
        (name = "classes", description = "Online classes (云课堂 / 线上党课) my org is given, attended by heartbeat while live"),
        (name = "submissions", description = "Reflections, photo stories, video, site proposals and volunteer-service reports; the public feed and likes"),
        (name = "wechat", description = "What WeChat's servers call: the message push (image-check verdicts)"),
        (name = "media", description = "Uploaded photos, video and audio, and the files they are served as"),
        (name = "points", description = "The points ledger: totals, today's payouts and caps"),
        (name = "admin", description = "Organisation admins and platform admins, scoped by the org tree"),
        (name = "ops", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The base document that route registration fills in.
pub fn base() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The full document, as `/api-docs/openapi.json` serves it.
pub fn spec() -> serde_json::Value {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(crate::api::configure)
        .split_for_parts();
    let mut doc = with_shared_rules(api);
    with_links(&mut doc);
    doc
}

/// Where an object made or listed at a path is also found, beyond the path itself and its
/// `/admin` twin: a quiz attempt, whichever way it is started, lives under `/quiz/attempts`.
const ALSO_UNDER: [(&str, &str); 6] = [
    ("/api/v1/quiz/daily", "/api/v1/quiz/attempts"),
    ("/api/v1/quiz/practice", "/api/v1/quiz/attempts"),
    ("/api/v1/quiz/challenge", "/api/v1/quiz/attempts"),
    ("/api/v1/exams/{id}/attempts", "/api/v1/quiz/attempts"),
    ("/api/v1/admin/orgs/{id}/invites", "/api/v1/admin/invites"),
    ("/api/v1/me/submissions", "/api/v1/submissions"),
];

/// OpenAPI links, so a reader (and the fuzzer's stateful phase) can follow an object to the
/// operations that take its id: from a `POST` answering an object with an `id`, and from a
/// `GET` answering a page of them, to every operation on `{root}/{id}` and below it, where the
/// root is the path itself, its twin with or without `/admin` (admins make sites, members
/// read them), or one of [`ALSO_UNDER`]. And a site made is a site to check in at.
fn with_links(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};

    // `schema` (through `$ref`s and `allOf`s) as an object with an `id`.
    fn has_id(schema: &Value, doc: &Value) -> bool {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            return doc
                .pointer(&r.replacen('#', "", 1))
                .is_some_and(|s| has_id(s, doc));
        }
        schema.pointer("/properties/id").is_some()
            || schema["allOf"]
                .as_array()
                .is_some_and(|all| all.iter().any(|s| has_id(s, doc)))
    }
    // Where the id sits in an answer of `schema`: `/id`, `/items/0/id` or `/0/id`.
    let id_at = |schema: &Value, doc: &Value| -> Option<&'static str> {
        let schema = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => doc.pointer(&r.replacen('#', "", 1))?,
            None => schema,
        };
        if has_id(schema, doc) {
            Some("$response.body#/id")
        } else if schema
            .pointer("/properties/items/items")
            .is_some_and(|s| has_id(s, doc))
        {
            Some("$response.body#/items/0/id")
        } else if schema.get("type") == Some(&json!("array"))
            && schema.get("items").is_some_and(|s| has_id(s, doc))
        {
            Some("$response.body#/0/id")
        } else {
            None
        }
    };
    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
    let operation_id = |path: &str, method: &str| doc["paths"][path][method]["operationId"].clone();
    let operations: Vec<(String, String)> = doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            let methods = item.as_object().into_iter().flat_map(|m| m.keys());
            let methods = methods.filter(|m| METHODS.contains(&m.as_str()));
            methods.map(move |m| (path.clone(), m.clone()))
        })
        .collect();
    let mut links: Vec<(String, String, String, String, Value)> = Vec::new();
    for (path, method) in &operations {
        let status = match method.as_str() {
            "post" => ["201", "200"],
            "get" => ["200", "200"],
            _ => continue,
        };
        let Some((status, id)) = status.iter().find_map(|code| {
            let schema = doc["paths"][path][method].pointer(&format!(
                "/responses/{code}/content/application~1json/schema"
            ))?;
            Some((code.to_string(), id_at(schema, doc)?))
        }) else {
            continue;
        };
        let mut roots = vec![
            path.clone(),
            path.replacen("/api/v1/admin/", "/api/v1/", 1),
            path.replacen("/api/v1/", "/api/v1/admin/", 1),
        ];
        roots.extend(
            ALSO_UNDER
                .iter()
                .filter(|(from, _)| from == path)
                .map(|(_, to)| to.to_string()),
        );
        for (target, target_method) in &operations {
            let takes_only_id = target.matches('{').count() == 1;
            let under = roots.iter().any(|root| {
                target
                    .strip_prefix(root.as_str())
                    .and_then(|rest| rest.strip_prefix("/{id}"))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            });
            if takes_only_id && under && (target, target_method) != (path, method) {
                let link = json!({
                    "operationId": operation_id(target, target_method),
                    "parameters": {"path.id": id},
                });
                links.push((
                    path.clone(),
                    method.clone(),
                    status.clone(),
                    format!("{target_method}{target}"),
                    link,
                ));
            }
        }
    }
    links.push((
        "/api/v1/admin/sites".into(),
        "post".into(),
        "201".into(),
        "post/api/v1/checkins".into(),
        // A body of runtime expressions, merged into a generated one, is schemathesis's reading
        // of `requestBody`; other tools see the whole body.
        json!({
            "operationId": operation_id("/api/v1/checkins", "post"),
            "requestBody": {"site_id": "$response.body#/id", "lat": "$response.body#/lat",
                            "lng": "$response.body#/lng", "accuracy_m": 10},
        }),
    ));
    for (path, method, status, name, link) in links {
        let name: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if let Some(response) = doc["paths"][&path][&method]["responses"].get_mut(&status) {
            response["links"][name.trim_matches('_')] = link;
        }
    }
}

/// Adds what every operation shares and no attribute says: the text rule of
/// [`crate::http::text`] as a `pattern` on every string a request can carry (combined with
/// the not-blank mark, `pattern = "\\S"`, where a field has it), and the 422 that rule can
/// answer on any operation.
fn with_shared_rules(api: utoipa::openapi::OpenApi) -> serde_json::Value {
    use serde_json::Value;
    use text::{NOT_BLANK_MARK, SCHEMA_CLEAN, SCHEMA_CLEAN_NOT_BLANK};

    fn mark_strings(schema: &mut Value, refs: &mut Vec<String>) {
        let Some(object) = schema.as_object_mut() else {
            return;
        };
        if let Some(Value::String(r)) = object.get("$ref") {
            refs.push(r.trim_start_matches("#/components/schemas/").to_owned());
        }
        let is_string = match object.get("type") {
            Some(Value::String(t)) => t == "string",
            Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
            _ => false,
        };
        if is_string && !object.contains_key("format") && !object.contains_key("enum") {
            let pattern = match object.get("pattern").and_then(Value::as_str) {
                None => Some(SCHEMA_CLEAN),
                Some(NOT_BLANK_MARK) => Some(SCHEMA_CLEAN_NOT_BLANK),
                Some(_) => None,
            };
            if let Some(pattern) = pattern {
                object.insert("pattern".into(), pattern.into());
            }
        }
        for (key, child) in object.iter_mut() {
            match key.as_str() {
                "properties" => child
                    .as_object_mut()
                    .into_iter()
                    .flat_map(|m| m.values_mut())
                    .for_each(|c| mark_strings(c, refs)),
                "items" | "additionalProperties" => mark_strings(child, refs),
                "oneOf" | "anyOf" | "allOf" => child
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                    .for_each(|c| mark_strings(c, refs)),
                _ => {}
            }
        }
    }

    let mut doc = serde_json::to_value(&api).expect("the document serializes");
    let mut refs = Vec::new();
    for item in doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let params = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut);
            for param in params.into_iter().flatten() {
                if let Some(schema) = param.get_mut("schema") {
                    mark_strings(schema, &mut refs);
                }
            }
            if let Some(body) =
                operation.pointer_mut("/requestBody/content/application~1json/schema")
            {
                mark_strings(body, &mut refs);
            }
            if let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            {
                responses.entry("422").or_insert_with(|| {
                    serde_json::json!({
                        "description": "`validation_failed`: the path, a query parameter or a header holds \
                                        control characters (`details.fields` names it)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
                    })
                });
            }
        }
    }
    hoist_descriptions(&mut doc["components"]);
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = refs.pop() {
        if seen.insert(name.clone())
            && let Some(schema) = doc["components"]["schemas"].get_mut(&name)
        {
            mark_strings(schema, &mut refs);
        }
    }
    doc
}

/// utoipa puts the `///` of an optional field of a schema type on the `$ref` inside its
/// `oneOf: [null, $ref]`, where tools don't show it; it belongs on the property.
fn hoist_descriptions(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if !map.contains_key("description")
                && let Some(Value::Array(choices)) = map.get_mut("oneOf")
                && let Some(description) = choices
                    .iter_mut()
                    .find_map(|c| c.as_object_mut()?.remove("description"))
            {
                map.insert("description".into(), description);
            }
            map.values_mut().for_each(hoist_descriptions);
        }
        Value::Array(items) => items.iter_mut().for_each(hoist_descriptions),
        _ => {}
    }
}

/// What `redtrail openapi` prints and `openapi/openapi.json` holds.
pub fn spec_json() -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&spec())? + "\n")
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn walk<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
        out.push((at.clone(), value));
        match value {
            Value::Object(map) => map
                .iter()
                .for_each(|(k, v)| walk(v, format!("{at}/{k}"), out)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(v, format!("{at}/{i}"), out)),
            _ => {}
        }
    }

    #[test]
    fn every_ref_names_a_registered_schema() {
        let spec = super::spec();
        let mut all = Vec::new();
        walk(&spec, String::new(), &mut all);
        let missing: Vec<_> = all
            .iter()
            .filter_map(|(at, v)| Some((at, v.get("$ref")?.as_str()?)))
            .filter(|(_, r)| spec.pointer(r.trim_start_matches('#')).is_none())
            .collect();
        assert!(missing.is_empty(), "unresolvable: {missing:?}");
    }

    /// Links lead from what makes or lists an object to the operations that take its id, and
    /// every link names an operation of this document.
    #[test]
    fn links_follow_objects_to_the_operations_taking_their_id() {
        let spec = super::spec();
        let operations: Vec<(String, String, Value)> = spec["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                let ops = item.as_object().unwrap().iter();
                ops.map(move |(m, op)| (path.clone(), m.clone(), op["operationId"].clone()))
            })
            .collect();
        let links_of = |path: &str, method: &str, status: &str| -> Vec<String> {
            let links = &spec["paths"][path][method]["responses"][status]["links"];
            let links = links.as_object().cloned().unwrap_or_default();
            links
                .values()
                .map(|l| {
                    let (path, method, _) = operations
                        .iter()
                        .find(|(_, _, id)| *id == l["operationId"])
                        .unwrap_or_else(|| panic!("{l} names no operation"));
                    format!("{path}/{method}")
                })
                .collect()
        };
        let made = links_of("/api/v1/admin/sites", "post", "201");
        for target in [
            "/api/v1/sites/{id}/get",
            "/api/v1/admin/sites/{id}/patch",
            "/api/v1/admin/sites/{id}/delete",
            "/api/v1/checkins/post",
        ] {
            assert!(made.contains(&target.to_owned()), "{target} in {made:?}");
        }
        let daily = links_of("/api/v1/quiz/daily", "post", "200");
        assert!(daily.contains(&"/api/v1/quiz/attempts/{id}/submit/post".to_owned()));
        let listed = links_of("/api/v1/classes", "get", "200");
        assert!(listed.contains(&"/api/v1/classes/{id}/get".to_owned()));
        let mut all = Vec::new();
        walk(&spec, String::new(), &mut all);
        let count = all.iter().filter(|(at, _)| at.ends_with("/links")).count();
        assert!(count > 30, "{count} responses with links");
    }

    /// utoipa names a schema after its type and keeps one schema per name: two `ToSchema` types
    /// of one name would silently share (and mis-document) a request body.
    #[test]
    fn no_two_schema_types_share_a_name() {
        fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    rust_files(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        rust_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut seen: std::collections::HashMap<String, std::path::PathBuf> = Default::default();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let mut schema_next = false;
            for line in text.lines().map(str::trim) {
                if line.starts_with("#[derive(") && line.contains("ToSchema") {
                    schema_next = true;
                } else if schema_next
                    && (line.starts_with("pub struct ") || line.starts_with("pub enum "))
                {
                    let name: String = line
                        .split_whitespace()
                        .nth(2)
                        .unwrap_or_default()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if let Some(other) = seen.insert(name.clone(), file.clone()) {
                        panic!(
                            "two schemas named {name}: {} and {}",
                            other.display(),
                            file.display()
                        );
                    }
                    schema_next = false;
                }
            }
        }
    }

    #[test]
    fn every_schema_property_is_described() {
        let spec = super::spec();
        let mut all = Vec::new();
        walk(&spec["components"]["schemas"], String::new(), &mut all);
        let bare: Vec<_> = all
            .iter()
            .filter(|(at, _)| at.rsplit('/').nth(1) == Some("properties"))
            .filter(|(_, v)| v.get("description").is_none())
            .map(|(at, _)| at)
            .collect();
        assert!(bare.is_empty(), "properties without a `///`: {bare:#?}");
    }

    #[test]
    fn every_request_string_carries_the_text_rule_and_every_operation_its_422() {
        let spec = super::spec();
        let login = &spec["components"]["schemas"]["DevLogin"]["properties"];
        assert_eq!(
            login["openid"]["pattern"],
            crate::http::text::SCHEMA_CLEAN_NOT_BLANK
        );
        assert_eq!(
            login["nickname"]["pattern"],
            crate::http::text::SCHEMA_CLEAN
        );
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                assert!(
                    operation["responses"].get("422").is_some(),
                    "{method} {path} does not document 422"
                );
            }
        }
    }
}
