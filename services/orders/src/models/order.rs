//! The `orders` table.

use sea_orm::entity::prelude::*;
use shared_models::orders::{OrderResponse, OrderStatus, OrderStatusChanged};

/// An order as stored.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The token subject of whoever placed it.
    pub owner: String,
    /// The ordered item (in the items service).
    pub item_id: i64,
    /// Units ordered.
    pub quantity: i64,
    /// `pending` or `confirmed`.
    pub status: String,
    /// When it was placed.
    pub created_at: ChronoDateTimeUtc,
    /// When it last changed.
    pub updated_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<&Model> for OrderResponse {
    fn from(row: &Model) -> Self {
        OrderResponse {
            id: i64::from(row.id),
            item_id: row.item_id,
            quantity: row.quantity,
            status: OrderStatus::parse(&row.status).unwrap_or(OrderStatus::Pending),
            owner: row.owner.clone(),
            created_at: row.created_at,
        }
    }
}

impl From<&Model> for OrderStatusChanged {
    fn from(row: &Model) -> Self {
        OrderStatusChanged {
            order_id: i64::from(row.id),
            status: OrderStatus::parse(&row.status).unwrap_or(OrderStatus::Pending),
            owner: row.owner.clone(),
            at: row.updated_at,
        }
    }
}
