//! The `item` table.

use sea_orm::entity::prelude::*;
use shared_models::items::ItemResponse;

/// An item as stored: more than the API shows.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "item")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Price in USD.
    pub price: f64,
    /// Tax in USD.
    pub tax: Option<f64>,
    /// Labels, a JSON list of strings.
    pub tags: Json,
    /// Units in stock.
    pub stock: i64,
    /// What the item cost us: internal, never part of a response.
    pub internal_cost: f64,
    /// Creation time.
    pub created_at: ChronoDateTimeUtc,
}

/// No relations (yet).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The labels as strings (anything else in the column is skipped).
    pub fn tag_list(&self) -> Vec<String> {
        self.tags
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl From<&Model> for ItemResponse {
    fn from(row: &Model) -> Self {
        ItemResponse {
            id: i64::from(row.id),
            name: row.name.clone(),
            description: row.description.clone(),
            price: row.price,
            price_with_tax: row.tax.map(|tax| row.price + tax),
            tags: row.tag_list(),
            stock: row.stock,
            in_stock: row.stock > 0,
            created_at: row.created_at,
        }
    }
}
