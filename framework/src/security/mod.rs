//! Security on the HTTP side: credentials as extractors, identity as dependencies.
//!
//! The [`auth`](crate::auth) module owns keys, tokens, password hashes and login
//! throttling (behind the `AuthActor`). This module reads credentials from requests
//! and turns them into FastAPI's security contract:
//!
//! - [`BearerToken`], [`BasicCredentials`] and [`ApiKey`] read a credential (header,
//!   query or cookie) and document their security scheme, so Swagger UI shows its
//!   "Authorize" button; a missing one is `401 {"detail": "Not authenticated"}` with
//!   the matching `WWW-Authenticate` challenge.
//! - [`Authenticated`] verifies a bearer token with the app's [`Auth`](crate::auth::Auth)
//!   state: expired, tampered, `alg: none` and wrong-key tokens are 401s.
//! - [`RequireScopes`] and [`RequireRole`] check what a valid token grants: 403 when
//!   it is not enough. Put them on a router with
//!   [`Router::depends`](crate::Router::depends) to protect every route of it.

mod credentials;
mod form;
mod identity;

pub use credentials::{ApiKey, ApiKeySource, BasicCredentials, BearerToken, KeyLocation};
pub use form::OAuth2PasswordForm;
pub use identity::{AdminRole, Authenticated, RequireRole, RequireScopes, Role, Scopes};

use actix_web::http::header::WWW_AUTHENTICATE;

use crate::HttpError;

/// The name under which the OAuth2 password flow is documented.
pub const OAUTH2_SCHEME: &str = "OAuth2PasswordBearer";

/// Where the OAuth2 password flow's token endpoint is (documented for the Authorize
/// button of the docs pages).
pub const TOKEN_URL: &str = "/token";

/// `401` with a `WWW-Authenticate` challenge.
pub(crate) fn unauthorized(detail: &str, challenge: &str) -> HttpError {
    HttpError::unauthorized(detail.to_owned()).with_header(WWW_AUTHENTICATE.as_str(), challenge)
}
