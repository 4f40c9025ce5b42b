//! Reserving and releasing stock for other services, exactly once per reservation id.
//!
//! The caller (orders) names each reservation. Over a network a call can time out
//! after it took effect, so both operations must be safe to repeat, and a release
//! must be safe to send when the caller does not know whether its reservation
//! happened:
//!
//! - [`reserve`] records the id and takes the units in one transaction (the caller's
//!   [`Tx`](apiarist::db::Tx)): a repeat finds the id and answers the same reservation;
//!   a refusal (unknown item, too few units) rolls the record back with it.
//! - [`release`] flips `reserved` to `released` with a conditional update and gives
//!   the units back only if it was the one that flipped it; an id it does not know
//!   is recorded as released, so a reservation still on its way is refused when it
//!   arrives instead of taking stock nobody will give back.

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, OnConflict},
};
use shared_models::items::ReservationState;
use uuid::Uuid;

use super::{
    ReserveError,
    queries::{release_stock, reserve_stock},
    reservation::{ActiveModel, Column, Entity, Model},
};

/// Why a reservation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationRefused {
    /// The stock could not be taken (no such item, too few units).
    Stock(ReserveError),
    /// The id was released already (or used for other units): it will not be reserved.
    Closed,
}

/// The reservation `id` of `quantity` units of `item_id`: made now, or the one made
/// by an earlier call with the same id. Run it in a transaction, rolled back on
/// `Err`.
pub async fn reserve(
    conn: &impl ConnectionTrait,
    id: Uuid,
    item_id: i64,
    quantity: i64,
) -> Result<Result<Model, ReservationRefused>, DbErr> {
    let now = Utc::now();
    let row = ActiveModel {
        id: Set(id.to_string()),
        item_id: Set(item_id),
        quantity: Set(quantity),
        state: Set(ReservationState::Reserved.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    if insert_new(conn, row).await? {
        return Ok(match reserve_stock(conn, item_id, quantity).await? {
            Ok(()) => Ok(find(conn, id).await?.ok_or_else(vanished)?),
            Err(refused) => Err(ReservationRefused::Stock(refused)),
        });
    }
    let existing = find(conn, id).await?.ok_or_else(vanished)?;
    let same = existing.item_id == item_id && existing.quantity == quantity;
    Ok(match existing.state() {
        ReservationState::Reserved if same => Ok(existing),
        _ => Err(ReservationRefused::Closed),
    })
}

/// Releases reservation `id`: gives its units back the first time, does nothing
/// after; an unknown id is recorded as released. Run it in a transaction.
pub async fn release(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    // Twice at most: an unknown id may be reserved between our look and our insert.
    for _ in 0..2 {
        match find(conn, id).await? {
            Some(row) if row.state() == ReservationState::Reserved => {
                let flipped = Entity::update_many()
                    .col_expr(
                        Column::State,
                        Expr::value(ReservationState::Released.as_str()),
                    )
                    .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(Column::Id.eq(id.to_string()))
                    .filter(Column::State.eq(ReservationState::Reserved.as_str()))
                    .exec(conn)
                    .await?;
                if flipped.rows_affected == 1 {
                    release_stock(conn, row.item_id, row.quantity).await?;
                }
                return Ok(());
            }
            Some(_) => return Ok(()),
            None => {
                let now = Utc::now();
                let tombstone = ActiveModel {
                    id: Set(id.to_string()),
                    item_id: Set(0),
                    quantity: Set(0),
                    state: Set(ReservationState::Released.as_str().to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                };
                if insert_new(conn, tombstone).await? {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// The reservation `id`, if any.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id.to_string()).one(conn).await
}

/// Inserts `row` unless its id exists; whether it did.
async fn insert_new(conn: &impl ConnectionTrait, row: ActiveModel) -> Result<bool, DbErr> {
    let inserted = Entity::insert(row)
        .on_conflict(OnConflict::column(Column::Id).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}

fn vanished() -> DbErr {
    DbErr::RecordNotFound("a reservation vanished within its transaction".to_owned())
}
