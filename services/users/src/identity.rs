//! Who is calling: the service's own dependencies, built on the framework's.
//!
//! ```text
//! BearerToken + State<Auth> -> Authenticated (framework: a valid token, its claims)
//! Authenticated + Db        -> CurrentUser   (this crate: the account, from the database)
//! CurrentUser               -> AdminUser     (this crate: ... and it is an administrator)
//! HttpRequest               -> ClientIp      (this crate: the peer's address, for throttling)
//! ```
//!
//! Handlers name what they need (`user: CurrentUser`, `admin: AdminUser`), and the
//! chain resolves once per request; each link documents its statuses and the
//! OAuth2 scheme on every route that uses it.

use std::ops::Deref;

use actix_web::HttpRequest;
use apiarist::{
    Dep, HttpError, Provide,
    db::Db,
    injectable,
    security::{Authenticated, Role},
};

use crate::models::{queries, user};

/// The `admin` role: what admin tokens carry in their `roles` claim.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl Role for Admin {
    const NAME: &'static str = "admin";
}

fn unauthorized(detail: &str) -> actix_web::Error {
    HttpError::unauthorized(detail.to_owned())
        .with_header("www-authenticate", "Bearer")
        .into()
}

/// The account of the request's bearer token, loaded from the database (FastAPI's
/// `get_current_user`).
///
/// A valid token whose account was deleted (or whose `sub` is not one of our ids) is
/// `401 {"detail": "Could not validate credentials"}`; a disabled account is
/// `401 {"detail": "Inactive user"}`; both with `WWW-Authenticate: Bearer`. A missing,
/// expired or forged token is the framework's 401 ([`Authenticated`]).
///
/// ```
/// use apiarist::prelude::*;
/// use shared_models::users::UserResponse;
/// use users::CurrentUser;
///
/// /// Who am I?
/// #[api_operation(summary = "Me")]
/// async fn me(user: CurrentUser) -> Json<UserResponse> {
///     Json(UserResponse::from(&*user))
/// }
/// # let _ = Router::new().get("/me", me);
/// ```
#[derive(Debug, Clone)]
pub struct CurrentUser(pub user::Model);

impl Deref for CurrentUser {
    type Target = user::Model;
    fn deref(&self) -> &user::Model {
        &self.0
    }
}

impl Provide for CurrentUser {
    type Needs = (Dep<Authenticated>, Db);
    const ERRORS: &'static [u16] = &[401];

    async fn provide((claims, db): Self::Needs) -> Result<Self, actix_web::Error> {
        // Tokens carry the account id (`sub`), which never changes and is never reused.
        let Ok(id) = claims.sub.parse::<i32>() else {
            return Err(unauthorized("Could not validate credentials"));
        };
        match queries::find_by_id(&*db, id)
            .await
            .map_err(HttpError::from)?
        {
            Some(user) if user.is_active => Ok(CurrentUser(user)),
            Some(_) => Err(unauthorized("Inactive user")),
            None => Err(unauthorized("Could not validate credentials")),
        }
    }
}
injectable!(CurrentUser);

/// The current user, who must be an administrator *now* (the database says so, not
/// only a token issued earlier): `403 {"detail": "Not enough permissions"}` otherwise.
#[derive(Debug, Clone)]
pub struct AdminUser(pub user::Model);

impl Deref for AdminUser {
    type Target = user::Model;
    fn deref(&self) -> &user::Model {
        &self.0
    }
}

impl Provide for AdminUser {
    type Needs = (CurrentUser,);
    const ERRORS: &'static [u16] = &[401, 403];

    async fn provide((user,): Self::Needs) -> Result<Self, actix_web::Error> {
        if user.is_admin {
            Ok(AdminUser(user.0))
        } else {
            Err(HttpError::forbidden("Not enough permissions").into())
        }
    }
}
injectable!(AdminUser);

/// The client's address, the second half of the login throttle's key.
///
/// It is the TCP peer, not `X-Forwarded-For` / `Forwarded`: those headers are
/// written by the client unless a trusted proxy overwrites them, and trusting them
/// would let an attacker pick a fresh "address" for every guess. Without a peer (an
/// in-process test request) it is `"unknown"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl Provide for ClientIp {
    type Needs = (HttpRequest,);

    async fn provide((req,): Self::Needs) -> Result<Self, actix_web::Error> {
        let ip = req
            .peer_addr()
            .map_or_else(|| "unknown".to_owned(), |addr| addr.ip().to_string());
        Ok(ClientIp(ip))
    }
}
injectable!(ClientIp);
