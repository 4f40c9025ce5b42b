//! The users service's contract: accounts (the seed article's `UserCreate` /
//! `UserResponse`), the OAuth2 token answer and the admin statistics.
//!
//! The stored row, with its password hash, is the users service's own type: nothing
//! here carries a hash, and the only types carrying a password are the ones a client
//! sends. Their `Debug` output hides it, so logging a request body cannot leak it.

use std::fmt;

use apistos::ApiComponent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// What a client sends to register an account.
#[derive(Clone, PartialEq, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct UserCreate {
    /// The login name, unique across the service.
    #[validate(length(min = 3, max = 50))]
    #[schemars(example = &"alice")]
    pub username: String,
    /// A contact address.
    #[validate(email)]
    #[schemars(example = &"alice@example.com")]
    pub email: String,
    /// The name to display, if any.
    #[serde(default)]
    pub full_name: Option<String>,
    /// The password, in clear over TLS; stored only as an Argon2id hash.
    #[validate(length(min = 8))]
    pub password: String,
}

impl fmt::Debug for UserCreate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCreate")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Changes to an account; absent (or `null`) fields stay as they are.
///
/// Users may change their own `email`, `full_name` and `password`; only an
/// administrator may change `is_active`, or another user's account.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct UserUpdate {
    /// A new contact address.
    #[validate(email)]
    #[serde(default)]
    pub email: Option<String>,
    /// A new display name.
    #[serde(default)]
    pub full_name: Option<String>,
    /// A new password.
    #[validate(length(min = 8))]
    #[serde(default)]
    pub password: Option<String>,
    /// Enables or disables the account (administrators only).
    #[serde(default)]
    pub is_active: Option<bool>,
}

impl fmt::Debug for UserUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserUpdate")
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// An account as the API returns it: never a password, never a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct UserResponse {
    /// The account's id.
    pub id: i64,
    /// The login name.
    pub username: String,
    /// The contact address.
    pub email: String,
    /// The display name, if any.
    pub full_name: Option<String>,
    /// Whether the account may log in.
    pub is_active: bool,
}

/// The answer of the OAuth2 password flow (`POST /token`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct Token {
    /// The signed access token, sent back as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `"bearer"`.
    pub token_type: String,
}

impl Token {
    /// A bearer token answer.
    pub fn bearer(access_token: String) -> Self {
        Self {
            access_token,
            token_type: "bearer".to_owned(),
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .finish()
    }
}

/// What `GET /admin/stats` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct AdminStats {
    /// Registered accounts.
    pub users: u64,
    /// Items in the catalogue (counted by the items service).
    pub items: u64,
}
