//! [`AuthSettings`]: the auth core's configuration, read from the environment with
//! [`crate::settings::from_env`] and checked at startup. Every error names its
//! variable.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `JWT_ALGORITHM` | `HS256` | `HS256`, `RS256` or `EdDSA` |
//! | `JWT_SECRET` | random, with a warning | HS256 secret, at least 32 bytes |
//! | `JWT_PRIVATE_KEY` | none (verify only) | RS256/EdDSA private key: PEM text or a file path |
//! | `JWT_PUBLIC_KEY` | required for RS256/EdDSA | public key: PEM text or a file path |
//! | `JWT_KEY_ID` | key fingerprint | `kid` written into token headers |
//! | `JWT_LEEWAY_SECONDS` | 30 | clock skew tolerated on `exp` |
//! | `ACCESS_TOKEN_TTL_SECONDS` | 1800 | default token lifetime |
//! | `ACCESS_TOKEN_MAX_TTL_SECONDS` | the TTL | longest lifetime; how long a rotated-out key verifies |
//! | `LOGIN_MAX_FAILURES` | 5 | failures that lock out an (account, IP) pair |
//! | `LOGIN_WINDOW_SECONDS` | 900 | how far back failures count |
//! | `LOGIN_LOCKOUT_SECONDS` | the window | how long a lockout lasts |
//! | `ADMIN_USERNAME`, `ADMIN_PASSWORD` | none | both or neither; exposed, no user is created |

use std::{fmt, time::Duration};

use serde::{Deserialize, Deserializer, de};

use super::{
    keyring::{KeyRing, TokenConfig},
    keys::{JwtAlgorithm, MIN_SECRET_LEN, SigningKey},
    throttle::{LoginThrottle, ThrottleConfig},
};
use crate::settings::SettingsError;

/// A configuration variable that is missing, malformed or inconsistent.
///
/// ```
/// let err = apiarist::auth::AuthConfigError::Invalid {
///     var: "JWT_ALGORITHM",
///     reason: "unsupported algorithm `XS1`".into(),
/// };
/// assert!(err.to_string().starts_with("environment variable JWT_ALGORITHM is invalid"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthConfigError {
    /// A variable does not parse (its message names it).
    #[error(transparent)]
    Env(#[from] SettingsError),
    /// A variable parses but its value cannot be used.
    #[error("environment variable {var} is invalid: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Why.
        reason: String,
    },
    /// A variable another one requires is not set.
    #[error("environment variable {var} is required when {reason}")]
    Missing {
        /// The variable.
        var: &'static str,
        /// What requires it.
        reason: String,
    },
}

/// The bootstrap administrator's credentials (`ADMIN_USERNAME`/`ADMIN_PASSWORD`).
/// The caller decides what to do with them; `Debug` hides the password.
///
/// ```
/// let admin = apiarist::auth::AdminCredentials { username: "root".into(), password: "pw".into() };
/// assert!(!format!("{admin:?}").contains("pw"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AdminCredentials {
    /// `ADMIN_USERNAME`.
    pub username: String,
    /// `ADMIN_PASSWORD`, in clear: hash it before storing.
    pub password: String,
}

impl fmt::Debug for AdminCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Everything the auth core needs, validated.
///
/// ```no_run
/// let settings = apiarist::auth::AuthSettings::from_env()?;
/// let ring = settings.key_ring();
/// # Ok::<(), apiarist::auth::AuthConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The signing (or, without a private key, verify-only) key.
    pub key: SigningKey,
    /// Token lifetimes and leeway.
    pub tokens: TokenConfig,
    /// Login throttling limits.
    pub throttle: ThrottleConfig,
    /// The bootstrap administrator, if configured.
    pub admin: Option<AdminCredentials>,
    /// Whether `JWT_SECRET` was missing and a random one was generated.
    pub ephemeral_secret: bool,
}

