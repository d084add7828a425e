//! Access tokens (short-lived JWTs naming the member) and refresh tokens (random, stored hashed).
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    typ: String,
}

const ACCESS: &str = "access";

/// Signs and checks tokens. Expiry is checked against the application clock, not the system's,
/// so it means the same thing in tests as in production.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration, refresh_ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl,
            refresh_ttl,
        }
    }

    pub fn issue_access(&self, member_id: i64, now: DateTime<Utc>) -> Result<String, ApiError> {
        let claims = Claims {
            sub: member_id.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + self.access_ttl.as_secs() as i64,
            typ: ACCESS.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("signing an access token: {e}")))
    }

    /// The member an unexpired, untampered access token names.
    pub fn verify_access(&self, token: &str, now: DateTime<Utc>) -> Result<i64, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| ApiError::InvalidToken)?;
        let claims = data.claims;
        if claims.typ != ACCESS || claims.exp <= now.timestamp() {
            return Err(ApiError::InvalidToken);
        }
        claims.sub.parse().map_err(|_| ApiError::InvalidToken)
    }
}

/// A token on its way to the client: serialized as the plain string, but its `Debug` prints
/// `[redacted]`, so no log line of a response can carry it.
#[derive(Clone, serde::Serialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    pub fn new(value: String) -> Self {
        Token(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A fresh refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a refresh token: its SHA-256, hex.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration as Span;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(7200),
            Duration::from_secs(86400),
        )
    }

    #[test]
    fn an_access_token_is_good_until_its_expiry_on_the_app_clock() {
        let now = Utc::now();
        let token = keys().issue_access(42, now).unwrap();
        assert_eq!(
            keys()
                .verify_access(&token, now + Span::seconds(7199))
                .unwrap(),
            42
        );
        assert!(matches!(
            keys().verify_access(&token, now + Span::seconds(7200)),
            Err(ApiError::InvalidToken)
        ));
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let other = TokenKeys::new(
            b"another-secret-another-secret-xx",
            Duration::from_secs(60),
            Duration::from_secs(60),
        );
        let token = other.issue_access(1, Utc::now()).unwrap();
        assert!(matches!(
            keys().verify_access(&token, Utc::now()),
            Err(ApiError::InvalidToken)
        ));
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_refresh_token(&a).len(), 64);
        assert_ne!(hash_refresh_token(&a), hash_refresh_token(&b));
    }
}
