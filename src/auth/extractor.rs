//! `Caller`: who is calling, with the roles they hold right now. Every handler that needs a
//! logged-in member takes one; the member and roles are read per request (one query), so a
//! revoked role or a deleted member stops at once, and no cache has to be invalidated.
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use entity::{member_roles, members};
use futures_util::future::LocalBoxFuture;
use sea_orm::{EntityTrait, QueryOrder};

use super::roles::{Role, RoleGrant, grant_of};
use super::scope::AdminScope;
use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::ApiError;
use crate::http::gate;

use super::tokens::TokenKeys;

/// What the extractors need, registered on its own as `web::Data<AuthContext>` (not the whole
/// `AppState`, which sits above this layer).
#[derive(Clone)]
pub struct AuthContext {
    pub db: Db,
    pub tokens: TokenKeys,
    pub clock: SharedClock,
}

fn context(req: &HttpRequest) -> Result<web::Data<AuthContext>, ApiError> {
    req.app_data::<web::Data<AuthContext>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AuthContext is not registered")))
}

#[derive(Clone)]
pub struct Caller {
    pub member_id: i64,
    pub roles: Vec<RoleGrant>,
    /// The member's row as read for this request: handlers that show it need not read it again.
    pub member: members::Model,
}

// The row holds the phone, real name and password hash: a debug print shows none of it.
impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("member_id", &self.member_id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl Caller {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|g| g.role == role)
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let decided = gate::close(req);
        let state = context(req);
        let token = bearer(req);
        Box::pin(async move {
            let _decided = decided;
            let state = state?;
            let token = token?;
            let member_id = state.tokens.verify_access(&token, state.clock.now())?;
            // The member with their roles, in one query. A deleted member's tokens die with them.
            let (member, rows) = members::Entity::find_by_id(member_id)
                .find_with_related(member_roles::Entity)
                .order_by_asc(member_roles::Column::Id)
                .all(state.db.conn())
                .await?
                .pop()
                .ok_or(ApiError::InvalidToken)?;
            let roles = rows.into_iter().filter_map(grant_of).collect();
            Ok(Caller {
                member_id,
                roles,
                member,
            })
        })
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::AuthRequired)?;
    let value = value.to_str().map_err(|_| ApiError::InvalidToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::InvalidToken);
    }
    Ok(token.trim().to_owned())
}

/// A caller holding an admin role, with the scope it gives. A caller without one is refused
/// with 403 before anything is looked up: their role can never do an admin operation.
#[derive(Debug, Clone)]
pub struct Admin {
    pub member_id: i64,
    pub scope: AdminScope,
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let decided = gate::close(req);
        let state = context(req);
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let _decided = decided;
            let caller = caller.await?;
            let state = state?;
            let scope = AdminScope::of(state.db.conn(), &caller.roles)
                .await?
                .ok_or(ApiError::Forbidden)?;
            Ok(Admin {
                member_id: caller.member_id,
                scope,
            })
        })
    }
}

/// A caller holding `platform_admin`, for the operations only platform admins do (sites,
/// routes, campaigns, point rules, and later the question bank, exams, articles and classes).
/// Anyone else is refused with 403 before the body is read.
#[derive(Debug, Clone)]
pub struct PlatformAdmin {
    pub member_id: i64,
}

impl FromRequest for PlatformAdmin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let decided = gate::close(req);
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let _decided = decided;
            let caller = caller.await?;
            if !caller.has_role(Role::PlatformAdmin) {
                return Err(ApiError::Forbidden);
            }
            Ok(PlatformAdmin {
                member_id: caller.member_id,
            })
        })
    }
}