/// The variables as read; field `x` is variable `X`.
#[derive(Debug, Default, Deserialize)]
struct Raw {
    #[serde(default, deserialize_with = "text")]
    jwt_algorithm: Option<String>,
    #[serde(default, deserialize_with = "text")]
    jwt_secret: Option<String>,
    #[serde(default, deserialize_with = "text")]
    jwt_private_key: Option<String>,
    #[serde(default, deserialize_with = "text")]
    jwt_public_key: Option<String>,
    #[serde(default, deserialize_with = "text")]
    jwt_key_id: Option<String>,
    jwt_leeway_seconds: Option<u64>,
    access_token_ttl_seconds: Option<u64>,
    access_token_max_ttl_seconds: Option<u64>,
    login_max_failures: Option<u32>,
    login_window_seconds: Option<u64>,
    login_lockout_seconds: Option<u64>,
    #[serde(default, deserialize_with = "text")]
    admin_username: Option<String>,
    #[serde(default, deserialize_with = "text")]
    admin_password: Option<String>,
}

impl AuthSettings {
    /// Reads and checks the variables in the table of the [module docs](self).
    /// Without `JWT_SECRET` (and with HS256) a random secret is generated and a
    /// warning logged: tokens then die with the process and no other instance
    /// accepts them.
    pub fn from_env() -> Result<Self, AuthConfigError> {
        Self::from_raw(crate::settings::from_env::<Raw>()?)
    }

    /// A key ring holding [`key`](Self::key), with [`tokens`](Self::tokens).
    pub fn key_ring(&self) -> KeyRing {
        KeyRing::new(self.key.clone(), self.tokens)
    }

    /// An empty throttle with [`throttle`](Self::throttle).
    pub fn login_throttle(&self) -> LoginThrottle {
        LoginThrottle::new(self.throttle)
    }

    fn from_raw(raw: Raw) -> Result<Self, AuthConfigError> {
        let algorithm = match &raw.jwt_algorithm {
            Some(name) => name
                .parse::<JwtAlgorithm>()
                .map_err(|reason| invalid("JWT_ALGORITHM", reason))?,
            None => JwtAlgorithm::Hs256,
        };
        let (key, ephemeral_secret) = signing_key(algorithm, &raw)?;
        let key = match raw.jwt_key_id {
            Some(kid) => key.with_kid(kid),
            None => key,
        };
        let ttl = positive(
            "ACCESS_TOKEN_TTL_SECONDS",
            raw.access_token_ttl_seconds,
            1800,
        )?;
        let max_ttl = raw.access_token_max_ttl_seconds.unwrap_or(ttl);
        if max_ttl < ttl {
            return Err(invalid(
                "ACCESS_TOKEN_MAX_TTL_SECONDS",
                format!("{max_ttl} is below ACCESS_TOKEN_TTL_SECONDS ({ttl})"),
            ));
        }
        let window = positive("LOGIN_WINDOW_SECONDS", raw.login_window_seconds, 900)?;
        let max_failures = positive(
            "LOGIN_MAX_FAILURES",
            raw.login_max_failures.map(u64::from),
            5,
        )?;
        let throttle = ThrottleConfig {
            max_failures: u32::try_from(max_failures).unwrap_or(u32::MAX),
            window: Duration::from_secs(window),
            lockout: Duration::from_secs(raw.login_lockout_seconds.unwrap_or(window)),
            ..ThrottleConfig::default()
        };
        let admin = match (raw.admin_username, raw.admin_password) {
            (Some(username), Some(password)) => Some(AdminCredentials { username, password }),
            (None, None) => None,
            (Some(_), None) => return Err(missing("ADMIN_PASSWORD", "ADMIN_USERNAME is set")),
            (None, Some(_)) => return Err(missing("ADMIN_USERNAME", "ADMIN_PASSWORD is set")),
        };
        Ok(AuthSettings {
            key,
            tokens: TokenConfig {
                default_ttl: Duration::from_secs(ttl),
                max_ttl: Duration::from_secs(max_ttl),
                leeway: Duration::from_secs(raw.jwt_leeway_seconds.unwrap_or(30)),
            },
            throttle,
            admin,
            ephemeral_secret,
        })
    }
}

