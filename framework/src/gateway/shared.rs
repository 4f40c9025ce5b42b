//! What every worker's handlers share, and the gateway's own calls to its services
//! (documents, readiness).

use std::sync::Arc;

use actix_web::{
    http::{StatusCode, header},
    web,
};
use serde_json::{Value, json};

use super::{Config, Upstream, closing, docs, proxy};

/// What every worker's handlers share: the configuration, the document cache,
/// and this worker's HTTP client (an `awc::Client` belongs to one thread).
pub(super) struct Shared {
    pub(super) config: Arc<Config>,
    pub(super) cache: Arc<docs::DocCache>,
    pub(super) closing: closing::Closing,
    pub(super) client: awc::Client,
}

impl Shared {
    /// `GET <service><path>` with the probe timeout, for the gateway's own use:
    /// the status and the body (at most 16 MiB), or why there is none.
    pub(super) async fn probe(
        &self,
        upstream: &Upstream,
        path: &str,
    ) -> Result<(StatusCode, web::Bytes), String> {
        let timeout = self.config.probe_timeout();
        let asked = async {
            let mut response = self
                .client
                .get(format!("{}{path}", upstream.base()))
                .insert_header((header::ACCEPT, "application/json"))
                .send()
                .await
                .map_err(|e| match e {
                    awc::error::SendRequestError::Connect(e) => format!("unreachable: {e}"),
                    e => e.to_string(),
                })?;
            let body = response
                .body()
                .limit(16 * 1024 * 1024)
                .await
                .map_err(|e| format!("reading the answer: {e}"))?;
            Ok((response.status(), body))
        };
        actix_web::rt::time::timeout(timeout, asked)
            .await
            .unwrap_or_else(|_| Err(format!("timed out after {}", proxy::seconds(timeout))))
    }

    /// The merged documents' `info`.
    pub(super) fn info(&self, description: Option<String>) -> Value {
        let mut info = json!({"title": self.config.title, "version": self.config.version});
        let description = match (&self.config.description, description) {
            (Some(ours), Some(more)) => Some(format!("{ours}\n\n{more}")),
            (ours, more) => more.or_else(|| ours.clone()),
        };
        if let Some(description) = description {
            info["description"] = json!(description);
        }
        info
    }
}
