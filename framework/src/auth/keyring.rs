//! The key ring: one current signing key plus rotated-out keys that keep verifying
//! until every token they signed has expired.
//!
//! Rotation without downtime: [`KeyRing::rotate`] makes the new key current (new
//! tokens carry its `kid`) and keeps the old one for verification only, for the
//! longest lifetime a token may have plus the leeway. After that the old key is
//! dropped and its tokens, all expired by then, fail as [`TokenError::UnknownKey`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Header, Validation, errors::ErrorKind};

use super::{
    claims::Claims,
    error::{IssueError, KeyError, TokenError},
    keys::{JwtAlgorithm, SigningKey},
};

/// Tokens longer than this are refused before any parsing (cheap DoS guard).
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Lifetimes and clock tolerance of the tokens a [`KeyRing`] issues and accepts.
///
/// ```
/// use std::time::Duration;
/// use apiarist::auth::TokenConfig;
///
/// let config = TokenConfig::default();
/// assert_eq!(config.default_ttl, Duration::from_secs(1800));
/// assert_eq!(config.max_ttl, config.default_ttl);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenConfig {
    /// Lifetime of a token issued without an explicit one (default 30 minutes).
    pub default_ttl: Duration,
    /// Longest lifetime a token may be issued with; also how long a rotated-out key
    /// keeps verifying (default: `default_ttl`).
    pub max_ttl: Duration,
    /// Clock skew tolerated when checking `exp` (default 30 seconds).
    pub leeway: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            default_ttl: Duration::from_secs(1800),
            max_ttl: Duration::from_secs(1800),
            leeway: Duration::from_secs(30),
        }
    }
}

/// Seconds since the Unix epoch, the time base of JWT claims.
///
/// ```
/// assert!(apiarist::auth::unix_now() > 1_700_000_000);
/// ```
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Debug, Clone)]
struct Retired {
    key: SigningKey,
    /// Unix second from which the key no longer verifies.
    until: u64,
}

/// Signs tokens with the current key and verifies them against every live key.
///
/// Methods without a time argument use the system clock; the `_at` variants take
/// Unix seconds, for tests and for callers that batch.
///
/// ```
/// use apiarist::auth::{KeyRing, SigningKey, TokenConfig, TokenError};
///
/// let mut ring = KeyRing::new(SigningKey::hs256(&[1; 32]).unwrap(), TokenConfig::default());
/// let old = ring.issue("alice", ["items:read"], None).unwrap();
///
/// ring.rotate(SigningKey::hs256(&[2; 32]).unwrap()).unwrap();
/// let new = ring.issue("alice", ["items:read"], None).unwrap();
/// assert_eq!(ring.verify(&old).unwrap().sub, "alice"); // still valid after rotation
/// assert_eq!(ring.verify(&new).unwrap().scopes, ["items:read"]);
/// assert_eq!(ring.verify("garbage"), Err(TokenError::Malformed));
/// ```
#[derive(Debug, Clone)]
pub struct KeyRing {
    current: SigningKey,
    previous: Vec<Retired>,
    config: TokenConfig,
}

impl KeyRing {
    /// A ring whose only key is `current`. A `max_ttl` below `default_ttl` is raised
    /// to it.
    pub fn new(current: SigningKey, mut config: TokenConfig) -> Self {
        config.max_ttl = config.max_ttl.max(config.default_ttl);
        KeyRing {
            current,
            previous: Vec::new(),
            config,
        }
    }

    /// The lifetimes and leeway in force.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// The `kid` new tokens are signed with.
    pub fn current_kid(&self) -> &str {
        self.current.kid()
    }

    /// The `kid`s that verify at Unix second `now`: the current one first.
    ///
    /// ```
    /// # use apiarist::auth::{KeyRing, SigningKey, TokenConfig};
    /// let ring = KeyRing::new(SigningKey::hs256(&[1; 32]).unwrap().with_kid("k1"), TokenConfig::default());
    /// assert_eq!(ring.live_kids_at(0), ["k1"]);
    /// ```
    pub fn live_kids_at(&self, now: u64) -> Vec<&str> {
        std::iter::once(self.current.kid())
            .chain(
                self.previous
                    .iter()
                    .filter(|r| now < r.until)
                    .map(|r| r.key.kid()),
            )
            .collect()
    }

    /// Issues a token for `sub` with `scopes`, valid for `ttl` (default:
    /// [`TokenConfig::default_ttl`]) from now.
    pub fn issue<S: Into<String>>(
        &self,
        sub: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
        ttl: Option<Duration>,
    ) -> Result<String, IssueError> {
        let ttl = ttl.unwrap_or(self.config.default_ttl);
        self.sign(&Claims::new(sub, scopes, unix_now(), ttl))
    }

