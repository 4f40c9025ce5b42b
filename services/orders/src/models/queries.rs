//! Queries on orders and notifications.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::OnConflict,
};
use shared_models::orders::OrderStatus;

use super::{notification, order};

/// The most orders [`changed_after`] returns.
pub const REPLAY_LIMIT: u64 = 1000;

/// Now, to the microsecond: what PostgreSQL stores, so an event's time (taken from
/// the same value) names the stored row exactly on every backend.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Stores a new pending order.
pub async fn insert(
    conn: &impl ConnectionTrait,
    owner: &str,
    item_id: i64,
    quantity: i64,
) -> Result<order::Model, DbErr> {
    let now = now();
    order::ActiveModel {
        owner: Set(owner.to_owned()),
        item_id: Set(item_id),
        quantity: Set(quantity),
        status: Set(OrderStatus::Pending.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// The order with `id`, if any.
pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<order::Model>, DbErr> {
    let Ok(id) = i32::try_from(id) else {
        return Ok(None);
    };
    order::Entity::find_by_id(id).one(conn).await
}

/// Marks a pending order confirmed; `false` if there is no such pending order
/// (already confirmed, or unknown), which makes confirming idempotent.
pub async fn confirm(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let Ok(id) = i32::try_from(id) else {
        return Ok(false);
    };
    let result = order::Entity::update_many()
        .col_expr(
            order::Column::Status,
            sea_orm::sea_query::Expr::value(OrderStatus::Confirmed.as_str()),
        )
        .col_expr(
            order::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .filter(order::Column::Id.eq(id))
        .filter(order::Column::Status.eq(OrderStatus::Pending.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// `owner`'s orders that changed after the change of order `order_id` at `at`
/// (ordered by `(updated_at, id)`), oldest first, at most [`REPLAY_LIMIT`]: what a
/// reconnecting stream replays.
pub async fn changed_after(
    conn: &impl ConnectionTrait,
    owner: &str,
    at: DateTime<Utc>,
    order_id: i64,
) -> Result<Vec<order::Model>, DbErr> {
    let rows = order::Entity::find()
        .filter(order::Column::Owner.eq(owner))
        .filter(order::Column::UpdatedAt.gte(at))
        .order_by_asc(order::Column::UpdatedAt)
        .order_by_asc(order::Column::Id)
        .limit(REPLAY_LIMIT)
        .all(conn)
        .await?;
    // Exact, whatever the backend's timestamp comparison: strictly after the cursor.
    Ok(rows
        .into_iter()
        .filter(|row| (row.updated_at, i64::from(row.id)) > (at, order_id))
        .collect())
}

/// Records a notification once per order and event: `false` if it was already
/// recorded (a redelivered job).
pub async fn record_notification(
    conn: &impl ConnectionTrait,
    order_id: i64,
    event: &str,
    message: &str,
) -> Result<bool, DbErr> {
    let row = notification::ActiveModel {
        order_id: Set(order_id),
        event: Set(event.to_owned()),
        message: Set(message.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let inserted = notification::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([notification::Column::OrderId, notification::Column::Event])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}

/// The notifications recorded for an order, oldest first.
pub async fn notifications(
    conn: &impl ConnectionTrait,
    order_id: i64,
) -> Result<Vec<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::OrderId.eq(order_id))
        .order_by_asc(notification::Column::Id)
        .all(conn)
        .await
}
