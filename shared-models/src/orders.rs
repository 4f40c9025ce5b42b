//! The orders contract: placing an order, reading it, the jobs that confirm it, and
//! the event that tells whoever listens that an order moved on.

use apiarist::{
    events::Event,
    jobs::{Job, JobError},
};
use apistos::ApiComponent;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// What a client sends to place an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct OrderCreate {
    /// The item to order.
    #[validate(range(exclusive_min = 0))]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub item_id: i64,
    /// How many units.
    #[validate(range(min = 1, max = 1000))]
    pub quantity: i64,
}

/// Where an order is in its life. Statuses are ordered as an order lives them
/// (`Pending < Confirmed`): an order never goes back.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Placed, stock reserved, waiting for confirmation.
    Pending,
    /// Confirmed by the `ConfirmOrder` job.
    Confirmed,
}

impl OrderStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(OrderStatus::Pending),
            "confirmed" => Some(OrderStatus::Confirmed),
            _ => None,
        }
    }
}

/// An order as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct OrderResponse {
    /// The order's id.
    pub id: i64,
    /// The ordered item.
    pub item_id: i64,
    /// Units ordered.
    pub quantity: i64,
    /// `pending`, then `confirmed`.
    pub status: OrderStatus,
    /// Who placed it (the token's subject).
    pub owner: String,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
}

/// The body of `409` when an item has too few units (the seed's
/// `InsufficientStockError`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct InsufficientStockBody {
    /// Always `"insufficient_stock"`.
    pub error: String,
    /// `Item 7: requested 4, only 3 available`.
    pub detail: String,
}

/// Job: confirm a pending order (and have its buyer notified).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConfirmOrder {
    /// The order to confirm.
    pub order_id: i64,
}

impl actix::Message for ConfirmOrder {
    type Result = Result<(), JobError>;
}

impl Job for ConfirmOrder {
    const NAME: &'static str = "orders.confirm";
}

/// Job: record a notification about an order (the seed's audit log and e-mail, done
/// durably).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NotifyOrder {
    /// The order concerned.
    pub order_id: i64,
    /// What happened, e.g. `"confirmed"`.
    pub event: String,
}

impl actix::Message for NotifyOrder {
    type Result = Result<(), JobError>;
}

impl Job for NotifyOrder {
    const NAME: &'static str = "orders.notify";
}

/// Event: an order moved to another status, published when it is placed (`pending`)
/// and when its `ConfirmOrder` job confirms it (`confirmed`), by whichever process
/// did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderStatusChanged {
    /// The order.
    pub order_id: i64,
    /// Its new status.
    pub status: OrderStatus,
    /// Who placed it (the token's subject): only they hear about it.
    pub owner: String,
    /// When it changed (the stored `updated_at`, to the microsecond).
    pub at: DateTime<Utc>,
}

impl Event for OrderStatusChanged {
    const NAME: &'static str = "orders.status_changed";
}

/// What the order status streams (`GET /ws/orders`, `GET /orders/events`) send the
/// order's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct OrderStatusUpdate {
    /// The order.
    pub order_id: i64,
    /// Its new status.
    pub status: OrderStatus,
}

impl From<&OrderStatusChanged> for OrderStatusUpdate {
    fn from(change: &OrderStatusChanged) -> Self {
        OrderStatusUpdate {
            order_id: change.order_id,
            status: change.status,
        }
    }
}
