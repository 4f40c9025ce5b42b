//! Cross-origin resource sharing, by actix-cors, with a configuration checked at
//! start-up.

use actix_web::http::{Method, header::HeaderName};

use super::layer::{Middleware, Placement};

const DEFAULT_METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origins {
    Any,
    List(Vec<String>),
}

/// CORS: which web origins may call the API from a browser, with which methods and
/// headers (FastAPI's `CORSMiddleware`).
///
/// Defaults: no origin until you allow some; methods `GET HEAD POST PUT PATCH
/// DELETE`; any request header; `X-Request-Id` exposed; no credentials; preflights
/// cached for 10 minutes. Requests from other origins are served without CORS
/// headers (the browser then withholds the answer from the page). A wildcard origin
/// together with credentials would let every site act with the user's cookies: that
/// combination stops start-up with an error.
///
/// ```
/// use apiarist::{App, middleware::Cors};
///
/// let app = App::new("svc").middleware(
///     Cors::new()
///         .allow_origins(["https://app.example.com", "http://localhost:5173"])
///         .allow_credentials(),
/// );
/// app.check().unwrap();
///
/// let wrong = App::new("svc").middleware(Cors::new().allow_any_origin().allow_credentials());
/// assert!(wrong.check().unwrap_err().contains("credentials"));
/// ```
#[derive(Debug, Clone)]
pub struct Cors {
    origins: Origins,
    methods: Vec<String>,
    headers: Option<Vec<String>>,
    expose: Vec<String>,
    credentials: bool,
    max_age: Option<usize>,
}

impl Default for Cors {
    fn default() -> Self {
        Self::new()
    }
}

impl Cors {
    /// A policy that allows no origin yet.
    pub fn new() -> Self {
        Self {
            origins: Origins::List(Vec::new()),
            methods: DEFAULT_METHODS.iter().map(|m| (*m).to_owned()).collect(),
            headers: None,
            expose: vec!["x-request-id".to_owned()],
            credentials: false,
            max_age: Some(600),
        }
    }

    /// Allows one origin (`scheme://host[:port]`, exactly as the browser sends it).
    pub fn allow_origin(mut self, origin: &str) -> Self {
        match &mut self.origins {
            Origins::List(list) => list.push(origin.to_owned()),
            Origins::Any => {}
        }
        self
    }

    /// Allows each of `origins`.
    pub fn allow_origins<'a>(self, origins: impl IntoIterator<Item = &'a str>) -> Self {
        origins.into_iter().fold(self, Self::allow_origin)
    }

    /// Allows every origin (answers `Access-Control-Allow-Origin: *`). Not together
    /// with [`allow_credentials`](Self::allow_credentials).
    pub fn allow_any_origin(mut self) -> Self {
        self.origins = Origins::Any;
        self
    }

    /// Replaces the allowed methods.
    pub fn allow_methods<'a>(mut self, methods: impl IntoIterator<Item = &'a str>) -> Self {
        self.methods = methods.into_iter().map(str::to_owned).collect();
        self
    }

    /// Allows only these request headers (beyond the CORS-safelisted ones), instead
    /// of any.
    pub fn allow_headers<'a>(mut self, headers: impl IntoIterator<Item = &'a str>) -> Self {
        self.headers = Some(headers.into_iter().map(str::to_owned).collect());
        self
    }

    /// Lets the page read these response headers too (`X-Request-Id` already is).
    pub fn expose_headers<'a>(mut self, headers: impl IntoIterator<Item = &'a str>) -> Self {
        self.expose.extend(headers.into_iter().map(str::to_owned));
        self
    }

    /// Lets the browser send cookies and `Authorization` with cross-origin requests.
    pub fn allow_credentials(mut self) -> Self {
        self.credentials = true;
        self
    }

    /// How long browsers may cache a preflight's answer (`None`: not at all).
    pub fn max_age(mut self, seconds: Option<usize>) -> Self {
        self.max_age = seconds;
        self
    }

    /// What is wrong with the policy, if anything.
    fn problem(&self) -> Option<String> {
        if self.origins == Origins::Any && self.credentials {
            return Some(
                "CORS: allow_any_origin() cannot be combined with allow_credentials(): every \
                 website could then call the API with its visitors' cookies; list the origins \
                 with allow_origin(...) instead"
                    .to_owned(),
            );
        }
        if let Origins::List(origins) = &self.origins {
            for origin in origins {
                if origin.contains('*') {
                    return Some(format!(
                        "CORS: origin {origin:?} has a wildcard; use allow_any_origin() for any \
                         origin, or list each one"
                    ));
                }
                if origin.parse::<actix_web::http::Uri>().is_err() || !origin.contains("://") {
                    return Some(format!(
                        "CORS: origin {origin:?} is not of the form scheme://host[:port]"
                    ));
                }
            }
        }
        if let Some(method) = self.methods.iter().find(|m| m.parse::<Method>().is_err()) {
            return Some(format!("CORS: {method:?} is not an HTTP method"));
        }
        let headers = self.headers.iter().flatten().chain(&self.expose);
        if let Some(header) = headers
            .into_iter()
            .find(|h| h.parse::<HeaderName>().is_err())
        {
            return Some(format!("CORS: {header:?} is not a header name"));
        }
        None
    }

    /// The actix-cors middleware for this policy (valid: checked before).
    fn build(&self) -> actix_cors::Cors {
        let mut cors = actix_cors::Cors::default().block_on_origin_mismatch(false);
        cors = match &self.origins {
            Origins::Any => cors.allow_any_origin().send_wildcard(),
            Origins::List(list) => list.iter().fold(cors, |c, o| c.allowed_origin(o)),
        };
        cors = cors.allowed_methods(self.methods.iter().map(String::as_str));
        cors = match &self.headers {
            None => cors.allow_any_header(),
            Some(list) => cors.allowed_headers(list.iter().map(String::as_str)),
        };
        cors = cors.expose_headers(self.expose.iter().map(String::as_str));
        if self.credentials {
            cors = cors.supports_credentials();
        }
        cors.max_age(self.max_age)
    }
}

impl From<Cors> for Middleware {
    fn from(cors: Cors) -> Self {
        let problem = cors.problem();
        let mut middleware = Middleware::actix("CORS", move || cors.build());
        middleware.placement = Placement::AroundApp;
        middleware.preflight = true;
        middleware.problem = problem;
        middleware
    }
}
