//! Authentication core: password hashing, signed access tokens with key rotation,
//! login throttling, and the supervised actor that owns them.
//!
//! This module knows nothing about HTTP; the extractors and routes built on it turn
//! [`TokenError`] into a 401, [`AuthError::Throttled`] into a 429 with
//! `Retry-After`, and [`AuthError::Unavailable`] into a 503.
//!
//! | piece | what it does |
//! | --- | --- |
//! | [`hash_password`], [`verify_password`] (+ `_async`) | Argon2id, PHC strings |
//! | [`SigningKey`], [`KeyRing`], [`Claims`] | JWTs (HS256, RS256, EdDSA) with `kid` rotation |
//! | [`LoginThrottle`] | lockout after repeated failures per (account, IP) |
//! | [`AuthSettings`] | the `JWT_*`, `ACCESS_TOKEN_*`, `LOGIN_*`, `ADMIN_*` variables |
//! | [`AuthActor`], [`Auth`] | the supervised owner of the above, and its handle |
//!
//! A login, end to end:
//!
//! ```
//! use apiarist::auth::{self, Auth, AuthSettings};
//!
//! # actix_rt::System::new().block_on(async {
//! let settings = AuthSettings::from_env().unwrap(); // JWT_SECRET etc.
//! let auth = Auth::from_settings(&settings);
//! let stored_hash = auth::hash_password_async("s3cret".into()).await.unwrap();
//!
//! let (account, ip, password) = ("alice", "203.0.113.7", "s3cret");
//! auth.check_login(account, ip).await.unwrap(); // Err(Throttled) -> 429
//! if auth::verify_password_async(password.into(), stored_hash).await {
//!     auth.record_login_success(account, ip).await.unwrap();
//!     let token = auth.issue(account, ["items:read"]).await.unwrap();
//!     // ... later, on each request with `Authorization: Bearer <token>`:
//!     let claims = auth.verify(&token).unwrap(); // Err(TokenError) -> 401
//!     assert!(claims.has_scopes(&["items:read"]));
//! } else {
//!     let _ = auth.record_login_failure(account, ip).await; // may lock the pair out
//! }
//! # });
//! ```

mod actor;
mod claims;
mod error;
mod handle;
mod keyring;
mod keys;
mod password;
mod settings;
mod throttle;

pub use actor::{
    AuthActor, CheckLogin, Guarded, IssueToken, RecordLoginFailure, RecordLoginSuccess, RotateKey,
    VerifyToken,
};
pub use claims::Claims;
pub use error::{AuthError, IssueError, KeyError, PasswordError, RetryAfter, TokenError};
pub use handle::Auth;
pub use keyring::{KeyRing, TokenConfig, unix_now};
pub use keys::{JwtAlgorithm, MIN_SECRET_LEN, SigningKey};
pub use password::{
    dummy_verify, dummy_verify_async, hash_password, hash_password_async, needs_rehash,
    verify_password, verify_password_async,
};
pub use settings::{AdminCredentials, AuthConfigError, AuthSettings};
pub use throttle::{LoginThrottle, ThrottleConfig};
