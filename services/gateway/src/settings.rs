//! The gateway's configuration, from environment variables only (the same names in
//! both modes, and in docker compose).
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `HOST`, `PORT` | where the gateway listens | `127.0.0.1`, `8000` |
//! | `USERS_URL`, `ITEMS_URL`, `ORDERS_URL` (each service's `url_variable` in [`SERVICES`]) | where each service is (`http://host:port`) | see below |
//! | `GATEWAY_MODE` | `proxy` or `all-in-one` | see below |
//! | `GATEWAY_TIMEOUT_SECS` | how long a service may take to start answering (then 504) | `30` |
//! | `GATEWAY_DOCS_TTL_SECS` | how long the services' documents are reused | `10` |
//!
//! The mode: with none of the `*_URL` variables set, the gateway runs the services
//! itself (all-in-one, what `cargo run` does); with any of them set it only proxies
//! (each service is its own process, as docker compose runs them), and a service
//! whose variable is unset is expected on `127.0.0.1` at its default port (users
//! 8001, items 8002, orders 8003; see [`ServiceUrls::defaults`]). `GATEWAY_MODE`
//! overrides the guess; `all-in-one` with a `*_URL` set is refused, since the
//! variable would be ignored.

use std::{collections::BTreeMap, fmt, time::Duration};

use actix_web::http::Uri;
use serde::Deserialize;

use crate::services::{SERVICES, ServiceUrls};

/// How the gateway reaches the services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The services run elsewhere, at these addresses.
    Proxy(ServiceUrls),
    /// The gateway runs the services in its own process, each in its own thread
    /// and actix system, on ports the system chooses.
    AllInOne,
}

/// The gateway's settings (see the [module docs](self) for the variables).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Interface to listen on.
    pub host: String,
    /// Port to listen on.
    pub port: u16,
    /// How the services are reached.
    pub mode: Mode,
    /// How long a service may take to start answering.
    pub timeout: Duration,
    /// How long the services' documents are reused.
    pub docs_ttl: Duration,
}

/// A variable that is set but wrong; the message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError(String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}

impl std::error::Error for SettingsError {}

/// The variables, as read.
#[derive(Debug, Default, Deserialize)]
struct Env {
    host: Option<String>,
    port: Option<u16>,
    gateway_mode: Option<String>,
    gateway_timeout_secs: Option<f64>,
    gateway_docs_ttl_secs: Option<f64>,
    /// Everything else, among which each service's `<NAME>_URL` (lower-cased).
    #[serde(flatten)]
    other: BTreeMap<String, serde_json::Value>,
}

