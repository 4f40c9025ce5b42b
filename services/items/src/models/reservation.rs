//! The `stock_reservation` table: stock other services took out, by their id.

use sea_orm::entity::prelude::*;
use shared_models::items::{Reservation, ReservationState};

/// A reservation as stored.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_reservation")]
pub struct Model {
    /// The caller's id (a UUID in text form).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The item; 0 for a release that arrived before its reservation.
    pub item_id: i64,
    /// Units taken; 0 for such a release.
    pub quantity: i64,
    /// `reserved` or `released`.
    pub state: String,
    /// When it was made.
    pub created_at: ChronoDateTimeUtc,
    /// When it last changed.
    pub updated_at: ChronoDateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The stored state (an unknown text reads as released: it holds no stock).
    pub fn state(&self) -> ReservationState {
        ReservationState::parse(&self.state).unwrap_or(ReservationState::Released)
    }
}

impl From<&Model> for Reservation {
    fn from(row: &Model) -> Self {
        Reservation {
            reservation_id: row.id.parse().unwrap_or_default(),
            item_id: row.item_id,
            quantity: row.quantity,
            state: row.state(),
        }
    }
}
