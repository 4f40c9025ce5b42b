//! Queries on the `item` table.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use shared_models::items::ItemCreate;

use super::item::{ActiveModel, Column, Entity, Model};

/// Filters for listing items.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Rows to skip.
    pub skip: u64,
    /// Rows to return at most.
    pub limit: u64,
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
    /// Only items (not) in stock.
    pub in_stock: Option<bool>,
}

/// Stores a new item and returns the stored row.
pub async fn create(conn: &impl ConnectionTrait, item: ItemCreate) -> Result<Model, DbErr> {
    ActiveModel {
        name: Set(item.name),
        description: Set(item.description),
        price: Set(item.price),
        tax: Set(item.tax),
        tags: Set(serde_json::json!(item.tags)),
        stock: Set(item.stock),
        internal_cost: Set(item.price * 0.6),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// The item with `id`, if any.
pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    // Ids beyond the column's range exist nowhere.
    let Ok(id) = i32::try_from(id) else {
        return Ok(None);
    };
    Entity::find_by_id(id).one(conn).await
}

/// Items matching `filter`, in id order.
pub async fn list(conn: &impl ConnectionTrait, filter: &ItemFilter) -> Result<Vec<Model>, DbErr> {
    let mut query = Entity::find().order_by_asc(Column::Id);
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(Column::Name)))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    query = match filter.in_stock {
        Some(true) => query.filter(Column::Stock.gt(0)),
        Some(false) => query.filter(Column::Stock.lte(0)),
        None => query,
    };
    query
        .offset(filter.skip)
        .limit(filter.limit)
        .all(conn)
        .await
}

/// Why stock could not be reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveError {
    /// No item with that id.
    NotFound,
    /// Fewer units than requested; how many there are.
    Insufficient {
        /// Units in stock right now.
        available: i64,
    },
}

/// Takes `quantity` units of item `id` out of stock, atomically: one conditional
/// decrement (`stock = stock - q WHERE stock >= q`), never read-then-write, so
/// concurrent reservations cannot oversell.
pub async fn reserve_stock(
    conn: &impl ConnectionTrait,
    id: i64,
    quantity: i64,
) -> Result<Result<(), ReserveError>, DbErr> {
    let Ok(id32) = i32::try_from(id) else {
        return Ok(Err(ReserveError::NotFound));
    };
    let updated = Entity::update_many()
        .col_expr(Column::Stock, Expr::col(Column::Stock).sub(quantity))
        .filter(Column::Id.eq(id32))
        .filter(Column::Stock.gte(quantity))
        .exec(conn)
        .await?;
    if updated.rows_affected == 1 {
        return Ok(Ok(()));
    }
    Ok(Err(match find(conn, id).await? {
        None => ReserveError::NotFound,
        Some(row) => ReserveError::Insufficient {
            available: row.stock,
        },
    }))
}

/// Puts `quantity` units of item `id` back (the compensation of a reservation).
pub async fn release_stock(
    conn: &impl ConnectionTrait,
    id: i64,
    quantity: i64,
) -> Result<(), DbErr> {
    let Ok(id) = i32::try_from(id) else {
        return Ok(());
    };
    Entity::update_many()
        .col_expr(Column::Stock, Expr::col(Column::Stock).add(quantity))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// How many items there are.
pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Entity::find().count(conn).await
}

/// Makes `%`, `_` and `\` in user input match themselves.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
