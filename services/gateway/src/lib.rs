//! The demo stack's entry point: every domain service behind one address, with
//! one merged API document.
//!
//! The gateway is an [`apiarist::gateway::Gateway`] configured with the demo's
//! route table ([`services`]): `/users`, `/token` and `/admin` go to the users
//! service, `/`, `/items`, `/models` and `/hello` to items, `/orders`,
//! `/ws/orders` (its WebSocket) and `/admin/jobs` to orders. It serves `/openapi.json` (every service's, merged),
//! `/docs`, `/redoc`, `/scalar`, `/asyncapi.json`, `/healthz` and `/readyz` itself.
//!
//! It runs in one of two modes, chosen by the environment ([`settings`]):
//!
//! - **proxy** (any of `USERS_URL`, `ITEMS_URL`, `ORDERS_URL` set): the services
//!   are processes of their own (docker compose), the gateway forwards to them;
//! - **all-in-one** (none set; `cargo run`): the gateway first starts every
//!   service of the table in this process ([`embedded`]), each in its own thread
//!   and actix system, on free ports of 127.0.0.1, with SQLite files and the
//!   in-process job queue by default, then forwards to them exactly as in proxy
//!   mode. Each entry of [`SERVICES`] carries the hook that configures its service
//!   ([`launch`]), so a service added to the table is started too.
//!
//! Either way every request crosses the same proxy and every service is served by
//! the same `build(config)` as its own binary: no code path belongs to one mode.

pub mod embedded;
pub mod launch;
pub mod services;
pub mod settings;

use std::net::TcpListener;

pub use embedded::{Plan, Stack};
pub use services::{SERVICES, Service, ServiceUrls, gateway};
pub use settings::{Mode, Settings};

/// The body of `main`: binds `HOST:PORT`, starts the services in all-in-one mode,
/// and serves the gateway until SIGINT/SIGTERM; then stops the services.
pub async fn run(settings: Settings) -> std::io::Result<()> {
    // Bind first: a port in use fails before anything starts.
    let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
    let (urls, stack) = match &settings.mode {
        Mode::Proxy(urls) => (urls.clone(), None),
        Mode::AllInOne => {
            tracing::info!("all-in-one: starting the services in this process");
            let failed = |e: Box<dyn std::error::Error>| {
                std::io::Error::other(format!("start-up failed: {e}"))
            };
            let plan = Plan::from_env().map_err(failed)?;
            let stack = Stack::start(plan).await.map_err(failed)?;
            (stack.urls().clone(), Some(stack))
        }
    };
    let served = gateway(&urls, settings.timeout, settings.docs_ttl)
        .serve_on(listener)
        .await;
    if let Some(stack) = stack {
        stack.stop().await;
    }
    served
}
