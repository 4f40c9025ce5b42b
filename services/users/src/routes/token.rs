//! `POST /token`: the OAuth2 password flow (FastAPI's `OAuth2PasswordRequestForm`),
//! the endpoint behind the docs' "Authorize" button.
//!
//! A login, step by step:
//!
//! 1. the throttle is asked first, keyed by the lowercased username and the client's
//!    address: a locked-out pair is `429` with `Retry-After`, and its password is not
//!    even checked;
//! 2. the password is verified against the stored hash, or, for an unknown username,
//!    against a dummy hash ([`dummy_verify_async`]), so both take as long and the
//!    response time does not reveal which usernames exist;
//! 3. a failure (unknown user, wrong password, disabled account) is one answer,
//!    `401 {"detail": "Incorrect username or password"}`, and counts towards the
//!    lockout; the failure that reaches the limit is already a `429`;
//! 4. a success clears the pair's failures and returns a token whose `sub` is the
//!    account id (stable across renames, never reused) and whose `roles` are
//!    `["admin"]` for administrators.
//!
//! Requested scopes (`scope`) are not granted: this service issues none.

use std::fmt;

use apiarist::{
    State,
    auth::{Auth, AuthError, IssueToken, dummy_verify_async, verify_password_async},
    db::Db,
    prelude::*,
};
use shared_models::users::Token;

use crate::{identity::ClientIp, models::queries};

/// The OAuth2 password form (`application/x-www-form-urlencoded`).
#[derive(Clone, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct TokenForm {
    /// `password`, if sent.
    #[serde(default)]
    #[schemars(pattern("^password$"))]
    pub grant_type: Option<String>,
    /// The account's username.
    pub username: String,
    /// The account's password.
    pub password: String,
    /// Space-separated scopes requested (none are granted).
    #[serde(default)]
    pub scope: String,
    /// OAuth2 client id (unused).
    #[serde(default)]
    pub client_id: Option<String>,
    /// OAuth2 client secret (unused).
    #[serde(default)]
    pub client_secret: Option<String>,
}

impl fmt::Debug for TokenForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenForm")
            .field("grant_type", &self.grant_type)
            .field("username", &self.username)
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The one answer to every failed login.
fn incorrect_credentials() -> HttpError {
    HttpError::unauthorized("Incorrect username or password")
        .with_header("www-authenticate", "Bearer")
}

/// The auth service's failures as HTTP: a lockout is `429` with `Retry-After`.
fn auth_error(err: AuthError) -> HttpError {
    match err {
        AuthError::Throttled(retry) => HttpError::new(429, retry.to_string())
            .with_header("retry-after", &retry.seconds().to_string()),
        AuthError::Unavailable => {
            tracing::warn!("auth service unavailable");
            HttpError::new(503, "Authentication service unavailable")
        }
        other => {
            tracing::error!(error = %other, "issuing a token failed");
            HttpError::new(500, "Internal Server Error")
        }
    }
}

/// Log in for an access token.
///
/// The OAuth2 password flow: send `username` and `password` as a form, get a bearer
/// token. Repeated failures for one username from one client lock it out for a
/// while (`429` with `Retry-After`).
#[api_operation(
    summary = "Log in for an access token",
    error_code = 401,
    error_code = 429,
    error_code = 503
)]
pub async fn login(
    form: Form<TokenForm>,
    client: ClientIp,
    auth: State<Auth>,
    db: Db,
) -> Result<Json<Token>, HttpError> {
    let TokenForm {
        username, password, ..
    } = form.into_inner();
    let account = username.to_lowercase();
    let ip = client.0;
    auth.check_login(&account, &ip).await.map_err(auth_error)?;

    let found = queries::find_by_username(&*db, &username).await?;
    let verified = match &found {
        Some(user) => verify_password_async(password, user.hashed_password.clone()).await,
        None => dummy_verify_async(password).await,
    };
    let user = match found {
        Some(user) if verified && user.is_active => user,
        _ => {
            auth.record_login_failure(&account, &ip)
                .await
                .map_err(auth_error)?;
            return Err(incorrect_credentials());
        }
    };
    auth.record_login_success(&account, &ip)
        .await
        .map_err(auth_error)?;

    let request = IssueToken {
        roles: user.roles(),
        ..IssueToken::new(user.id.to_string(), Vec::<String>::new())
    };
    let token = auth.issue_with(request).await.map_err(auth_error)?;
    Ok(Json(Token::bearer(token)))
}

/// `POST /token`, tagged `auth`.
pub fn router() -> Router {
    Router::new().tag("auth").post("/token", login)
}
