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
    /// Every named check, when the app registered several
    /// ([`App::ready_check`](crate::App::ready_check)): name → backend.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub checks: std::collections::BTreeMap<String, String>,
}

/// Databases `/readyz` pings, by name (see [`App::ready_check`](crate::App::ready_check)).
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadinessChecks(pub(crate) Vec<(String, Database)>);

/// Readiness probe.
///
/// Answers 200 `{"status": "ready", ...}` when the service's database answers a ping,
/// and 503 `{"detail": {"status": "unavailable", "reason": ...}}` when it does not.
#[api_operation(tag = "health", summary = "Readiness probe", error_code = 503)]
pub(crate) async fn readyz(req: HttpRequest) -> Result<Json<Ready>, HttpError> {
    if let Some(checks) = req.app_data::<ReadinessChecks>() {
        let mut ready = std::collections::BTreeMap::new();
        for (name, db) in &checks.0 {
            let readiness = db.ready().await;
            let backend = readiness.backend.as_str().to_owned();
            if !readiness.ready {
                return Err(HttpError::new(
                    503,
                    serde_json::json!({
                        "status": "unavailable",
                        "check": name,
                        "database": backend,
                        "reason": readiness.reason.unwrap_or_else(|| "not ready".to_owned()),
                    }),
                ));
            }
            ready.insert(name.clone(), backend);
        }
        return Ok(Json(Ready {
            status: "ready".to_owned(),
            database: None,
            checks: ready,
        }));
    }
    let Some(db) = req.app_data::<web::Data<Database>>() else {
        return Ok(Json(Ready {
            status: "ready".to_owned(),
            database: None,
            checks: Default::default(),
        }));
    };
    let readiness = db.ready().await;
    let backend = readiness.backend.as_str().to_owned();
    if readiness.ready {
        Ok(Json(Ready {
            status: "ready".to_owned(),
            database: Some(backend),
            checks: Default::default(),
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
