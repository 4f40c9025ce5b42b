//! What a service's bus knows about its event types: for the AsyncAPI document.

use std::sync::Arc;

use serde_json::Value;

use super::Event;

/// One event type: its name (and channel), payload type and schema.
#[derive(Debug, Clone, PartialEq)]
pub struct EventInfo {
    /// [`Event::NAME`].
    pub name: &'static str,
    /// The payload type's name, e.g. `OrderStatusChanged`.
    pub type_name: &'static str,
    /// The payload's JSON Schema (draft 2020-12).
    pub schema: Value,
    /// The payload type's doc comment, if any.
    pub description: Option<String>,
}

impl EventInfo {
    /// The facts of event type `E`.
    ///
    /// ```
    /// use apiarist::events::{Event, EventInfo};
    ///
    /// /// Stock of an item changed.
    /// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
    /// struct StockChanged { item_id: i64 }
    /// impl Event for StockChanged { const NAME: &'static str = "items.stock_changed"; }
    ///
    /// let info = EventInfo::of::<StockChanged>();
    /// assert_eq!((info.name, info.type_name), ("items.stock_changed", "StockChanged"));
    /// assert_eq!(info.description.as_deref(), Some("Stock of an item changed."));
    /// ```
    pub fn of<E: Event>() -> Self {
        let (type_name, schema, description) = crate::jobs::payload_facts::<E>();
        Self {
            name: E::NAME,
            type_name,
            schema,
            description,
        }
    }
}

/// The event types registered on a bus, in registration order.
#[derive(Debug, Clone, Default)]
pub struct EventCatalog(Arc<Vec<EventInfo>>);

impl EventCatalog {
    pub(super) fn add(&mut self, info: EventInfo) {
        if !self.0.iter().any(|e| e.name == info.name) {
            Arc::make_mut(&mut self.0).push(info);
        }
    }

    /// Every registered event type.
    pub fn events(&self) -> &[EventInfo] {
        &self.0
    }
}
