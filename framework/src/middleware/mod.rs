//! Middleware: code around the handlers, per app or per router.
//!
//! Every app has the framework's core layer ([`RequestId`], tracing span, panics
//! as 500s, JSON errors, metrics). On top of it, [`App::middleware`](crate::App::middleware)
//! and [`Router::middleware`](crate::Router::middleware) add layers:
//!
//! | middleware | answers | added to an app, runs |
//! | --- | --- | --- |
//! | [`TrustedHosts`] | 400 for another `Host` | around the app |
//! | [`HttpsRedirect`] | 307 to `https://` | around the app |
//! | [`Cors`] | preflights; CORS headers | around the app |
//! | [`Compression`] | brotli / gzip bodies | around the app |
//! | [`RateLimit`](crate::ratelimit::RateLimit) | 429 + `Retry-After` | on each route |
//! | [`BodyLimit`] | 413 naming the limit | on each route |
//! | [`Timeout`] | 504, the handler cancelled | on each route |
//! | [`from_fn`] (yours) | what you decide | on each route |
//! | [`Middleware::actix`] (any actix-web middleware) | | around the app |
//!
//! "Around the app" layers see every request, unknown paths and the docs pages
//! included, before routing. "On each route" layers run after routing, so path
//! parameters, router state and dependencies ([`dependency`]) are available to
//! them; added to an app they cover each of its routes. Added to a router, every
//! kind runs on that router's routes only (a router with [`Cors`] also answers
//! `OPTIONS` preflights on its paths).
//!
//! **Order.** The first added is the outermost: it sees the request first and the
//! response last. App layers wrap router layers, an including router's wrap the
//! included router's. A good order is the table's: reject bad hosts and plain HTTP
//! first, put CORS outside anything that can answer an error (so browsers can read
//! the 429, 413 or 504), then limits, then your own.
//!
//! ```
//! use std::time::Duration;
//! use apiarist::{App, Router, middleware::{BodyLimit, Compression, Cors, Timeout}, ratelimit::RateLimit};
//!
//! let uploads = Router::with_prefix("/uploads").middleware(BodyLimit::new(20 << 20));
//! let app = App::new("svc")
//!     .middleware(Cors::new().allow_origin("https://app.example.com"))
//!     .middleware(Compression::default())
//!     .middleware(RateLimit::per_ip(100, Duration::from_secs(60)))
//!     .middleware(Timeout::new(Duration::from_secs(30)))
//!     .include(uploads);
//! app.check().unwrap();
//! ```

mod compress;
mod core;
mod cors;
mod custom;
mod encode;
mod hosts;
mod layer;
mod limits;
mod lost;
mod render;
mod request_id;

pub(crate) use self::core::{Core, CoreConfig, ExceptionHandler};
pub use self::request_id::{REQUEST_ID_HEADER, RequestId};
pub use compress::Compression;
pub use cors::Cors;
pub use custom::{Next, dependency, from_fn};
pub use hosts::{HttpsRedirect, TrustedHosts};
pub(crate) use layer::{AppStack, Placement, Stack};
pub use layer::{BoxedService, Middleware};
pub(crate) use limits::BodyLimitInfo;
pub use limits::{BodyLimit, Timeout};

/// The request and response types a [`from_fn`] middleware works with.
pub use actix_web::dev::{ServiceRequest, ServiceResponse};
