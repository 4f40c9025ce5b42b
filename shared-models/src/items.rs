//! The items catalogue's contract (the seed articles' `ItemCreate` / `ItemResponse`).

use apistos::ApiComponent;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
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
