//! The claims an access token carries.
//!
//! Scopes travel as the OAuth 2.0 `scope` claim: one space-separated string
//! (RFC 8693 section 4.2, RFC 9068), so tokens read naturally by other OAuth tooling.
//! In Rust they are a `Vec<String>`.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::error::IssueError;

/// Claim names the key ring sets itself; [`Claims::extra`] may not use them.
pub(crate) const RESERVED: &[&str] = &["sub", "iat", "exp", "scope", "roles", "nbf"];

/// The payload of an access token.
///
/// ```
/// use std::time::Duration;
/// use apiarist::auth::Claims;
///
/// let claims = Claims::new("alice", ["items:read", "items:write"], 1_700_000_000, Duration::from_secs(60))
///     .with_roles(["admin"]);
/// let json = serde_json::to_value(&claims).unwrap();
/// assert_eq!(json["scope"], "items:read items:write");
/// assert_eq!(json["exp"], 1_700_000_060);
/// assert!(claims.has_scopes(&["items:read"]));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: whom the token is about (a user id or name).
    pub sub: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: u64,
    /// Granted scopes; serialised as the space-separated `scope` claim, omitted
    /// when empty.
    #[serde(
        rename = "scope",
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "join_scopes",
        deserialize_with = "split_scopes"
    )]
    pub scopes: Vec<String>,
    /// Roles, a JSON list; omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Any other claims (e.g. `aud`, `tenant`), kept as JSON.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Claims {
    /// Claims for `sub` with `scopes`, issued at `issued_at` (Unix seconds) and
    /// valid for `ttl`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let c = apiarist::auth::Claims::new("bob", Vec::<String>::new(), 100, Duration::from_secs(5));
    /// assert_eq!((c.iat, c.exp), (100, 105));
    /// ```
    pub fn new<S: Into<String>>(
        sub: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
        issued_at: u64,
        ttl: Duration,
    ) -> Self {
        Claims {
            sub: sub.into(),
            iat: issued_at,
            exp: issued_at.saturating_add(ttl.as_secs()),
            scopes: scopes.into_iter().map(Into::into).collect(),
            roles: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Sets the roles.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let c = apiarist::auth::Claims::new("bob", ["a"], 0, Duration::ZERO).with_roles(["ops"]);
    /// assert_eq!(c.roles, ["ops"]);
    /// ```
    #[must_use]
    pub fn with_roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Adds one extra claim (signing refuses reserved names such as `exp`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let c = apiarist::auth::Claims::new("bob", ["a"], 0, Duration::ZERO).with_extra("tenant", "acme");
    /// assert_eq!(c.extra["tenant"], "acme");
    /// ```
    #[must_use]
    pub fn with_extra(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }

    /// Whether every scope in `required` was granted.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let c = apiarist::auth::Claims::new("bob", ["a", "b"], 0, Duration::ZERO);
    /// assert!(c.has_scopes(&["b", "a"]));
    /// assert!(!c.has_scopes(&["a", "c"]));
    /// ```
    pub fn has_scopes(&self, required: &[&str]) -> bool {
        required.iter().all(|r| self.scopes.iter().any(|s| s == r))
    }

    /// Whether the role was granted.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let c = apiarist::auth::Claims::new("bob", ["a"], 0, Duration::ZERO).with_roles(["admin"]);
    /// assert!(c.has_role("admin"));
    /// ```
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Checks what the wire format cannot carry: scopes that are empty or contain
    /// whitespace, and extra claims that would shadow registered ones.
    pub(crate) fn check_signable(&self) -> Result<(), IssueError> {
        if let Some(bad) = self
            .scopes
            .iter()
            .find(|s| s.is_empty() || s.chars().any(char::is_whitespace))
        {
            return Err(IssueError::InvalidScope(bad.clone()));
        }
        if let Some(name) = self.extra.keys().find(|k| RESERVED.contains(&k.as_str())) {
            return Err(IssueError::ReservedClaim(name.clone()));
        }
        Ok(())
    }
}

fn join_scopes<S: Serializer>(scopes: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&scopes.join(" "))
}

fn split_scopes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let joined = String::deserialize(deserializer)?;
    Ok(joined.split_whitespace().map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scope_claim_is_space_separated_and_roundtrips() {
        let claims = Claims::new("u1", ["a:read", "b"], 10, Duration::from_secs(20))
            .with_roles(["admin"])
            .with_extra("tenant", "acme");
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(
            json,
            json!({"sub": "u1", "iat": 10, "exp": 30, "scope": "a:read b",
                   "roles": ["admin"], "tenant": "acme"})
        );
        let back: Claims = serde_json::from_value(json).unwrap();
        assert_eq!(back, claims);
    }

    #[test]
    fn empty_scopes_and_roles_are_omitted_and_default() {
        let claims = Claims::new("u1", Vec::<String>::new(), 0, Duration::ZERO);
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(json, json!({"sub": "u1", "iat": 0, "exp": 0}));
        let back: Claims = serde_json::from_value(json).unwrap();
        assert!(back.scopes.is_empty() && back.roles.is_empty());
    }

    #[test]
    fn unsignable_claims_are_refused() {
        let spaced = Claims::new("u", ["a b"], 0, Duration::ZERO);
        assert_eq!(
            spaced.check_signable(),
            Err(IssueError::InvalidScope("a b".into()))
        );
        let empty = Claims::new("u", [""], 0, Duration::ZERO);
        assert!(matches!(
            empty.check_signable(),
            Err(IssueError::InvalidScope(_))
        ));
        let shadow = Claims::new("u", ["a"], 0, Duration::ZERO).with_extra("exp", 1);
        assert_eq!(
            shadow.check_signable(),
            Err(IssueError::ReservedClaim("exp".into()))
        );
    }
}
