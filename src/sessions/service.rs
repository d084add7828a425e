//! Login, token rotation and admin accounts.
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use entity::{login_failures, member_roles, members, refresh_tokens};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder,
};
use sha2::Digest;

use crate::auth::roles::{Role, RoleGrant};
use crate::db::{Db, insert_unless_duplicate};
use crate::error::{ApiError, FieldIssue};
use crate::members::dto::Member;
use crate::members::service as members_service;
use crate::wechat::WechatClient;

use super::dto::TokenPair;
use crate::auth::password::{self, AdminLoginLimits, LOCKOUT_FAILURES, LOCKOUT_WINDOW};
use crate::auth::tokens::{Token, TokenKeys, hash_refresh_token, new_refresh_token};

/// Signs a member in with a `wx.login` code, creating the member on first login.
pub async fn wechat_login(
    db: &Db,
    wechat: &WechatClient,
    keys: &TokenKeys,
    code: &str,
    now: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    let session = wechat.code_to_session(code).await?;
    let identity = Identity {
        openid: &session.openid,
        unionid: session.unionid.as_deref(),
        nickname: None,
    };
    sign_in(db, keys, identity, now).await
}

/// Signs in as any openid without WeChat. Only reachable when dev login is enabled.
pub async fn dev_login(
    db: &Db,
    keys: &TokenKeys,
    openid: &str,
    nickname: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    let identity = Identity {
        openid,
        unionid: None,
        nickname,
    };
    sign_in(db, keys, identity, now).await
}

async fn sign_in(
    db: &Db,
    keys: &TokenKeys,
    who: Identity<'_>,
    now: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    let who = &who;
    db.write(|tx| async move {
        let member = upsert_wechat_member(&tx, who, now).await?;
        issue(&tx, keys, member.id, now).await
    })
    .await
}

struct Identity<'a> {
    openid: &'a str,
    unionid: Option<&'a str>,
    /// Used only when the member is created.
    nickname: Option<&'a str>,
}

/// The member with this openid, created if new. Two first logins racing end with one member:
/// the unique openid decides, and the loser updates the winner's row.
async fn upsert_wechat_member(
    tx: &DatabaseTransaction,
    who: &Identity<'_>,
    now: DateTime<Utc>,
) -> Result<members::Model, ApiError> {
    if let Some(existing) = find_by_openid(tx, who.openid).await? {
        return touch(tx, existing, who, now).await;
    }
    let row = members::ActiveModel {
        openid: Set(Some(who.openid.to_owned())),
        unionid: Set(who.unionid.map(str::to_owned)),
        nickname: Set(who.nickname.map(|n| n.trim().to_owned())),
        is_mobile_member: Set(false),
        last_login_at: Set(Some(now.into())),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    };
    match insert_unless_duplicate(tx, row).await? {
        Some(created) => Ok(created),
        None => {
            let winner = find_by_openid(tx, who.openid)
                .await?
                .ok_or_else(|| anyhow::anyhow!("openid conflicted but no member has it"))?;
            touch(tx, winner, who, now).await
        }
    }
}

async fn find_by_openid(
    conn: &impl ConnectionTrait,
    openid: &str,
) -> Result<Option<members::Model>, ApiError> {
    Ok(members::Entity::find()
        .filter(members::Column::Openid.eq(openid))
        .one(conn)
        .await?)
}

/// Records a repeat login, and a unionid if WeChat now reports one. WeChat's `session_key` is
/// not kept: nothing here decrypts WeChat data with it.
async fn touch(
    tx: &DatabaseTransaction,
    member: members::Model,
    who: &Identity<'_>,
    now: DateTime<Utc>,
) -> Result<members::Model, ApiError> {
    let mut row: members::ActiveModel = member.into();
    if let Some(unionid) = who.unionid {
        row.unionid = Set(Some(unionid.to_owned()));
    }
    row.last_login_at = Set(Some(now.into()));
    Ok(row.update(tx).await?)
}

