//! Password hashing for admin accounts (argon2id, the crate's default parameters). Hashing is
//! CPU-heavy, so callers run it on the blocking pool, never on an actix worker.
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Settings;
use crate::error::ApiError;

/// Failed admin logins for one username that lock it...
pub const LOCKOUT_FAILURES: usize = 5;
/// ...within this window, for the rest of the window.
pub const LOCKOUT_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

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

/// Admin-login limits kept in this process: how many password hashes run at once, and how
/// many password checks one client IP gets per 15 minutes (the lockout window). The per-username lockout is
/// in the database and holds across instances; these are per instance.
pub struct AdminLoginLimits {
    hashing: Hashing,
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    checks: std::sync::atomic::AtomicU64,
}

impl AdminLoginLimits {
    pub fn new(settings: &Settings) -> Self {
        let per_ip = NonZeroU32::new(settings.admin_login_per_ip).unwrap_or(NonZeroU32::MIN);
        let window = LOCKOUT_WINDOW
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(900));
        // Refilled evenly: one more check every window / per_ip.
        let quota = Quota::with_period(window / per_ip.get())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(per_ip);
        Self {
            hashing: Hashing::new(
                settings.password_hashing_at_once,
                settings.password_hashing_wait,
            ),
            by_ip: RateLimiter::keyed(quota),
            checks: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Takes one attempt from the IP's allowance, or refuses with 429. Taken before anything
    /// else, so parallel guesses (or a flood holding a username's lockout) cannot outrun it; a
    /// correct password costs one too, and the allowance is sized for failures. IPv6 clients
    /// are counted by /64, which one subscriber usually holds whole.
    pub fn charge_ip(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(ip) = ip else { return Ok(()) };
        let ip = match ip {
            IpAddr::V6(v6) => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::from(segments)
            }
            v4 => v4,
        };
        // Forget idle clients now and then, so memory stays bounded by the active ones.
        let n = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % 1024 == 0 && self.by_ip.len() > 10_000 {
            self.by_ip.retain_recent();
        }
        self.by_ip.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    /// A password check under the hashing bound.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ApiError> {
        self.hashing.verify(password, stored).await
    }
}
