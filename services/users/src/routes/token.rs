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

use apiarist::{
    State,
    auth::{Auth, IssueToken, dummy_verify_async, verify_password_async},
    db::Db,
    prelude::*,
    security::OAuth2PasswordForm,
};
use shared_models::users::Token;

use crate::{identity::ClientIp, models::queries};

/// The one answer to every failed login.
fn incorrect_credentials() -> HttpError {
    HttpError::unauthorized("Incorrect username or password")
        .with_header("www-authenticate", "Bearer")
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
    form: Form<OAuth2PasswordForm>,
    client: ClientIp,
    auth: State<Auth>,
    db: Db,
) -> Result<Json<Token>, HttpError> {
    let OAuth2PasswordForm {
        username, password, ..
    } = form.into_inner();
    let account = username.to_lowercase();
    let ip = client.0;
    auth.check_login(&account, &ip)
        .await
        .map_err(HttpError::from)?;

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
                .map_err(HttpError::from)?;
            return Err(incorrect_credentials());
        }
    };
    auth.record_login_success(&account, &ip)
        .await
        .map_err(HttpError::from)?;

    let request = IssueToken {
        roles: user.roles(),
        ..IssueToken::new(user.id.to_string(), Vec::<String>::new())
    };
    let token = auth.issue_with(request).await.map_err(HttpError::from)?;
    Ok(Json(Token::bearer(token)))
}

/// `POST /token`, tagged `auth`.
pub fn router() -> Router {
    Router::new().tag("auth").post("/token", login)
}
