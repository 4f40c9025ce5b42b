//! The `order_notification` table: what the notification job recorded.

use sea_orm::entity::prelude::*;

/// A recorded notification (the seed's audit log line and e-mail).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "order_notification")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The order concerned.
    pub order_id: i64,
    /// What happened.
    pub event: String,
    /// The text sent.
    pub message: String,
    /// When it was recorded.
    pub created_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
