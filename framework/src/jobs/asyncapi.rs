//! `/asyncapi.json`: the queues and their payloads, as an AsyncAPI 3.0 document
//! generated from the same types the code enqueues and handles.
//!
//! Each registered job type is a channel (its queue, with its AMQP binding), a
//! `send` operation (enqueue) and a `receive` operation (the worker), and a message
//! whose payload is the job type's JSON Schema and whose headers are the ones every
//! job carries (`traceparent`, `x-request-id`, `x-attempts`, ...; the job id is the
//! message's `message-id`).

use serde_json::{Map, Value, json};

use super::{Catalog, JobQueue};
use crate::{Json, Router, State};

/// The AsyncAPI 3.0 document of `catalog`'s jobs, titled `title`.
///
/// ```
/// use apiarist::jobs::{JobQueue, MemoryBroker, asyncapi};
/// use std::sync::Arc;
///
/// let queue = JobQueue::new(Arc::new(MemoryBroker::new()));
/// let doc = asyncapi::document("orders jobs", "1.0.0", queue.catalog());
/// assert_eq!(doc["asyncapi"], "3.0.0");
/// ```
pub fn document(title: &str, version: &str, catalog: &Catalog) -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    for job in catalog.jobs() {
        let mut payload = job.schema.clone();
        // Definitions nested in the payload move to components, refs follow them.
        if let Some(defs) = payload.as_object_mut().and_then(|o| o.remove("$defs"))
            && let Value::Object(defs) = defs
        {
            schemas.extend(defs);
        }
        retarget_refs(&mut payload);
        let channel = json!({
            "address": job.name,
            "title": job.name,
            "messages": {job.type_name: {"$ref": format!("#/components/messages/{}", job.type_name)}},
            "bindings": {"amqp": {
                "is": "queue",
                "queue": {"name": job.name, "durable": true, "exclusive": false, "autoDelete": false},
                "bindingVersion": "0.3.0"
            }}
        });
        channels.insert(job.name.to_owned(), channel);
        let channel_ref = json!({"$ref": format!("#/channels/{}", job.name)});
        let message_ref =
            json!([{"$ref": format!("#/channels/{}/messages/{}", job.name, job.type_name)}]);
        operations.insert(
            format!("enqueue.{}", job.name),
            json!({"action": "send", "channel": channel_ref, "messages": message_ref,
                   "summary": format!("Enqueue {}", job.type_name)}),
        );
        operations.insert(
            format!("handle.{}", job.name),
            json!({"action": "receive", "channel": channel_ref, "messages": message_ref,
                   "summary": format!("Handle {} (at most {} attempts, then dead-lettered)",
                                      job.type_name, job.max_attempts)}),
        );
        let mut message = json!({
            "name": job.type_name,
            "title": job.type_name,
            "contentType": "application/json",
            "payload": payload,
            "headers": {"$ref": "#/components/schemas/JobHeaders"},
        });
        if let Some(description) = &job.description {
            message["description"] = json!(description);
        }
        messages.insert(job.type_name.to_owned(), message);
    }
    schemas.insert(
        "JobHeaders".to_owned(),
        json!({
            "type": "object",
            "properties": {
                "traceparent": {"type": "string", "description": "W3C trace context of the request that enqueued the job"},
                "x-request-id": {"type": "string", "description": "The enqueuing request's id"},
                "x-attempts": {"type": "integer", "description": "Attempts made so far (absent: none)"},
                "x-last-error": {"type": "string", "description": "Why the last attempt failed"},
                "x-idempotency-key": {"type": "string", "description": "Jobs with the same key run their effect once"}
            }
        }),
    );
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version,
                 "description": "Background jobs: durable queues, retried with backoff, dead-lettered after their attempts."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas}
    })
}

/// Points `#/$defs/X` references at `#/components/schemas/X`.
pub(crate) fn retarget_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/$defs/")
            {
                *r = format!("#/components/schemas/{name}");
            }
            map.values_mut().for_each(retarget_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(retarget_refs),
        _ => {}
    }
}

/// The AsyncAPI document of this service's jobs.
///
/// Every queue, its payload schema and headers, generated from the job types; and
/// the domain events of the app's `EventBus`, if it has one.
#[apistos::api_operation(tag = "jobs", summary = "AsyncAPI document of the job queues")]
pub(crate) async fn asyncapi_json(
    queue: State<JobQueue>,
    req: actix_web::HttpRequest,
) -> Json<Value> {
    let mut doc = document("jobs", env!("CARGO_PKG_VERSION"), queue.catalog());
    if let Some(bus) = req.app_data::<actix_web::web::Data<crate::events::EventBus>>() {
        crate::events::asyncapi::add_events(&mut doc, bus.catalog());
    }
    Json(doc)
}

/// `GET /asyncapi.json` for the [`JobQueue`] in state (and the
/// [`EventBus`](crate::events::EventBus), if any), to include in a service's router
/// (beside [`operator_router`](super::operator_router)).
pub fn router() -> Router {
    Router::new().get("/asyncapi.json", asyncapi_json)
}
