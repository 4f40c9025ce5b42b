//! The items catalogue's contract (the seed articles' `ItemCreate` / `ItemResponse`),
//! and the internal one other services use: stock reservations and the item count
//! (see [`crate::clients::ItemsClient`]).

use apistos::ApiComponent;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

/// What a client sends to create an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct ItemCreate {
    /// The item's name.
    #[validate(length(min = 1, max = 100))]
    #[schemars(example = &"Widget")]
    pub name: String,
    /// An optional description.
    #[validate(length(max = 500))]
    #[serde(default)]
    pub description: Option<String>,
    /// Price in USD.
    #[validate(range(exclusive_min = 0.0, max = 1_000_000.0))]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub price: f64,
    /// Tax in USD, added to the price.
    #[validate(range(min = 0.0))]
    #[serde(default)]
    pub tax: Option<f64>,
    /// Free-form labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Units in stock.
    #[validate(range(min = 0))]
    #[serde(default = "default_stock")]
    pub stock: i64,
}

fn default_stock() -> i64 {
    5
}

/// An item as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct ItemResponse {
    /// The item's id.
    pub id: i64,
    /// The item's name.
    pub name: String,
    /// The description, if any.
    pub description: Option<String>,
    /// Price in USD.
    pub price: f64,
    /// Price plus tax; `null` when the item has no tax.
    pub price_with_tax: Option<f64>,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Units in stock.
    pub stock: i64,
    /// Whether any unit is in stock.
    pub in_stock: bool,
    /// When the item was created (RFC 3339).
    pub created_at: DateTime<Utc>,
}

/// What the orders service sends to reserve stock: `PUT
/// /internal/reservations/{reservation_id}` with this body.
///
/// The reservation id is the caller's, so a retried call reserves once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct ReservationCreate {
    /// The item to take units of.
    #[validate(range(exclusive_min = 0))]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub item_id: i64,
    /// How many units.
    #[validate(range(min = 1, max = 1_000_000))]
    pub quantity: i64,
}

/// A reservation of stock, as the items service answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct Reservation {
    /// The caller's id for it.
    pub reservation_id: Uuid,
    /// The item.
    pub item_id: i64,
    /// Units taken (or, once released, given back).
    pub quantity: i64,
    /// `reserved`, or `released` once given back.
    pub state: ReservationState,
}

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReservationState {
    /// The units are taken out of stock.
    Reserved,
    /// The units were given back (or the reservation was cancelled before it was
    /// made, so it never will be).
    Released,
}

impl ReservationState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationState::Reserved => "reserved",
            ReservationState::Released => "released",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "reserved" => Some(ReservationState::Reserved),
            "released" => Some(ReservationState::Released),
            _ => None,
        }
    }
}

/// The body of `409` when a reservation cannot be made: too few units (`available`
/// says how many there are), or the reservation id was released already.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct StockConflict {
    /// What went wrong, e.g. `Item 7: requested 4, only 3 available`.
    pub detail: String,
    /// Units in stock, when that is why.
    pub available: Option<i64>,
}

/// How many items the catalogue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct ItemCount {
    /// The number of items.
    pub count: u64,
}

/// An item's image, as stored by `PUT /items/{item_id}/image` (the image itself is
/// `GET /items/{item_id}/image`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, ApiComponent)]
pub struct ItemImage {
    /// The item.
    pub item_id: i64,
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
}