/// A new access token and a new stored refresh token for `member_id`.
async fn issue(
    tx: &DatabaseTransaction,
    keys: &TokenKeys,
    member_id: i64,
    now: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    let access_token = keys.issue_access(member_id, now)?;
    let refresh_token = new_refresh_token();
    let refresh_ttl = Duration::from_std(keys.refresh_ttl).map_err(anyhow::Error::from)?;
    refresh_tokens::ActiveModel {
        member_id: Set(member_id),
        token_hash: Set(hash_refresh_token(&refresh_token)),
        expires_at: Set((now + refresh_ttl).into()),
        revoked_at: Set(None),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(TokenPair {
        access_token: Token::new(access_token),
        refresh_token: Token::new(refresh_token),
        token_type: "Bearer",
        expires_in: keys.access_ttl.as_secs(),
        refresh_expires_in: keys.refresh_ttl.as_secs(),
        member: members_service::view(tx, member_id).await?,
    })
}

/// Trades a refresh token for a new pair. The used token stops working: of two concurrent
/// refreshes with one token, exactly one wins (the conditional UPDATE decides).
pub async fn refresh(
    db: &Db,
    keys: &TokenKeys,
    token: &str,
    now: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    let hash = hash_refresh_token(token);
    let hash = &hash;
    db.write(|tx| async move {
        let revoked = refresh_tokens::Entity::update_many()
            .col_expr(
                refresh_tokens::Column::RevokedAt,
                Expr::value(entity::time::UtcTime::from(now)),
            )
            .filter(refresh_tokens::Column::TokenHash.eq(hash))
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .filter(refresh_tokens::Column::ExpiresAt.gt(now))
            .exec(tx.as_ref())
            .await?;
        if revoked.rows_affected != 1 {
            return Err(ApiError::InvalidToken);
        }
        let row = refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::TokenHash.eq(hash))
            .one(tx.as_ref())
            .await?
            .ok_or(ApiError::InvalidToken)?;
        issue(&tx, keys, row.member_id, now).await
    })
    .await
}

/// Revokes a refresh token. Unknown or already revoked tokens are fine: logging out twice is
/// still logged out.
pub async fn logout(db: &Db, token: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let hash = &hash_refresh_token(token);
    db.write(|tx| async move {
        refresh_tokens::Entity::update_many()
            .col_expr(
                refresh_tokens::Column::RevokedAt,
                Expr::value(entity::time::UtcTime::from(now)),
            )
            .filter(refresh_tokens::Column::TokenHash.eq(hash.as_str()))
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(tx.as_ref())
            .await?;
        Ok(())
    })
    .await
}

fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Signs an admin account in by username and password. After [`LOCKOUT_FAILURES`] failures
/// within [`LOCKOUT_WINDOW`] the username answers 429 until enough of them have aged out,
/// whatever the password; the failures live in the database, so every instance sees them. Each
/// client IP also has an allowance of password checks ([`AdminLoginLimits`]).
pub async fn admin_login(
    db: &Db,
    keys: &TokenKeys,
    limits: &AdminLoginLimits,
    client_ip: Option<IpAddr>,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    let username = normalize_username(username);
    let username = &username;
    let since = now - LOCKOUT_WINDOW;
    limits.charge_ip(client_ip)?;
    // The attempt is committed as a failure before anything is decided, so that N parallel
    // guesses are N rows: the k-th to commit counts at least k, and at most LOCKOUT_FAILURES
    // of them reach the password check. A success clears them all.
    let attempt = db
        .write(|tx| async move {
            login_failures::Entity::delete_many()
                .filter(login_failures::Column::Username.eq(username))
                .filter(login_failures::Column::FailedAt.lte(since))
                .exec(tx.as_ref())
                .await?;
            Ok(login_failures::ActiveModel {
                username: Set(username.clone()),
                failed_at: Set(now.into()),
                ..Default::default()
            }
            .insert(tx.as_ref())
            .await?)
        })
        .await?;
    // An attempt refused before its password was checked is no failure: it must not extend
    // the lockout.
    let withdraw = || {
        db.write(|tx| async move {
            login_failures::Entity::delete_by_id(attempt.id)
                .exec(tx.as_ref())
                .await?;
            Ok(())
        })
    };
    let others: Vec<login_failures::Model> = login_failures::Entity::find()
        .filter(login_failures::Column::Username.eq(username))
        .filter(login_failures::Column::FailedAt.gt(since))
        .filter(login_failures::Column::Id.ne(attempt.id))
        .order_by_asc(login_failures::Column::FailedAt)
        .all(db.conn())
        .await?;
    if others.len() >= LOCKOUT_FAILURES {
        withdraw().await?;
        // Unlocked once enough of the failures have aged out of the window.
        let unlock_at = *others[others.len() - LOCKOUT_FAILURES].failed_at + LOCKOUT_WINDOW;
        let wait_ms = (unlock_at - now).num_milliseconds().max(1000);
        return Err(ApiError::RateLimited {
            retry_after_secs: (wait_ms as u64).div_ceil(1000),
        });
    }
    let member = members::Entity::find()
        .filter(members::Column::Username.eq(username))
        .one(db.conn())
        .await?;
    let stored = member.as_ref().and_then(|m| m.password_hash.clone());
    let ok = match limits.verify(password.to_owned(), stored).await {
        Ok(ok) => ok,
        Err(busy) => {
            withdraw().await?;
            return Err(busy);
        }
    };
    let Some(member) = member.filter(|_| ok) else {
        log_failure(username, client_ip);
        return Err(ApiError::BadCredentials);
    };

    let member = &member;
    db.write(|tx| async move {
        login_failures::Entity::delete_many()
            .filter(login_failures::Column::Username.eq(username))
            .exec(tx.as_ref())
            .await?;
        let mut row: members::ActiveModel = member.clone().into();
        row.last_login_at = Set(Some(now.into()));
        row.update(tx.as_ref()).await?;
        issue(&tx, keys, member.id, now).await
    })
    .await
}

