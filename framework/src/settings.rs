//! Typed settings from environment variables, with a `.env` file as fallback.
//!
//! A settings type is an ordinary `Deserialize` struct whose field `database_url`
//! reads the variable `DATABASE_URL`. Real environment variables win over `.env`. A
//! missing or malformed variable is reported by name at startup, never later.

use std::fmt;

use figment::{
    Figment,
    providers::{Env, Serialized},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// A setting that is missing or does not parse; its message names the variable.
#[derive(Debug)]
pub struct SettingsError {
    message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SettingsError {}

/// Loads `T` from the environment (and `./.env` if present).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Settings {
///     #[serde(default = "default_greeting")]
///     greeting: String,
/// }
/// fn default_greeting() -> String { "hello".into() }
///
/// let settings: Settings = apiarist::settings::from_env().unwrap();
/// assert!(!settings.greeting.is_empty());
/// ```
pub fn from_env<T: DeserializeOwned>() -> Result<T, SettingsError> {
    from_figment(figment())
}

fn figment() -> Figment {
    let mut figment = Figment::new();
    if let Ok(iter) = dotenvy::from_filename_iter(".env") {
        figment = figment.merge(text_values(iter.filter_map(Result::ok)));
    }
    figment.merge(Env::raw())
}

/// Variables given as text, parsed the way figment parses real environment variables
/// (`"8000"` is a number, `"true"` a bool), keyed by lower-cased name.
fn text_values(
    pairs: impl Iterator<Item = (String, String)>,
) -> Serialized<std::collections::BTreeMap<String, figment::value::Value>> {
    let values = pairs
        .map(|(k, v)| {
            let value = v
                .parse::<figment::value::Value>()
                .unwrap_or_else(|_| figment::value::Value::from(v));
            (k.to_ascii_lowercase(), value)
        })
        .collect();
    Serialized::defaults(values)
}

fn from_figment<T: DeserializeOwned>(figment: Figment) -> Result<T, SettingsError> {
    figment.extract().map_err(|errors| {
        let lines: Vec<String> = errors
            .into_iter()
            .map(|e| {
                let var = e.path.last().map(|p| p.to_ascii_uppercase());
                match (var, &e.kind) {
                    (Some(var), figment::error::Kind::MissingField(_)) => {
                        format!("environment variable {var} is required but not set")
                    }
                    (Some(var), kind) => format!("environment variable {var} is invalid: {kind}"),
                    (None, figment::error::Kind::MissingField(field)) => {
                        format!(
                            "environment variable {} is required but not set",
                            field.to_ascii_uppercase()
                        )
                    }
                    (None, kind) => format!("invalid settings: {kind}"),
                }
            })
            .collect();
        SettingsError {
            message: format!("configuration error: {}", lines.join("; ")),
        }
    })
}

/// Where a service listens: `HOST` (default `127.0.0.1`) and `PORT` (default `8000`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServerSettings {
    /// Interface to bind.
    #[serde(default = "default_host")]
    pub host: String,
    /// TCP port.
    #[serde(default = "default_port")]
    pub port: u16,
}

fn default_host() -> String {
    "127.0.0.1".to_owned()
}

fn default_port() -> u16 {
    8000
}

#[derive(Deserialize)]
struct RawServerSettings {
    #[serde(default = "default_host")]
    host: String,
    port: Option<u16>,
}

impl ServerSettings {
    /// Like [`from_env`](Self::from_env), with another port when `PORT` is unset
    /// (for services that must not take 8000 by default, such as a worker).
    pub fn from_env_with_port(default_port: u16) -> Result<Self, SettingsError> {
        let raw: RawServerSettings = from_env()?;
        Ok(Self {
            host: raw.host,
            port: raw.port.unwrap_or(default_port),
        })
    }

    /// Reads `HOST` and `PORT`.
    pub fn from_env() -> Result<Self, SettingsError> {
        from_env()
    }
}

/// How long a stopping server lets in-flight requests finish (`SHUTDOWN_GRACE_SECS`,
/// default 30): after SIGTERM/SIGINT it stops accepting at once, and connections
/// still busy when the grace period ends are closed.
///
/// ```
/// # if std::env::var_os("SHUTDOWN_GRACE_SECS").is_none() {
/// assert_eq!(apiarist::settings::shutdown_grace().unwrap().as_secs(), 30);
/// # }
/// ```
pub fn shutdown_grace() -> Result<std::time::Duration, SettingsError> {
    #[derive(Deserialize)]
    struct Grace {
        shutdown_grace_secs: Option<u64>,
    }
    let grace: Grace = from_env()?;
    Ok(std::time::Duration::from_secs(
        grace.shutdown_grace_secs.unwrap_or(30),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Needs {
        #[allow(dead_code)]
        database_url: String,
        #[allow(dead_code)]
        port: u16,
    }

    #[test]
    fn errors_name_the_variable() {
        let vars = |pairs: &[(&str, &str)]| {
            Figment::new().merge(text_values(
                pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            ))
        };
        let fig = vars(&[("PORT", "abc")]);
        let err = from_figment::<Needs>(fig).unwrap_err().to_string();
        assert!(err.contains("PORT"), "{err}");
        let fig = vars(&[("PORT", "80")]);
        let err = from_figment::<Needs>(fig).unwrap_err().to_string();
        assert!(err.contains("DATABASE_URL is required"), "{err}");
    }

    #[test]
    fn server_defaults() {
        let fig = Figment::new();
        let s: ServerSettings = from_figment(fig).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 8000));
    }
}
