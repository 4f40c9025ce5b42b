//! Prometheus metrics, served at `GET /metrics` by every app (turn off with
//! [`App::metrics(false)`](crate::App::metrics), move with
//! [`App::metrics_path`](crate::App::metrics_path)).
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `http_requests_total` | counter | `method`, `route` (the template, e.g. `/items/{item_id}`), `status` |
//! | `http_request_duration_seconds` | histogram | `method`, `route`, `status` |
//! | `http_requests_in_flight` | gauge | |
//! | `jobs_total` | counter | `queue`, `outcome` (`done`, `retried`, `dead_lettered`) |
//! | `job_duration_seconds` | histogram | `queue`, `outcome` |
//! | `db_pool_connections` | gauge | `database`, `state` (`in_use`, `idle`) |
//! | `db_pool_max_connections` | gauge | `database` |
//!
//! The registry is per process, as Prometheus scrapes processes: an app serves the
//! requests of every app in its process, and the jobs of every worker in it. The
//! pools are those of the app's databases: its `Database` state (`database="default"`)
//! and each [`App::ready_check`](crate::App::ready_check), by its name.
//!
//! The format is Prometheus' text exposition format 0.0.4, rendered here from a
//! handful of atomics rather than through a metrics crate: recording stays two
//! relaxed atomic additions on a handle cached per route, with no lock, allocation
//! or label formatting per request. `/metrics` is not in the OpenAPI document, and
//! it is public like `/healthz`: keep it off the public internet (a network policy,
//! or a router-level guard of your own on another path).
//!
//! ```
//! use apiarist::{App, testing::TestClient};
//!
//! # actix_web::rt::System::new().block_on(async {
//! let client = TestClient::new(App::new("svc")).await;
//! client.get("/healthz").send().await;
//! let metrics = client.get("/metrics").send().await.text();
//! assert!(metrics.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#));
//! # });
//! ```

pub(crate) mod http;
pub(crate) mod jobs;
mod pools;
mod registry;

use actix_web::{HttpResponse, web};

use crate::db::Database;

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// This process's request and job metrics in Prometheus' text format.
///
/// ```
/// let text = apiarist::metrics::render();
/// assert!(text.contains("# TYPE http_requests_total counter"));
/// ```
pub fn render() -> String {
    let mut out = String::with_capacity(4096);
    http::render(&mut out);
    jobs::render(&mut out);
    out
}

/// Serves the metrics (and `databases`' pool usage) at `path`.
pub(crate) fn configure(
    cfg: &mut web::ServiceConfig,
    path: &str,
    databases: Vec<(String, Database)>,
) {
    let databases = std::sync::Arc::new(databases);
    cfg.route(
        path,
        web::get().to(move || {
            let databases = databases.clone();
            async move {
                let mut body = render();
                pools::render(&mut body, &databases).await;
                HttpResponse::Ok().content_type(CONTENT_TYPE).body(body)
            }
        }),
    );
}
