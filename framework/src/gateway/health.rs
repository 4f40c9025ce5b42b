//! The gateway's probes: `GET /healthz` says the gateway itself is up; `GET /readyz`
//! asks every service's `/readyz` at once and reports them all.
//!
//! Readiness is all or nothing, and says who: `200 {"status": "ready", "services":
//! {"items": <its /readyz body>, ...}}`, or `503 {"detail": {"status":
//! "unavailable", "unavailable": ["orders"], "services": {"orders": {"status":
//! "unavailable", "reason": "unreachable: ..."}, ...}}}`. The reasons are for the
//! operator (this is an operations endpoint), so they are kept.

use actix_web::{HttpResponse, web};
use futures_util::future::join_all;
use serde_json::{Map, Value, json};

use super::{Shared, Upstream};

/// `GET /healthz`: 200 while the gateway serves requests.
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: every service's readiness.
pub(super) async fn readyz(shared: web::Data<Shared>) -> HttpResponse {
    let upstreams = &shared.config.upstreams;
    let checks = join_all(upstreams.iter().map(|u| ready(&shared, u))).await;
    let mut services = Map::new();
    let mut unavailable = Vec::new();
    for (upstream, check) in upstreams.iter().zip(checks) {
        let report = check.unwrap_or_else(|reason| {
            unavailable.push(upstream.name.clone());
            json!({"status": "unavailable", "reason": reason})
        });
        services.insert(upstream.name.clone(), report);
    }
    if unavailable.is_empty() {
        HttpResponse::Ok().json(json!({"status": "ready", "services": services}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({"detail": {
            "status": "unavailable",
            "unavailable": unavailable,
            "services": services,
        }}))
    }
}

/// The service's own readiness report, or why it is not ready.
async fn ready(shared: &Shared, upstream: &Upstream) -> Result<Value, String> {
    let (status, body) = shared.probe(upstream, "/readyz").await?;
    let body: Option<Value> = serde_json::from_slice(&body).ok();
    if status.is_success() {
        return Ok(body.unwrap_or_else(|| json!({"status": "ready"})));
    }
    // A service's 503 says why in `detail` (a text, or an object with a `reason`).
    let why = body.as_ref().and_then(|b| b.get("detail")).map(|detail| {
        match (detail.get("reason"), detail.get("check")) {
            (Some(Value::String(reason)), Some(Value::String(check))) => {
                format!("{check}: {reason}")
            }
            (Some(Value::String(reason)), _) => reason.clone(),
            _ => detail
                .as_str()
                .map_or_else(|| detail.to_string(), str::to_owned),
        }
    });
    Err(match why {
        Some(why) => format!("answered {status}: {why}"),
        None => format!("answered {status}"),
    })
}
