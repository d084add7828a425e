//! Password hashing for admin accounts (argon2id, the crate's default parameters). Hashing is
//! CPU-heavy, so callers run it on the blocking pool, never on an actix worker.
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use crate::error::ApiError;

pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// Checks `password` against `stored`. With no stored hash (unknown user) it still checks
/// against a dummy, so a wrong username takes as long as a wrong password and cannot be told apart.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    match stored {
        Some(stored) => matches(password, stored),
        None => {
            let dummy = DUMMY.get_or_init(|| hash("redtrail-dummy-password").unwrap_or_default());
            let _ = matches(password, dummy);
            false
        }
    }
}

fn matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Bounds how many password hashes run at once, so a flood of logins cannot take every core:
/// the rest wait up to `wait` for a turn, then are told 503 with `Retry-After`.
pub struct Hashing {
    permits: tokio::sync::Semaphore,
    wait: std::time::Duration,
}

impl Hashing {
    pub fn new(at_once: usize, wait: std::time::Duration) -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(at_once.max(1)),
            wait,
        }
    }

    /// [`verify`] on the blocking pool, when a turn comes.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ApiError> {
        let _turn = tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .map_err(|_| ApiError::Busy {
                retry_after_secs: 1,
            })?
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing permits closed: {e}")))?;
        verify_blocking(password, stored).await
    }
}

/// Runs [`verify`] on the blocking pool.
pub async fn verify_blocking(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || verify(&password, stored.as_deref()))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("password check panicked: {e}")))
}

/// Runs [`hash`] on the blocking pool.
pub async fn hash_blocking(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("password hashing panicked: {e}")))?
}
