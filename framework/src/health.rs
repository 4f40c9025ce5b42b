//! Liveness: `GET /healthz` answers 200 while the process serves requests.
//!
//! Readiness (`/readyz`, which checks the database and the broker) belongs to the
//! components that own those connections and is added with them.

use apistos::{ApiComponent, api_operation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Json, Router};

/// The body of `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, ApiComponent, PartialEq, Eq)]
pub struct Health {
    /// Always `"ok"` when the process answers.
    pub status: String,
}

/// Liveness probe.
///
/// Answers 200 `{"status": "ok"}` as long as the process serves requests.
#[api_operation(tag = "health", summary = "Liveness probe")]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
    })
}

pub(crate) fn router() -> Router {
    Router::new().get("/healthz", healthz)
}