fn signing_key(algorithm: JwtAlgorithm, raw: &Raw) -> Result<(SigningKey, bool), AuthConfigError> {
    if algorithm == JwtAlgorithm::Hs256 {
        for (var, value) in [
            ("JWT_PRIVATE_KEY", &raw.jwt_private_key),
            ("JWT_PUBLIC_KEY", &raw.jwt_public_key),
        ] {
            if value.is_some() {
                return Err(invalid(
                    var,
                    "only used with JWT_ALGORITHM=RS256 or EdDSA, not HS256",
                ));
            }
        }
        return match &raw.jwt_secret {
            Some(secret) => SigningKey::hs256(secret.as_bytes())
                .map(|key| (key, false))
                .map_err(|e| invalid("JWT_SECRET", e.to_string())),
            None => {
                let mut secret = [0u8; MIN_SECRET_LEN];
                getrandom::fill(&mut secret).map_err(|e| {
                    invalid(
                        "JWT_SECRET",
                        format!("not set, and no random secret could be made: {e}"),
                    )
                })?;
                tracing::warn!(
                    "JWT_SECRET is not set: signing tokens with a random secret. Tokens will not \
                     survive a restart and will not be accepted by other instances or services."
                );
                let key =
                    SigningKey::hs256(&secret).map_err(|e| invalid("JWT_SECRET", e.to_string()))?;
                Ok((key, true))
            }
        };
    }
    if raw.jwt_secret.is_some() {
        return Err(invalid(
            "JWT_SECRET",
            format!(
                "not used with JWT_ALGORITHM={algorithm}; set JWT_PRIVATE_KEY and JWT_PUBLIC_KEY"
            ),
        ));
    }
    let public = match &raw.jwt_public_key {
        Some(value) => pem("JWT_PUBLIC_KEY", value)?,
        None => {
            return Err(missing(
                "JWT_PUBLIC_KEY",
                format!("JWT_ALGORITHM is {algorithm}"),
            ));
        }
    };
    let verifier = SigningKey::public_pem(algorithm, &public)
        .map_err(|e| invalid("JWT_PUBLIC_KEY", e.to_string()))?;
    let Some(private) = &raw.jwt_private_key else {
        tracing::info!(
            kid = verifier.kid(),
            "JWT_PRIVATE_KEY is not set: this service verifies tokens but cannot issue them"
        );
        return Ok((verifier, false));
    };
    let private = pem("JWT_PRIVATE_KEY", private)?;
    let pair = match algorithm {
        JwtAlgorithm::Rs256 => SigningKey::rs256_pem(&private, &public),
        _ => SigningKey::ed25519_pem(&private, &public),
    };
    pair.map(|key| (key, false))
        .map_err(|e| invalid("JWT_PRIVATE_KEY", e.to_string()))
}

/// PEM text as given, or the contents of the file it names. Literal `\n` in
/// one-line PEM text (as container env files often carry it) become newlines.
fn pem(var: &'static str, value: &str) -> Result<Vec<u8>, AuthConfigError> {
    let trimmed = value.trim();
    if trimmed.starts_with("-----BEGIN") {
        return Ok(if trimmed.contains('\n') {
            trimmed.to_owned()
        } else {
            trimmed.replace("\\n", "\n")
        }
        .into_bytes());
    }
    std::fs::read(trimmed).map_err(|e| {
        invalid(
            var,
            format!("neither PEM text nor a readable file `{trimmed}`: {e}"),
        )
    })
}

fn positive(var: &'static str, value: Option<u64>, default: u64) -> Result<u64, AuthConfigError> {
    match value.unwrap_or(default) {
        0 => Err(invalid(var, "must be greater than 0")),
        n => Ok(n),
    }
}

fn invalid(var: &'static str, reason: impl Into<String>) -> AuthConfigError {
    AuthConfigError::Invalid {
        var,
        reason: reason.into(),
    }
}

fn missing(var: &'static str, reason: impl Into<String>) -> AuthConfigError {
    AuthConfigError::Missing {
        var,
        reason: reason.into(),
    }
}

/// An optional text variable. The environment parser turns `1234` into a number and
/// `true` into a bool; a secret or password may legitimately look like either, so
/// both are taken back as text. An empty value counts as unset.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct Text;
    impl de::Visitor<'_> for Text {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("text")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok((!v.is_empty()).then(|| v.to_owned()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(Text)
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
