//! The failures of the auth core, one small enum per concern.
//!
//! Verification failures ([`TokenError`]) carry a `Display` text meant for the
//! `detail` of an HTTP 401; everything else is a configuration or service failure
//! that the HTTP layer logs and turns into a 500/503.

use std::time::Duration;

/// Why a bearer token was refused.
///
/// `Display` is short and safe to send to the client as a 401 `detail`; it says what
/// kind of problem the token has, never anything about the keys.
///
/// ```
/// use apiarist::auth::TokenError;
///
/// assert_eq!(TokenError::Expired.to_string(), "Token has expired");
/// assert_eq!(TokenError::BadSignature.to_string(), "Invalid token");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token's `exp` (plus the configured leeway) is in the past.
    #[error("Token has expired")]
    Expired,
    /// Not a JWT, or its header/claims do not decode to the expected shape.
    #[error("Invalid token")]
    Malformed,
    /// The signature does not match: tampered with, or signed by another key.
    #[error("Invalid token")]
    BadSignature,
    /// The header names an algorithm this key ring does not accept for that key
    /// (including `alg: none`, and HS256 where the key is RS256/EdDSA).
    #[error("Invalid token")]
    AlgorithmNotAllowed,
    /// No live key has the header's `kid` (never known, or retired after rotation),
    /// or the header has no `kid`.
    #[error("Invalid token")]
    UnknownKey,
}

impl TokenError {
    /// Whether the client should simply log in again (the token was valid once).
    ///
    /// ```
    /// assert!(apiarist::auth::TokenError::Expired.is_expired());
    /// ```
    pub fn is_expired(&self) -> bool {
        matches!(self, TokenError::Expired)
    }
}

/// Key material that cannot be used, or a rotation the key ring refuses.
///
/// ```
/// use apiarist::auth::{KeyError, SigningKey};
///
/// let err = SigningKey::hs256(b"short").unwrap_err();
/// assert!(matches!(err, KeyError::SecretTooShort { len: 5, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// An HS256 secret shorter than the 256 bits the algorithm needs.
    #[error("an HS256 secret must be at least {min} bytes long, got {len}")]
    SecretTooShort {
        /// Length given, in bytes.
        len: usize,
        /// Minimum length, in bytes.
        min: usize,
    },
    /// A PEM that does not parse, is of the wrong kind, or a private/public pair
    /// that does not match.
    #[error("invalid {algorithm} key: {reason}")]
    InvalidKey {
        /// The algorithm the key was meant for.
        algorithm: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The new key's `kid` is already live in the ring (tokens would be ambiguous).
    #[error("key id `{0}` is already in the key ring")]
    DuplicateKid(String),
}

/// A token the key ring refuses to sign.
///
/// ```
/// use apiarist::auth::IssueError;
///
/// let err = IssueError::InvalidScope("read items".into());
/// assert!(err.to_string().contains("read items"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The current key only has its public half (a verify-only service).
    #[error("the current key `{0}` has no private key and cannot sign")]
    CannotSign(String),
    /// The requested lifetime exceeds the ring's maximum, which bounds how long a
    /// rotated-out key must be kept.
    #[error("token lifetime of {requested}s exceeds the maximum of {max}s")]
    TtlTooLong {
        /// Requested lifetime, in seconds.
        requested: u64,
        /// The ring's maximum, in seconds.
        max: u64,
    },
    /// A scope that is empty or contains whitespace (scopes travel space-separated).
    #[error("invalid scope `{0}`: scopes must be non-empty and contain no whitespace")]
    InvalidScope(String),
    /// An extra claim that would overwrite a registered one (`sub`, `exp`, ...).
    #[error("extra claim `{0}` is reserved")]
    ReservedClaim(String),
    /// The crypto backend failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// A password could not be hashed.
///
/// ```
/// let err = apiarist::auth::PasswordError::TaskFailed;
/// assert_eq!(err.to_string(), "the password hashing task failed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Argon2 refused the input or the system RNG failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The blocking task panicked or the runtime is shutting down.
    #[error("the password hashing task failed")]
    TaskFailed,
}

/// Too many failed logins for this account from this client.
///
/// ```
/// use std::time::Duration;
/// use apiarist::auth::RetryAfter;
///
/// let r = RetryAfter(Duration::from_millis(1500));
/// assert_eq!(r.seconds(), 2); // rounded up, for a `Retry-After` header
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Too many failed login attempts; retry in {} seconds", self.seconds())]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds to wait, rounded up (at least 1): the `Retry-After` value.
    pub fn seconds(&self) -> u64 {
        let secs = self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// What an [`Auth`](super::Auth) call that goes through the actor can fail with.
///
/// ```
/// use std::time::Duration;
/// use apiarist::auth::{AuthError, RetryAfter};
///
/// let err = AuthError::from(RetryAfter(Duration::from_secs(60)));
/// assert!(matches!(err, AuthError::Throttled(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Login refused: answer 429 with `Retry-After`.
    #[error(transparent)]
    Throttled(#[from] RetryAfter),
    /// The token could not be issued.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// The key could not be rotated in.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The auth actor is gone, or panicked on this message (it is then restarted).
    #[error("the auth service is unavailable")]
    Unavailable,
}

impl From<actix::MailboxError> for AuthError {
    fn from(_: actix::MailboxError) -> Self {
        AuthError::Unavailable
    }
}
