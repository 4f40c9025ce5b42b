//! Rate limiting: at most N requests per window, per client IP or per any key (a
//! user, an API key), answered `429` with `Retry-After` past it.
//!
//! [`RateLimit`] is a middleware for [`App::middleware`](crate::App::middleware) or
//! [`Router::middleware`](crate::Router::middleware); [`RateLimit::check`] takes
//! from the same allowance anywhere else (a handler, a dependency). The allowance
//! refills continuously (GCRA, see `gcra.rs`): `RateLimit::per_ip(60,
//! Duration::from_secs(60))` allows a burst of 60, then one request a second.
//!
//! The counts live in the process's memory: with several replicas behind a load
//! balancer each replica counts on its own, so the effective limit is the limit
//! times the replicas (and a restart forgets the counts). Login throttling, with
//! lockouts after failed passwords, is [`auth::LoginThrottle`](crate::auth::LoginThrottle).

mod gcra;

use std::{
    fmt,
    future::Future,
    net::IpAddr,
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::{Error, HttpRequest, ResponseError, dev::ServiceRequest, http::StatusCode};

use self::gcra::Limiter;
use crate::{
    HttpError,
    middleware::{Middleware, Placement},
};

type KeyFuture = Pin<Box<dyn Future<Output = Result<Option<String>, Error>>>>;
type KeyFn = dyn Fn(HttpRequest) -> KeyFuture + Send + Sync;

/// Whose allowance a request uses.
#[derive(Clone)]
enum Keys {
    Ip {
        limiter: Arc<Limiter<IpAddr>>,
        behind_proxy: bool,
    },
    Custom {
        limiter: Arc<Limiter<String>>,
        key: Arc<KeyFn>,
    },
}

/// At most `limit` requests per `window` per client: past it, `429 {"detail": "Rate
/// limit exceeded: 5 requests per 60 s"}` with `Retry-After` (seconds).
///
/// ```
/// use std::time::Duration;
/// use apiarist::{App, Router, middleware::dependency, ratelimit::RateLimit, security::Authenticated};
///
/// // Every route: 100 requests a minute per client IP (the proxy's X-Forwarded-For).
/// let app = App::new("svc").middleware(RateLimit::per_ip(100, Duration::from_secs(60)).behind_proxy());
///
/// // A router: 10 a minute per signed-in user (401 without a token).
/// let reports = Router::with_prefix("/reports").middleware(RateLimit::per_key(
///     10,
///     Duration::from_secs(60),
///     |req| async move { Ok(Some(dependency::<Authenticated>(&req).await?.sub.clone())) },
/// ));
/// # let _ = (app, reports);
/// ```
#[derive(Clone)]
pub struct RateLimit {
    limit: u32,
    window: Duration,
    keys: Keys,
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("limit", &self.limit)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// Keys remembered at most per limit (then those back at a full allowance, and if
/// need be others, are forgotten).
const MAX_KEYS: usize = 100_000;

impl RateLimit {
    /// Limits each client IP address: the connection's peer, or with
    /// [`behind_proxy`](Self::behind_proxy) the address the proxy reports.
    pub fn per_ip(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            keys: Keys::Ip {
                limiter: Arc::new(Limiter::new(limit, window, MAX_KEYS)),
                behind_proxy: false,
            },
        }
    }

    /// Limits each key `key` finds for a request (`Ok(None)`: not limited; an
    /// `Err` answers the request, e.g. a 401 from an authentication dependency).
    /// `key` may resolve dependencies with
    /// [`middleware::dependency`](crate::middleware::dependency).
    pub fn per_key<F, Fut>(limit: u32, window: Duration, key: F) -> Self
    where
        F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<String>, Error>> + 'static,
    {
        Self {
            limit,
            window,
            keys: Keys::Custom {
                limiter: Arc::new(Limiter::new(limit, window, MAX_KEYS)),
                key: Arc::new(move |req| Box::pin(key(req))),
            },
        }
    }

    /// For [`per_ip`](Self::per_ip) behind a reverse proxy: the client is the last
    /// address of `X-Forwarded-For` (the one the proxy appended; earlier ones are
    /// the client's to invent). Use it only when such a proxy is always in front.
    pub fn behind_proxy(mut self) -> Self {
        if let Keys::Ip { behind_proxy, .. } = &mut self.keys {
            *behind_proxy = true;
        }
        self
    }

    /// Takes one request from `key`'s allowance (for limits applied in handlers or
    /// dependencies); `Err` renders as the 429.
    ///
    /// ```
    /// use std::time::Duration;
    /// use apiarist::ratelimit::RateLimit;
    ///
    /// let exports = RateLimit::per_key(1, Duration::from_secs(3600), |_| async { Ok(None) });
    /// assert!(exports.check("alice").is_ok());
    /// let refused = exports.check("alice").unwrap_err();
    /// assert_eq!(refused.retry_after_secs(), 3600);
    /// ```
    pub fn check(&self, key: &str) -> Result<(), RateLimited> {
        let now = Instant::now();
        let acquired = match &self.keys {
            Keys::Custom { limiter, .. } => limiter.acquire(key, now),
            Keys::Ip { limiter, .. } => match key.parse::<IpAddr>() {
                Ok(ip) => limiter.acquire(&ip, now),
                Err(_) => Ok(()),
            },
        };
        acquired.map_err(|wait| self.refusal(wait))
    }

    fn refusal(&self, retry_after: Duration) -> RateLimited {
        RateLimited {
            limit: self.limit,
            window: self.window,
            retry_after,
        }
    }

    fn problem(&self) -> Option<String> {
        (self.limit == 0 || self.window.is_zero())
            .then(|| "RateLimit: the limit and the window must be more than zero".to_owned())
    }
}

/// The client address of a request.
fn client_ip(req: &ServiceRequest, behind_proxy: bool) -> Option<IpAddr> {
    if behind_proxy {
        let forwarded = req.headers().get("x-forwarded-for")?.to_str().ok()?;
        return forwarded.rsplit(',').next()?.trim().parse().ok();
    }
    req.peer_addr().map(|addr| addr.ip())
}

/// A request over its rate limit: `429` with `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    limit: u32,
    window: Duration,
    retry_after: Duration,
}

