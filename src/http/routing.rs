//! Answers for requests no route takes: 405 with `Allow` when the path is one the API serves
//! with other methods, else 404. The known paths come from the OpenAPI document that route
//! registration produced, so they cannot drift from the routes.
use actix_web::HttpRequest;
use actix_web::dev::ResourceDef;
use actix_web::http::Method;

use crate::error::ApiError;

/// Every documented path template with the methods it serves.
#[derive(Clone, Default)]
pub struct KnownPaths(std::sync::Arc<Vec<(ResourceDef, Vec<Method>)>>);

impl KnownPaths {
    pub fn from_spec(spec: &serde_json::Value) -> Self {
        let paths = spec["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(template, item)| {
                let methods = [
                    Method::GET,
                    Method::PUT,
                    Method::POST,
                    Method::DELETE,
                    Method::PATCH,
                ]
                .into_iter()
                .filter(|m| item.get(m.as_str().to_ascii_lowercase()).is_some())
                .collect();
                (ResourceDef::new(template.as_str()), methods)
            })
            .collect();
        KnownPaths(std::sync::Arc::new(paths))
    }

    /// The same, without `template` (a route switched off by configuration looks absent).
    pub fn without(self, template: &str) -> Self {
        let paths = self
            .0
            .iter()
            .filter(|(def, _)| def.pattern() != Some(template))
            .cloned()
            .collect();
        KnownPaths(std::sync::Arc::new(paths))
    }

    /// The methods `path` is served with, if any route matches it. A literal path beats a
    /// template (`/admin/sites/import` is not `/admin/sites/{id}`).
    pub fn allowed(&self, path: &str) -> Option<&[Method]> {
        let matching: Vec<_> = self
            .0
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .collect();
        matching
            .iter()
            .find(|(def, _)| !def.is_prefix() && def.pattern() == Some(path))
            .or_else(|| matching.first())
            .map(|(_, methods)| methods.as_slice())
    }

    /// The answer for a request that no route took, or whose path parameters did not parse:
    /// 404 when nothing is at the path for its method, 405 when only other methods are.
    pub fn unrouted(&self, req: &HttpRequest) -> ApiError {
        match self.allowed(req.path()) {
            Some(methods) if !methods.contains(req.method()) => ApiError::MethodNotAllowed {
                allow: methods
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            _ => ApiError::NotFound,
        }
    }
}