impl Env {
    /// The value of `variable` (`ITEMS_URL`), unless unset or empty.
    fn url(&self, variable: &str) -> Option<&str> {
        self.other
            .get(&variable.to_ascii_lowercase())
            .and_then(serde_json::Value::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

impl Settings {
    /// Reads the variables (and `./.env`); errors name the variable.
    pub fn from_env() -> Result<Self, SettingsError> {
        let env: Env = apiarist::settings::from_env().map_err(|e| SettingsError(e.to_string()))?;
        Self::from_vars(&env)
    }

    fn from_vars(env: &Env) -> Result<Self, SettingsError> {
        let given: Vec<&str> = SERVICES
            .iter()
            .map(|s| s.url_variable)
            .filter(|v| env.url(v).is_some())
            .collect();
        let proxy = match env.gateway_mode.as_deref().map(str::trim) {
            None | Some("") => !given.is_empty(),
            Some("proxy") => true,
            Some("all-in-one") if given.is_empty() => false,
            Some("all-in-one") => {
                return Err(SettingsError(format!(
                    "GATEWAY_MODE=all-in-one runs the services in this process, \
                     but {} is set: unset it, or use GATEWAY_MODE=proxy",
                    given.join(", ")
                )));
            }
            Some(other) => {
                return Err(SettingsError(format!(
                    "environment variable GATEWAY_MODE is invalid: {other:?} \
                     (expected `proxy` or `all-in-one`)"
                )));
            }
        };
        let mode = if proxy {
            let mut urls = ServiceUrls::defaults();
            for service in SERVICES {
                match env.url(service.url_variable) {
                    Some(url) => {
                        let url = checked_url(service.url_variable, url)?;
                        urls.insert(service.name, url);
                    }
                    None => tracing::info!(
                        service = service.name,
                        url = urls.get(service.name),
                        "{} is unset: using the default",
                        service.url_variable
                    ),
                }
            }
            Mode::Proxy(urls)
        } else {
            Mode::AllInOne
        };
        Ok(Self {
            host: env.host.clone().unwrap_or_else(|| "127.0.0.1".to_owned()),
            port: env.port.unwrap_or(8000),
            mode,
            timeout: seconds("GATEWAY_TIMEOUT_SECS", env.gateway_timeout_secs, 30.0)?,
            docs_ttl: seconds("GATEWAY_DOCS_TTL_SECS", env.gateway_docs_ttl_secs, 10.0)?,
        })
    }
}

fn checked_url(variable: &str, url: &str) -> Result<String, SettingsError> {
    let url = url.trim().trim_end_matches('/');
    match url.parse::<Uri>() {
        Ok(uri) if uri.scheme_str() == Some("http") && uri.authority().is_some() => {
            Ok(url.to_owned())
        }
        _ => Err(SettingsError(format!(
            "environment variable {variable} is invalid: {url:?} is not an http://host:port URL"
        ))),
    }
}

fn seconds(variable: &str, value: Option<f64>, default: f64) -> Result<Duration, SettingsError> {
    let value = value.unwrap_or(default);
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            SettingsError(format!(
                "environment variable {variable} is invalid: {value} is not a positive number of seconds"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::{Env, Mode, Settings};

    fn settings(env: Env) -> Result<Settings, String> {
        Settings::from_vars(&env).map_err(|e| e.to_string())
    }

    /// Variables as figment hands them over: lower-cased names.
    fn vars(pairs: &[(&str, &str)]) -> Env {
        Env {
            other: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
                .collect(),
            ..Env::default()
        }
    }

    #[test]
    fn no_service_url_means_all_in_one_on_port_8000() {
        let s = settings(Env::default()).unwrap();
        assert_eq!(s.mode, Mode::AllInOne);
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 8000));
        assert_eq!(s.timeout.as_secs(), 30);
    }

    #[test]
    fn any_service_url_means_proxy_with_defaults_for_the_rest() {
        let s = settings(Env {
            gateway_timeout_secs: Some(2.5),
            ..vars(&[("items_url", "http://items:8002/")])
        })
        .unwrap();
        let Mode::Proxy(urls) = s.mode else {
            panic!("proxy mode expected")
        };
        assert_eq!(urls.get("items"), Some("http://items:8002"));
        assert_eq!(urls.get("users"), Some("http://127.0.0.1:8001"));
        assert_eq!(urls.get("orders"), Some("http://127.0.0.1:8003"));
        assert_eq!(s.timeout.as_millis(), 2500);
    }

    #[test]
    fn the_mode_can_be_forced_and_bad_values_name_their_variable() {
        let forced = settings(Env {
            gateway_mode: Some("proxy".into()),
            ..Env::default()
        })
        .unwrap();
        assert!(matches!(forced.mode, Mode::Proxy(_)));
        let err = settings(Env {
            gateway_mode: Some("all-in-one".into()),
            ..vars(&[("users_url", "http://users:8001")])
        })
        .unwrap_err();
        assert!(err.contains("USERS_URL"), "{err}");
        let err = settings(vars(&[("orders_url", "orders:8003")])).unwrap_err();
        assert!(err.contains("ORDERS_URL"), "{err}");
        let err = settings(Env {
            gateway_timeout_secs: Some(0.0),
            ..Env::default()
        })
        .unwrap_err();
        assert!(err.contains("GATEWAY_TIMEOUT_SECS"), "{err}");
        let err = settings(Env {
            gateway_mode: Some("both".into()),
            ..Env::default()
        })
        .unwrap_err();
        assert!(err.contains("GATEWAY_MODE"), "{err}");
    }
}
