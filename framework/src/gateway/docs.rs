//! The merged `/openapi.json` and `/asyncapi.json`, from the services' own.
//!
//! A service's document is fetched when the gateway's is asked for, and kept for
//! the gateway's `docs_ttl` (services are redeployed, their documents change). A
//! service that did not answer is asked again a second later at the earliest, on
//! the next request: the docs heal by themselves when it comes back. Meanwhile the
//! last document it gave (if any) stands in for it, and `x-services` in the merged
//! document says, per service, whether its part is `current`, `stale` or
//! `unavailable` (or, for AsyncAPI, that it has `none`).
//!
//! Only the paths the gateway routes to a service are taken from its document: a
//! service's `/healthz` is not the gateway's, and a path nobody routes to would be
//! a lie in the docs.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{HttpResponse, http::header, web};
use futures_util::future::join_all;
use serde_json::{Map, Value, json};

use super::{Shared, Upstream, merge};

/// How soon a service whose document could not be fetched is asked again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    OpenApi,
    AsyncApi,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::OpenApi => "/openapi.json",
            Kind::AsyncApi => "/asyncapi.json",
        }
    }
}

/// The services' documents, shared by the gateway's workers.
#[derive(Debug, Default)]
pub(super) struct DocCache {
    entries: Mutex<HashMap<(Kind, String), Entry>>,
}

#[derive(Debug, Clone)]
struct Entry {
    at: Instant,
    fetched: Fetched,
    /// The last document the service gave, to stand in while it is away.
    last: Option<Arc<Value>>,
}

#[derive(Debug, Clone)]
enum Fetched {
    Document(Arc<Value>),
    /// The service has no such document (a 404).
    Absent,
    Failed(String),
}

/// What the merge gets of one service.
enum Source {
    Current(Arc<Value>),
    Stale(Arc<Value>),
    Absent,
    Unavailable,
}

impl Source {
    fn document(&self) -> Option<&Value> {
        match self {
            Source::Current(doc) | Source::Stale(doc) => Some(doc),
            Source::Absent | Source::Unavailable => None,
        }
    }

    fn status(&self) -> &'static str {
        match self {
            Source::Current(_) => "current",
            Source::Stale(_) => "stale",
            Source::Absent => "none",
            Source::Unavailable => "unavailable",
        }
    }
}

impl DocCache {
    fn cached(&self, key: &(Kind, String)) -> Option<Entry> {
        self.entries
            .lock()
            .expect("the document cache is never poisoned")
            .get(key)
            .cloned()
    }

    fn store(&self, key: (Kind, String), fetched: Fetched) -> Entry {
        let mut entries = self
            .entries
            .lock()
            .expect("the document cache is never poisoned");
        let previous = entries.get(&key);
        let was_failing = previous.map(|e| matches!(e.fetched, Fetched::Failed(_)));
        let (service, path) = (&key.1, key.0.path());
        match (&fetched, was_failing) {
            (Fetched::Failed(_), Some(true)) => {}
            (Fetched::Failed(reason), _) => {
                tracing::warn!(%service, path, %reason, "cannot fetch the service's document");
            }
            (_, Some(true)) => tracing::info!(%service, path, "the service's document is back"),
            _ => {}
        }
        let last = match &fetched {
            Fetched::Document(doc) => Some(doc.clone()),
            Fetched::Absent => None,
            Fetched::Failed(_) => previous.and_then(|e| e.last.clone()),
        };
        let entry = Entry {
            at: Instant::now(),
            fetched,
            last,
        };
        entries.insert(key, entry.clone());
        entry
    }
}

impl Shared {
    async fn source(&self, kind: Kind, upstream: &Upstream) -> Source {
        let key = (kind, upstream.name.clone());
        let entry = match self.cache.cached(&key) {
            Some(entry) if entry.at.elapsed() < self.reuse_for(&entry.fetched) => entry,
            _ => {
                let fetched = self.fetch(kind, upstream).await;
                self.cache.store(key, fetched)
            }
        };
        match (entry.fetched, entry.last) {
            (Fetched::Document(doc), _) => Source::Current(doc),
            (Fetched::Absent, _) => Source::Absent,
            (Fetched::Failed(_), Some(last)) => Source::Stale(last),
            (Fetched::Failed(_), None) => Source::Unavailable,
        }
    }

    fn reuse_for(&self, fetched: &Fetched) -> Duration {
        match fetched {
            Fetched::Failed(_) => RETRY_AFTER_FAILURE,
            Fetched::Document(_) | Fetched::Absent => self.config.docs_ttl,
        }
    }

