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

/// A check of one dependency: `Ok(what answered)` or `Err(why not)`.
pub(crate) type Probe = std::sync::Arc<
    dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>>>>
        + Send
        + Sync,
>;

/// What `/readyz` checks, by name (see [`App::ready_check`](crate::App::ready_check)
/// and [`App::ready_probe`](crate::App::ready_probe)).
#[derive(Clone, Default)]
pub(crate) struct ReadinessChecks(pub(crate) Vec<(String, Probe)>);

impl std::fmt::Debug for ReadinessChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| n))
            .finish()
    }
}

impl ReadinessChecks {
    pub(crate) fn database(db: Database) -> Probe {
        std::sync::Arc::new(move || {
            let db = db.clone();
            Box::pin(async move {
                let readiness = db.ready().await;
                let backend = readiness.backend.as_str();
                match (readiness.ready, readiness.reason) {
                    (true, _) => Ok(backend.to_owned()),
                    (false, reason) => Err(format!(
                        "{backend}: {}",
                        reason.as_deref().unwrap_or("not ready")
                    )),
                }
            })
        })
    }
}

/// Readiness probe.
///
/// Answers 200 `{"status": "ready", ...}` when the service's database answers a ping,
/// and 503 `{"detail": {"status": "unavailable", "reason": ...}}` when it does not.
#[api_operation(tag = "health", summary = "Readiness probe", error_code = 503)]
pub(crate) async fn readyz(req: HttpRequest) -> Result<Json<Ready>, HttpError> {
    if let Some(checks) = req.app_data::<ReadinessChecks>() {
        let mut ready = std::collections::BTreeMap::new();
        for (name, probe) in &checks.0 {
            let answer = probe().await.map_err(|reason| {
                unavailable(serde_json::json!({"check": name, "reason": reason}))
            })?;
            ready.insert(name.clone(), answer);
        }
        return Ok(Json(Ready {
            status: "ready".to_owned(),
            database: None,
            checks: ready,
        }));
    }
    // Without named checks: the app's own database, if it has one.
    let database = match req.app_data::<web::Data<Database>>() {
        Some(db) => {
            let probe = ReadinessChecks::database(db.get_ref().clone());
            let answer = probe().await.map_err(|reason| {
                let backend = db.backend().as_str();
                unavailable(serde_json::json!({"database": backend, "reason": reason}))
            })?;
            Some(answer)
        }
        None => None,
    };
    Ok(Json(Ready {
        status: "ready".to_owned(),
        database,
        checks: Default::default(),
    }))
}

/// `503 {"detail": {"status": "unavailable", ...what failed}}`.
fn unavailable(mut detail: serde_json::Value) -> HttpError {
    detail["status"] = serde_json::json!("unavailable");
    HttpError::new(503, detail)
}

pub(crate) fn router() -> Router {
    Router::new()
        .get("/healthz", healthz)
        .get("/readyz", readyz)
}
