//! Where a request claims to be going: trusted `Host` headers, and HTTPS only.
//!
//! Both read the request's own `Host` (or HTTP/2 authority) and scheme. Proxy
//! headers (`X-Forwarded-Proto`) are believed only when the app says a proxy it
//! trusts sets them: any client can send them.

use std::sync::Arc;

use actix_web::{
    HttpResponse,
    dev::ServiceRequest,
    http::header::{HOST, LOCATION},
};

use super::layer::{Middleware, Placement};
use crate::HttpError;

/// The host a request is addressed to, without the port, lower-cased.
fn request_host(req: &ServiceRequest) -> Option<String> {
    let raw = match req.headers().get(HOST) {
        Some(value) => value.to_str().ok()?,
        None => req.uri().authority()?.as_str(),
    };
    let host = match raw.strip_prefix('[') {
        // [::1]:8000
        Some(rest) => &raw[..rest.find(']')? + 2],
        None => match raw.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => raw,
        },
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Answers `400 {"detail": "Invalid host header"}` to requests whose `Host` is not
/// one of the allowed names (Starlette's `TrustedHostMiddleware`): a guard against
/// Host-header attacks (poisoned password-reset links, cache poisoning).
///
/// Patterns: an exact name (`api.example.com`), `*.example.com` for any subdomain
/// (not `example.com` itself), `*` for any host. Ports are ignored. Health probes
/// that connect by IP address need that address listed (or the check on a router
/// instead of the app).
///
/// ```
/// use apiarist::{App, middleware::TrustedHosts};
///
/// let app = App::new("svc").middleware(TrustedHosts::new(["example.com", "*.example.com"]));
/// app.check().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct TrustedHosts {
    patterns: Vec<String>,
}

impl TrustedHosts {
    /// Allows the hosts matching `patterns`.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            patterns: patterns
                .into_iter()
                .map(|p| p.trim().to_ascii_lowercase())
                .collect(),
        }
    }

    fn allows(&self, host: &str) -> bool {
        self.patterns
            .iter()
            .any(|pattern| match pattern.strip_prefix('*') {
                Some("") => true,
                Some(suffix) => host.ends_with(suffix),
                None => host == pattern,
            })
    }

    fn problem(&self) -> Option<String> {
        if self.patterns.is_empty() {
            return Some("TrustedHosts: no host is allowed; list at least one".to_owned());
        }
        self.patterns
            .iter()
            .find(|p| {
                p.is_empty()
                    || p[1..].contains('*')
                    || (p.starts_with('*') && p.len() > 1 && !p.starts_with("*."))
            })
            .map(|p| format!("TrustedHosts: pattern {p:?} is not a name, `*.domain` or `*`"))
    }
}

impl From<TrustedHosts> for Middleware {
    fn from(hosts: TrustedHosts) -> Self {
        let problem = hosts.problem();
        let hosts = Arc::new(hosts);
        let mut middleware =
            Middleware::layer("trusted hosts", Placement::AroundApp, move |req, next| {
                let allowed = request_host(&req).is_some_and(|host| hosts.allows(&host));
                if allowed {
                    return next.call(req);
                }
                let refused = req.error_response(HttpError::bad_request("Invalid host header"));
                Box::pin(std::future::ready(Ok(refused)))
            });
        middleware.statuses = &[400];
        middleware.problem = problem;
        middleware
    }
}

/// Redirects plain-HTTP requests to HTTPS (`307`, same method and body, same host
/// and path), like Starlette's `HTTPSRedirectMiddleware`.
///
/// Behind a TLS-terminating proxy the app only sees plain HTTP: call
/// [`trust_proxy`](Self::trust_proxy) to take the scheme from `X-Forwarded-Proto`,
/// and only when the proxy sets (overwrites) that header, since clients can send it
/// too.
///
/// ```
/// use apiarist::{App, middleware::HttpsRedirect};
///
/// let app = App::new("svc").middleware(HttpsRedirect::new().trust_proxy());
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpsRedirect {
    trust_proxy: bool,
}

impl HttpsRedirect {
    /// Redirects requests that did not arrive over TLS.
    pub fn new() -> Self {
        Self::default()
    }

    /// Believes `X-Forwarded-Proto` (set by a proxy in front of the app).
    pub fn trust_proxy(mut self) -> Self {
        self.trust_proxy = true;
        self
    }

    fn is_secure(&self, req: &ServiceRequest) -> bool {
        if req.app_config().secure() {
            return true;
        }
        self.trust_proxy
            && req
                .headers()
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }
}

/// The HTTPS address of the request: same host (its port dropped unless it is a
/// custom one), path and query.
fn https_location(req: &ServiceRequest) -> Option<String> {
    let raw = match req.headers().get(HOST) {
        Some(value) => value.to_str().ok()?,
        None => req.uri().authority()?.as_str(),
    };
    let authority = raw
        .strip_suffix(":80")
        .or_else(|| raw.strip_suffix(":443"))
        .unwrap_or(raw);
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    Some(format!("https://{authority}{path}"))
}

impl From<HttpsRedirect> for Middleware {
    fn from(config: HttpsRedirect) -> Self {
        Middleware::layer("HTTPS redirect", Placement::AroundApp, move |req, next| {
            if config.is_secure(&req) {
                return next.call(req);
            }
            let res = match https_location(&req) {
                Some(location) => req.into_response(
                    HttpResponse::TemporaryRedirect()
                        .insert_header((LOCATION, location))
                        .finish(),
                ),
                None => req.error_response(HttpError::bad_request("Invalid host header")),
            };
            Box::pin(std::future::ready(Ok(res)))
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn host_of(value: &str) -> Option<String> {
        request_host(
            &TestRequest::default()
                .insert_header((HOST, value))
                .to_srv_request(),
        )
    }

    #[test]
    fn hosts_lose_their_port_and_case() {
        assert_eq!(
            host_of("API.Example.com:8443").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(host_of("[::1]:8000").as_deref(), Some("[::1]"));
        assert_eq!(host_of("localhost").as_deref(), Some("localhost"));
    }

    #[test]
    fn patterns_match_names_subdomains_or_anything() {
        let hosts = TrustedHosts::new(["example.com", "*.api.test"]);
        assert!(hosts.allows("example.com"));
        assert!(!hosts.allows("evil.com"));
        assert!(hosts.allows("eu.api.test"));
        assert!(!hosts.allows("api.test"));
        assert!(TrustedHosts::new(["*"]).allows("anything"));
        assert!(TrustedHosts::new(["a*.com"]).problem().is_some());
        assert!(TrustedHosts::new(["*example.com"]).problem().is_some());
        assert!(TrustedHosts::new(Vec::<&str>::new()).problem().is_some());
    }
}
