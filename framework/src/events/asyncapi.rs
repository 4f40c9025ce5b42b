//! Events in the AsyncAPI document: each registered [`Event`](super::Event) type is a
//! channel (its fanout exchange, with its AMQP binding), a `send` operation
//! (publish) and a `receive` operation (subscribe), and a message whose payload is
//! the event type's JSON Schema.
//!
//! A service's `/asyncapi.json` ([`jobs::asyncapi::router`](crate::jobs::asyncapi::router))
//! adds the events of the [`EventBus`](super::EventBus) in its app state to its jobs.

use serde_json::{Map, Value, json};

use super::EventCatalog;

/// Adds `catalog`'s events to the AsyncAPI 3.0 document `doc` (channels,
/// operations, messages and their schemas).
///
/// ```
/// use apiarist::events::{Event, EventBus, asyncapi};
/// use apiarist::jobs::{JobQueue, MemoryBroker, asyncapi as jobs_asyncapi};
/// use std::sync::Arc;
///
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// struct OrderConfirmed { order_id: i64 }
/// impl Event for OrderConfirmed { const NAME: &'static str = "orders.confirmed"; }
///
/// let queue = JobQueue::new(Arc::new(MemoryBroker::new()));
/// let mut doc = jobs_asyncapi::document("orders", "1.0.0", queue.catalog());
/// let bus = EventBus::in_process().register::<OrderConfirmed>();
/// asyncapi::add_events(&mut doc, bus.catalog());
/// let channel = &doc["channels"]["events.orders.confirmed"];
/// assert_eq!(channel["bindings"]["amqp"]["exchange"]["type"], "fanout");
/// assert_eq!(doc["operations"]["subscribe.orders.confirmed"]["action"], "receive");
/// ```
pub fn add_events(doc: &mut Value, catalog: &EventCatalog) {
    if catalog.events().is_empty() {
        return;
    }
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    for event in catalog.events() {
        let mut payload = event.schema.clone();
        if let Some(Value::Object(defs)) = payload.as_object_mut().and_then(|o| o.remove("$defs")) {
            schemas.extend(defs);
        }
        crate::jobs::asyncapi::retarget_refs(&mut payload);
        let address = format!("events.{}", event.name);
        channels.insert(
            address.clone(),
            json!({
                "address": address,
                "title": event.name,
                "description": "A fanout exchange: every subscribing process binds an exclusive, \
                                auto-delete queue of its own and gets every event.",
                "messages": {event.type_name: {"$ref": format!("#/components/messages/{}", event.type_name)}},
                "bindings": {"amqp": {
                    "is": "routingKey",
                    "exchange": {"name": address, "type": "fanout", "durable": true, "autoDelete": false},
                    "bindingVersion": "0.3.0"
                }}
            }),
        );
        let channel_ref = json!({"$ref": format!("#/channels/{address}")});
        let message_ref =
            json!([{"$ref": format!("#/channels/{address}/messages/{}", event.type_name)}]);
        operations.insert(
            format!("publish.{}", event.name),
            json!({"action": "send", "channel": channel_ref, "messages": message_ref,
                   "summary": format!("Publish {}", event.type_name)}),
        );
        operations.insert(
            format!("subscribe.{}", event.name),
            json!({"action": "receive", "channel": channel_ref, "messages": message_ref,
                   "summary": format!("Hear every {} published after subscribing (at most once)",
                                      event.type_name)}),
        );
        let mut message = json!({
            "name": event.type_name,
            "title": event.type_name,
            "contentType": "application/json",
            "payload": payload,
        });
        if let Some(description) = &event.description {
            message["description"] = json!(description);
        }
        messages.insert(event.type_name.to_owned(), message);
    }
    if let Some(Value::String(description)) = doc.pointer_mut("/info/description") {
        description.push_str(
            " Domain events: fanout exchanges; every subscriber hears every event published \
             after it subscribed, at most once.",
        );
    }
    merge(doc, "channels", channels);
    merge(doc, "operations", operations);
    let components = &mut doc["components"];
    merge(components, "messages", messages);
    merge(components, "schemas", schemas);
}

/// Adds `entries` to the object `doc[key]` (made an object if it is not one).
fn merge(doc: &mut Value, key: &str, entries: Map<String, Value>) {
    if !doc[key].is_object() {
        doc[key] = Value::Object(Map::new());
    }
    if let Some(object) = doc[key].as_object_mut() {
        object.extend(entries);
    }
}