    /// Signs `claims` as they are (their `iat`/`exp` included) with the current key,
    /// putting its `kid` in the header.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use apiarist::auth::{Claims, IssueError, KeyRing, SigningKey, TokenConfig};
    /// let ring = KeyRing::new(SigningKey::hs256(&[1; 32]).unwrap(), TokenConfig::default());
    /// let too_long = Claims::new("bob", ["a"], 0, Duration::from_secs(86_400));
    /// assert!(matches!(ring.sign(&too_long), Err(IssueError::TtlTooLong { .. })));
    /// ```
    pub fn sign(&self, claims: &Claims) -> Result<String, IssueError> {
        let encoding = self
            .current
            .encoding()
            .ok_or_else(|| IssueError::CannotSign(self.current.kid().to_owned()))?;
        let lifetime = claims.exp.saturating_sub(claims.iat);
        let max = self.config.max_ttl.as_secs();
        if lifetime > max {
            return Err(IssueError::TtlTooLong {
                requested: lifetime,
                max,
            });
        }
        claims.check_signable()?;
        let mut header = Header::new(self.current.algorithm().jwt());
        header.kid = Some(self.current.kid().to_owned());
        jsonwebtoken::encode(&header, claims, encoding)
            .map_err(|e| IssueError::Signing(e.to_string()))
    }

    /// Verifies `token` now; see [`verify_at`](Self::verify_at).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, unix_now())
    }

    /// Verifies `token` at Unix second `now`: the header's `kid` must name a live
    /// key, its `alg` must be that key's algorithm (so `none`, and HS256 with an RSA
    /// public key as the secret, are refused), the signature must match, and `exp`
    /// plus the leeway must not be past. Other claims (`aud`, `iss`, ...) are not
    /// checked: they arrive in [`Claims::extra`] for the caller to compare.
    pub fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let (alg, kid) = peek_header(token)?;
        let key = self.live_key(&kid, now).ok_or(TokenError::UnknownKey)?;
        if alg != key.algorithm().as_str() {
            return Err(TokenError::AlgorithmNotAllowed);
        }
        let mut validation = Validation::new(key.algorithm().jwt());
        // `exp` is checked below against `now`, so tests and callers control time.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        validation.validate_aud = false;
        let data = jsonwebtoken::decode::<Claims>(token, key.decoding(), &validation).map_err(
            |e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
                    TokenError::AlgorithmNotAllowed
                }
                _ => TokenError::Malformed,
            },
        )?;
        if data.claims.exp.saturating_add(self.config.leeway.as_secs()) < now {
            return Err(TokenError::Expired);
        }
        Ok(data.claims)
    }

    /// Rotates now; see [`rotate_at`](Self::rotate_at).
    pub fn rotate(&mut self, key: SigningKey) -> Result<(), KeyError> {
        self.rotate_at(key, unix_now())
    }

    /// Makes `key` current at Unix second `now`. The previous current key keeps
    /// verifying until `now + max_ttl + leeway`, when the last token it signed has
    /// expired; keys already past that are dropped.
    pub fn rotate_at(&mut self, key: SigningKey, now: u64) -> Result<(), KeyError> {
        self.prune_at(now);
        if self.live_kids_at(now).contains(&key.kid()) {
            return Err(KeyError::DuplicateKid(key.kid().to_owned()));
        }
        let retain = self.config.max_ttl + self.config.leeway;
        let old = std::mem::replace(&mut self.current, key);
        self.previous.push(Retired {
            key: old,
            until: now.saturating_add(retain.as_secs()),
        });
        Ok(())
    }

    /// Drops the rotated-out keys that no longer verify at Unix second `now`.
    pub fn prune_at(&mut self, now: u64) {
        self.previous.retain(|r| now < r.until);
    }

    fn live_key(&self, kid: &str, now: u64) -> Option<&SigningKey> {
        if self.current.kid() == kid {
            return Some(&self.current);
        }
        self.previous
            .iter()
            .find(|r| r.key.kid() == kid && now < r.until)
            .map(|r| &r.key)
    }
}

/// Reads `alg` and `kid` from the header without trusting anything else in it,
/// so that `alg: none` or an unknown algorithm is reported as such rather than as
/// a parse error.
fn peek_header(token: &str) -> Result<(String, String), TokenError> {
    #[derive(serde::Deserialize)]
    struct Peek {
        alg: String,
        kid: Option<String>,
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenError::Malformed)?;
    let peek: Peek = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
    if peek.alg.parse::<JwtAlgorithm>().is_err() {
        return Err(TokenError::AlgorithmNotAllowed);
    }
    let kid = peek.kid.ok_or(TokenError::UnknownKey)?;
    Ok((peek.alg, kid))
}

#[cfg(test)]
#[path = "keyring_tests.rs"]
mod tests;