/// Logs a failed admin login without recording a password typed into the username field:
/// a name that is not a valid username is logged as its length and a hash prefix only.
fn log_failure(username: &str, client_ip: Option<IpAddr>) {
    let ip = client_ip.map(|ip| ip.to_string()).unwrap_or_default();
    if is_valid_username(username) {
        tracing::info!(username = %username, client_ip = %ip, "admin login failed");
    } else {
        let digest = hex::encode(sha2::Sha256::digest(username.as_bytes()));
        tracing::info!(
            username_len = username.chars().count(),
            username_sha256 = &digest[..8],
            client_ip = %ip,
            "admin login failed"
        );
    }
}

fn is_valid_username(username: &str) -> bool {
    (3..=32).contains(&username.chars().count())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// Creates a platform admin account. For `redtrail admin create`.
pub async fn create_platform_admin(
    db: &Db,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Member, ApiError> {
    let grant = RoleGrant {
        role: Role::PlatformAdmin,
        org_id: None,
    };
    create_admin_account(db, username, password, grant, now).await
}

/// Creates an admin account (username and password instead of an openid) holding `grant`.
pub async fn create_admin_account(
    db: &Db,
    username: &str,
    password: &str,
    grant: RoleGrant,
    now: DateTime<Utc>,
) -> Result<Member, ApiError> {
    let username = normalize_username(username);
    if !is_valid_username(&username) {
        return Err(ApiError::field(
            "username",
            FieldIssue::new("username").with("min", 3).with("max", 32),
        ));
    }
    if password.chars().count() < 10 {
        return Err(ApiError::field(
            "password",
            FieldIssue::new("length").with("min", 10),
        ));
    }
    let hash = password::hash_blocking(password.to_owned()).await?;
    let (username, hash, grant) = (&username, &hash, &grant);
    db.write(|tx| async move {
        let row = members::ActiveModel {
            username: Set(Some(username.clone())),
            password_hash: Set(Some(hash.clone())),
            nickname: Set(Some(username.clone())),
            is_mobile_member: Set(false),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        };
        let member = insert_unless_duplicate(&tx, row)
            .await?
            .ok_or(ApiError::Conflict)?;
        member_roles::ActiveModel {
            member_id: Set(member.id),
            role: Set(grant.role.as_str().to_owned()),
            org_id: Set(grant.org_id),
            created_at: Set(now.into()),
            ..Default::default()
        }
        .insert(tx.as_ref())
        .await?;
        members_service::view(tx.as_ref(), member.id).await
    })
    .await
}