impl RateLimited {
    /// Whole seconds until a request would be allowed (at least 1): `Retry-After`.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        secs.max(1)
    }

    fn to_http_error(&self) -> HttpError {
        HttpError::new(429, self.to_string())
            .with_header("Retry-After", &self.retry_after_secs().to_string())
    }
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let window = self.window.as_secs_f64();
        write!(
            f,
            "Rate limit exceeded: {} requests per {window} s",
            self.limit
        )
    }
}

impl std::error::Error for RateLimited {}

impl ResponseError for RateLimited {
    fn status_code(&self) -> StatusCode {
        StatusCode::TOO_MANY_REQUESTS
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        self.to_http_error().error_response()
    }
}

impl From<RateLimit> for Middleware {
    fn from(limit: RateLimit) -> Self {
        let problem = limit.problem();
        let limit = Arc::new(limit);
        let mut middleware =
            Middleware::layer("rate limit", Placement::PerRoute, move |req, next| {
                let limit = limit.clone();
                match &limit.keys {
                    Keys::Ip {
                        limiter,
                        behind_proxy,
                    } => {
                        let acquired = match client_ip(&req, *behind_proxy) {
                            Some(ip) => limiter.acquire(&ip, Instant::now()),
                            // No address (an in-process test request): not limited.
                            None => Ok(()),
                        };
                        match acquired {
                            Ok(()) => next.call(req),
                            Err(wait) => {
                                let refused =
                                    req.error_response(limit.refusal(wait).to_http_error());
                                Box::pin(std::future::ready(Ok(refused)))
                            }
                        }
                    }
                    Keys::Custom { key, .. } => {
                        let key = key(req.request().clone());
                        Box::pin(async move {
                            let Keys::Custom { limiter, .. } = &limit.keys else {
                                unreachable!("matched above")
                            };
                            match key.await {
                                Err(err) => Ok(req.error_response(err)),
                                Ok(None) => next.call(req).await,
                                Ok(Some(key)) => {
                                    match limiter.acquire(key.as_str(), Instant::now()) {
                                        Ok(()) => next.call(req).await,
                                        Err(wait) => Ok(
                                            req.error_response(limit.refusal(wait).to_http_error())
                                        ),
                                    }
                                }
                            }
                        })
                    }
                }
            });
        middleware.statuses = &[429];
        middleware.problem = problem;
        middleware
    }
}
