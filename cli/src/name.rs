//! A new service's name, checked once, and the spellings the templates need.
//!
//! The name becomes a crate name, a Rust identifier, a table name, a URL prefix, a
//! compose service (a host name) and part of environment variable names, so it is held
//! to what all of these accept: lowercase ASCII letters and digits, words joined by
//! single underscores, starting with a letter.

use std::fmt;

/// Rust keywords (any edition) and names a crate must not take.
const FORBIDDEN: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "union",
    // Crates every program links, and cargo's own reserved target names.
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
    "build",
    "deps",
    "examples",
    "incremental",
    // The workspace's own parts and the stack's infrastructure.
    "apiarist",
    "framework",
    "shared_models",
    "tests",
    "e2e",
    "cli",
    "services",
    "postgres",
    "rabbitmq",
];

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidName {
    /// The name given.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid service name `{}`: {}", self.name, self.reason)
    }
}

impl std::error::Error for InvalidName {}

/// A checked service name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceName(String);

impl ServiceName {
    /// Checks `name` (syntax and keywords; whether it is taken is the workspace's
    /// business).
    ///
    /// ```
    /// use apiarist_cli::name::ServiceName;
    ///
    /// let name = ServiceName::parse("loyalty_points").unwrap();
    /// assert_eq!(name.pascal(), "LoyaltyPoints");
    /// assert_eq!(name.kebab(), "loyalty-points");
    /// assert!(ServiceName::parse("Billing").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Self, InvalidName> {
        let refuse = |reason: &str| {
            Err(InvalidName {
                name: name.to_owned(),
                reason: reason.to_owned(),
            })
        };
        if name.is_empty() {
            return refuse("it is empty");
        }
        if name.len() > 40 {
            return refuse("it is longer than 40 characters");
        }
        if name.chars().any(|c| c.is_ascii_uppercase()) {
            return refuse(&format!(
                "use lowercase letters (e.g. `{}`)",
                name.to_ascii_lowercase()
            ));
        }
        if name.contains('-') {
            return refuse(&format!(
                "join words with `_`, not `-` (e.g. `{}`)",
                name.replace('-', "_")
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return refuse("use only lowercase letters, digits and `_`");
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return refuse("it must start with a letter");
        }
        if name.ends_with('_') || name.contains("__") {
            return refuse("words are joined by single underscores, with none at the end");
        }
        if FORBIDDEN.contains(&name) {
            return refuse("it is a Rust keyword or a name the workspace already uses");
        }
        Ok(Self(name.to_owned()))
    }

    /// The name itself: crate, module, table, URL prefix (`loyalty_points`).
    pub fn snake(&self) -> &str {
        &self.0
    }

    /// Type names (`LoyaltyPoints`).
    pub fn pascal(&self) -> String {
        self.0
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Host names and compose service names (`loyalty-points`).
    pub fn kebab(&self) -> String {
        self.0.replace('_', "-")
    }

    /// Environment variable prefixes (`LOYALTY_POINTS`).
    pub fn upper(&self) -> String {
        self.0.to_ascii_uppercase()
    }

    /// Prose (`loyalty points`).
    pub fn words(&self) -> String {
        self.0.replace('_', " ")
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::ServiceName;

    #[test]
    fn good_names_and_their_spellings() {
        let name = ServiceName::parse("billing").unwrap();
        assert_eq!(
            (name.snake(), name.pascal(), name.kebab(), name.upper()),
            (
                "billing",
                "Billing".into(),
                "billing".into(),
                "BILLING".into()
            )
        );
        let name = ServiceName::parse("stock2_audit").unwrap();
        assert_eq!(name.pascal(), "Stock2Audit");
        assert_eq!(name.words(), "stock2 audit");
    }

    #[test]
    fn bad_names_say_why() {
        for (name, reason) in [
            ("", "empty"),
            ("Billing", "lowercase letters (e.g. `billing`)"),
            ("loyalty-points", "not `-` (e.g. `loyalty_points`)"),
            ("2fa", "start with a letter"),
            ("_billing", "start with a letter"),
            ("billing_", "single underscores"),
            ("a__b", "single underscores"),
            ("bil ling", "only lowercase letters"),
            ("façade", "only lowercase letters"),
            ("type", "keyword"),
            ("test", "keyword"),
            ("framework", "already uses"),
        ] {
            let err = ServiceName::parse(name).unwrap_err().to_string();
            assert!(err.contains(reason), "{name:?}: {err}");
            assert!(
                err.starts_with(&format!("invalid service name `{name}`")),
                "{err}"
            );
        }
    }
}