    async fn fetch(&self, kind: Kind, upstream: &Upstream) -> Fetched {
        match self.probe(upstream, kind.path()).await {
            Ok((status, body)) if status.is_success() => match serde_json::from_slice(&body) {
                Ok(doc) => Fetched::Document(Arc::new(doc)),
                Err(e) => Fetched::Failed(format!("not a JSON document: {e}")),
            },
            Ok((status, _)) if status.as_u16() == 404 => Fetched::Absent,
            Ok((status, _)) => Fetched::Failed(format!("answered {status}")),
            Err(reason) => Fetched::Failed(reason),
        }
    }

    /// Every service's document of `kind`, fetched at once.
    async fn sources(&self, kind: Kind) -> Vec<Source> {
        join_all(self.config.upstreams.iter().map(|u| self.source(kind, u))).await
    }

    /// `doc` with only the paths the gateway routes to service `index`.
    fn routed_only(&self, doc: &Value, index: usize) -> Value {
        let mut doc = doc.clone();
        if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
            paths.retain(|path, _| self.config.table.route(path) == Some(index));
        }
        doc
    }
}

/// `GET /openapi.json`: the services' OpenAPI documents, merged.
pub(super) async fn openapi(shared: web::Data<Shared>) -> HttpResponse {
    let sources = shared.sources(Kind::OpenApi).await;
    let mut documents = Vec::new();
    let mut services = Map::new();
    let mut missing = Vec::new();
    for (index, (upstream, source)) in shared.config.upstreams.iter().zip(&sources).enumerate() {
        services.insert(upstream.name.clone(), json!({"status": source.status()}));
        if let Some(doc) = source.document() {
            documents.push((upstream.name.clone(), shared.routed_only(doc, index)));
        }
        if matches!(source, Source::Unavailable) {
            missing.push(upstream.name.as_str());
        }
    }
    let names: Vec<&str> = shared
        .config
        .upstreams
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    let mut note = format!("Services behind this gateway: {}.", names.join(", "));
    if !missing.is_empty() {
        note.push_str(&format!(
            " Not answering right now, so missing here: {}.",
            missing.join(", ")
        ));
    }
    let mut merged = merge::openapi(shared.info(Some(note)), documents);
    add_own_paths(&mut merged);
    merged["x-services"] = Value::Object(services);
    document(merged)
}

/// `GET /asyncapi.json`: the services' AsyncAPI documents, merged.
pub(super) async fn asyncapi(shared: web::Data<Shared>) -> HttpResponse {
    let sources = shared.sources(Kind::AsyncApi).await;
    let mut documents = Vec::new();
    let mut services = Map::new();
    for (upstream, source) in shared.config.upstreams.iter().zip(&sources) {
        services.insert(upstream.name.clone(), json!({"status": source.status()}));
        if let Some(doc) = source.document() {
            documents.push((upstream.name.clone(), doc.clone()));
        }
    }
    let mut merged = merge::asyncapi(shared.info(None), documents);
    merged["x-services"] = Value::Object(services);
    document(merged)
}

fn document(doc: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(doc)
}

/// The gateway's own probes, in the merged document.
fn add_own_paths(doc: &mut Value) {
    let probe = |id: &str, summary: &str, ok: &str, failure: Option<&str>| {
        let mut responses = json!({"200": {"description": ok, "content": {"application/json": {
            "schema": {"type": "object", "properties": {"status": {"type": "string"}}}}}}});
        if let Some(failure) = failure {
            responses["503"] = json!({"description": failure, "content": {"application/json": {
                "schema": {"type": "object", "properties": {"detail": {"type": "object"}}}}}});
        }
        json!({"get": {"tags": ["gateway"], "operationId": id, "summary": summary, "responses": responses}})
    };
    doc["paths"]["/healthz"] = probe(
        "gateway_healthz",
        "Liveness probe of the gateway",
        "The gateway is up",
        None,
    );
    doc["paths"]["/readyz"] = probe(
        "gateway_readyz",
        "Readiness of every service",
        "Every service is ready; `services` has each one's report",
        Some("A service is not ready: `detail.unavailable` names it, `detail.services` says why"),
    );
    let tag = json!({"name": "gateway", "description": "The gateway's own routes"});
    match doc.get_mut("tags").and_then(Value::as_array_mut) {
        Some(tags) => tags.push(tag),
        None => doc["tags"] = json!([tag]),
    }
    let group = json!({"name": "gateway", "tags": ["gateway"]});
    match doc.get_mut("x-tagGroups").and_then(Value::as_array_mut) {
        Some(groups) => groups.push(group),
        None => doc["x-tagGroups"] = json!([group]),
    }
}
