//! Middleware, lifespan, metrics and rate limiting, driven over HTTP (the TestClient,
//! and a real socket where the transport matters): CORS, compression, trusted hosts,
//! HTTPS redirects, body limits, timeouts, custom middleware with dependencies,
//! start-up hooks, `/metrics`, 429s and request ids.

mod compression;
mod cors;
mod custom;
mod hosts;
mod lifespan;
mod limits;
mod metrics;
mod ratelimit;
mod request_ids;
mod support;
