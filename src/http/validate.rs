//! Field checks that `validator` lacks. Their codes have messages in [`crate::error`].
use std::borrow::Cow;

use validator::ValidationError;

pub fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new("blank"));
    }
    Ok(())
}

/// A secret's length in characters, checked without ever printing it.
pub fn secret_length(
    value: &secrecy::SecretString,
    min: u64,
    max: u64,
) -> Result<(), ValidationError> {
    let n = secrecy::ExposeSecret::expose_secret(value).chars().count() as u64;
    if (min..=max).contains(&n) {
        return Ok(());
    }
    let mut err = ValidationError::new("length");
    err.add_param(Cow::Borrowed("min"), &min);
    err.add_param(Cow::Borrowed("max"), &max);
    Err(err)
}

/// An instant a window may start or end at: years 1970 to 9999, which every backend stores
/// (and SQLite's text keeps in order).
pub fn storable_instant(
    field: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), crate::error::ApiError> {
    use chrono::Datelike;
    if !(1970..=9999).contains(&at.year()) {
        return Err(crate::error::ApiError::field(
            field,
            crate::error::FieldIssue::new("year_range"),
        ));
    }
    Ok(())
}

/// An absolute http(s) URL with a host and no whitespace.
pub fn http_url(value: &str) -> Result<(), ValidationError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !value.chars().any(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(ValidationError::new("url").with_message(Cow::Borrowed("must be an http(s) URL"))),
    }
}

/// Short labels (tags, themes): each 1 to 32 characters, not blank.
pub fn labels(items: &[String]) -> Result<(), ValidationError> {
    if items
        .iter()
        .all(|t| (1..=32).contains(&t.chars().count()) && !t.trim().is_empty())
    {
        return Ok(());
    }
    Err(ValidationError::new("tags"))
}

/// An http(s) URL, or a path on this server (`/api/v1/media/files/...`).
pub fn url_or_path(value: &str) -> Result<(), ValidationError> {
    match value.strip_prefix('/') {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !value.chars().any(char::is_whitespace) =>
        {
            Ok(())
        }
        Some(_) => Err(ValidationError::new("url")
            .with_message(Cow::Borrowed("must be an http(s) URL or a path"))),
        None => http_url(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_url_wants_a_scheme_and_a_host() {
        assert!(http_url("https://example.com/a.png").is_ok());
        assert!(http_url("http://x").is_ok());
        assert!(http_url("ftp://example.com").is_err());
        assert!(http_url("https://").is_err());
        assert!(http_url("https:///path").is_err());
        assert!(http_url("https://a b").is_err());
    }

    #[test]
    fn url_or_path_takes_a_local_path_too() {
        assert!(url_or_path("/api/v1/media/files/a.jpg").is_ok());
        assert!(url_or_path("https://cdn.example.com/a.jpg").is_ok());
        assert!(url_or_path("//evil.example.com/a.jpg").is_err());
        assert!(url_or_path("javascript:alert(1)").is_err());
    }

    #[test]
    fn blank_is_only_whitespace() {
        assert!(not_blank(" x ").is_ok());
        assert!(not_blank(" \t").is_err());
    }
}
