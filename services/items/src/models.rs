//! Stored items and the store that holds them.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use shared_models::items::{ItemCreate, ItemResponse};

/// An item as stored: more than the API shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    /// Primary key.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Price in USD.
    pub price: f64,
    /// Tax in USD.
    pub tax: Option<f64>,
    /// Labels.
    pub tags: Vec<String>,
    /// Units in stock.
    pub stock: i64,
    /// What the item cost us: internal, never part of a response.
    pub internal_cost: f64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<&ItemRow> for ItemResponse {
    fn from(row: &ItemRow) -> Self {
        ItemResponse {
            id: row.id,
            name: row.name.clone(),
            description: row.description.clone(),
            price: row.price,
            price_with_tax: row.tax.map(|tax| row.price + tax),
            tags: row.tags.clone(),
            stock: row.stock,
            in_stock: row.stock > 0,
            created_at: row.created_at,
        }
    }
}

/// Filters for listing items.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Rows to skip.
    pub skip: usize,
    /// Rows to return at most.
    pub limit: usize,
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
    /// Only items (not) in stock.
    pub in_stock: Option<bool>,
}

/// The item store (in memory; a later step moves it to the database).
#[derive(Debug, Default)]
pub struct ItemStore {
    rows: Mutex<Vec<ItemRow>>,
}

impl ItemStore {
    fn rows(&self) -> std::sync::MutexGuard<'_, Vec<ItemRow>> {
        // A panic while holding the lock cannot leave a half-written row (every write
        // is a single push), so a poisoned lock is safe to keep using.
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a new item and returns the stored row.
    pub fn create(&self, item: ItemCreate) -> ItemRow {
        let mut rows = self.rows();
        let row = ItemRow {
            id: rows.len() as i64 + 1,
            name: item.name,
            description: item.description,
            price: item.price,
            tax: item.tax,
            tags: item.tags,
            stock: item.stock,
            internal_cost: item.price * 0.6,
            created_at: Utc::now(),
        };
        rows.push(row.clone());
        row
    }

    /// The item with `id`, if any.
    pub fn get(&self, id: i64) -> Option<ItemRow> {
        self.rows().iter().find(|r| r.id == id).cloned()
    }

    /// Items matching `filter`, in id order.
    pub fn list(&self, filter: &ItemFilter) -> Vec<ItemRow> {
        let search = filter.search.as_ref().map(|s| s.to_lowercase());
        self.rows()
            .iter()
            .filter(|r| {
                search
                    .as_ref()
                    .is_none_or(|s| r.name.to_lowercase().contains(s))
            })
            .filter(|r| filter.in_stock.is_none_or(|want| (r.stock > 0) == want))
            .skip(filter.skip)
            .take(filter.limit)
            .cloned()
            .collect()
    }
}
