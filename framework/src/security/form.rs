//! The OAuth2 password form, and the auth service's failures as HTTP errors.

use std::fmt;

use apistos::ApiComponent;
use schemars::JsonSchema;
use serde::Deserialize;
use validator::Validate;

use crate::{HttpError, auth::AuthError};

/// The OAuth2 password-flow form (FastAPI's `OAuth2PasswordRequestForm`), read with
/// [`Form`](crate::Form): `username`, `password`, optional `grant_type` (`password`),
/// `scope` (space-separated), `client_id`, `client_secret`. `Debug` hides the secrets.
///
/// ```
/// use apiarist::{prelude::*, security::OAuth2PasswordForm};
///
/// /// Log in.
/// #[api_operation(summary = "Log in", error_code = 401)]
/// async fn token(form: Form<OAuth2PasswordForm>) -> Result<Json<String>, HttpError> {
///     Err(HttpError::unauthorized(format!("no such user {}", form.username)))
/// }
/// # let _ = Router::new().post("/token", token);
/// ```
#[derive(Clone, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct OAuth2PasswordForm {
    /// `password`, if sent.
    #[serde(default)]
    #[schemars(pattern("^password$"))]
    pub grant_type: Option<String>,
    /// The account's username.
    pub username: String,
    /// The account's password.
    pub password: String,
    /// Space-separated scopes requested.
    #[serde(default)]
    pub scope: String,
    /// OAuth2 client id.
    #[serde(default)]
    pub client_id: Option<String>,
    /// OAuth2 client secret.
    #[serde(default)]
    pub client_secret: Option<String>,
}

impl OAuth2PasswordForm {
    /// The requested scopes.
    pub fn scopes(&self) -> Vec<&str> {
        self.scope.split_whitespace().collect()
    }
}

impl fmt::Debug for OAuth2PasswordForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2PasswordForm")
            .field("grant_type", &self.grant_type)
            .field("username", &self.username)
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl From<AuthError> for HttpError {
    /// A login lockout is `429` with `Retry-After`; an unavailable auth actor `503`;
    /// anything else a logged `500`.
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Throttled(retry) => HttpError::new(429, retry.to_string())
                .with_header("retry-after", &retry.seconds().to_string()),
            AuthError::Unavailable => {
                tracing::warn!("auth service unavailable");
                HttpError::new(503, "Authentication service unavailable")
            }
            other => {
                tracing::error!(error = %other, "auth service error");
                HttpError::new(500, "Internal Server Error")
            }
        }
    }
}
