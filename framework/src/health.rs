//! Probes: `GET /healthz` (liveness) answers 200 while the process serves requests;
//! `GET /readyz` (readiness) answers 200 when what the service depends on answers
//! (its database, when it has one), 503 with the reason when not.

use apistos::{ApiComponent, api_operation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use actix_web::{HttpRequest, web};

use crate::{HttpError, Json, Router, db::Database};

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

/// The body of `GET /readyz`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, ApiComponent, PartialEq, Eq)]
pub struct Ready {
    /// `"ready"`.
    pub status: String,
    /// The database's backend (`sqlite`, `postgres`), when the service has one.
    pub database: Option<String>,
}

/// Readiness probe.
///
/// Answers 200 `{"status": "ready", ...}` when the service's database answers a ping,
/// and 503 `{"detail": {"status": "unavailable", "reason": ...}}` when it does not.
#[api_operation(tag = "health", summary = "Readiness probe", error_code = 503)]
pub(crate) async fn readyz(req: HttpRequest) -> Result<Json<Ready>, HttpError> {
    let Some(db) = req.app_data::<web::Data<Database>>() else {
        return Ok(Json(Ready {
            status: "ready".to_owned(),
            database: None,
        }));
    };
    let readiness = db.ready().await;
    let backend = readiness.backend.as_str().to_owned();
    if readiness.ready {
        Ok(Json(Ready {
            status: "ready".to_owned(),
            database: Some(backend),
        }))
    } else {
        Err(HttpError::new(
            503,
            serde_json::json!({
                "status": "unavailable",
                "database": backend,
                "reason": readiness.reason.unwrap_or_else(|| "not ready".to_owned()),
            }),
        ))
    }
}

pub(crate) fn router() -> Router {
    Router::new()
        .get("/healthz", healthz)
        .get("/readyz", readyz)
}
