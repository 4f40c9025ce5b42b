//! Queries on the `item` table.

use std::sync::OnceLock;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set, Statement,
    Value,
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
///
/// The statement's text depends only on which filters are set (and the backend):
/// it is built by sea-query once per such shape and reused, and each call binds its
/// own values. Building it (nine column expressions, quoting, rendering) was a good
/// part of the cost of listing a page.
pub async fn list(conn: &impl ConnectionTrait, filter: &ItemFilter) -> Result<Vec<Model>, DbErr> {
    let stmt = list_statement(conn.get_database_backend(), filter);
    // Straight from the statement: `Entity::find()` would build a query to drop.
    Model::find_by_statement(stmt).all(conn).await
}

/// The query [`list`] runs, as sea-orm builds it.
fn list_query(filter: &ItemFilter) -> Select<Entity> {
    let mut query = Entity::find().order_by_asc(Column::Id);
    if let Some(pattern) = search_pattern(filter) {
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
    query.offset(filter.skip).limit(filter.limit)
}

/// [`list_query`] built for `backend`: its text from the cache of its shape, its
/// values in the order [`list_query`] binds them (the tests check both).
fn list_statement(backend: DbBackend, filter: &ItemFilter) -> Statement {
    let Some(slot) = list_sql_slot(backend, filter) else {
        return list_query(filter).build(backend);
    };
    let sql = slot.get_or_init(|| list_query(filter).build(backend).sql);
    let mut values: Vec<Value> = Vec::with_capacity(4);
    if let Some(pattern) = search_pattern(filter) {
        values.push(pattern.into());
    }
    if filter.in_stock.is_some() {
        values.push(0.into());
    }
    values.push(filter.limit.into());
    values.push(filter.skip.into());
    Statement::from_sql_and_values(backend, sql.as_str(), values)
}

/// Where the text of [`list_query`] for `filter`'s shape on `backend` is kept:
/// one slot per backend, with or without a search, and stock filter.
fn list_sql_slot(backend: DbBackend, filter: &ItemFilter) -> Option<&'static OnceLock<String>> {
    static SQL: [OnceLock<String>; 18] = [const { OnceLock::new() }; 18];
    let backend = match backend {
        DbBackend::Postgres => 0,
        DbBackend::Sqlite => 1,
        DbBackend::MySql => 2,
        #[allow(unreachable_patterns)] // the enum is non-exhaustive
        _ => return None,
    };
    let search = usize::from(search_pattern_given(filter));
    let stock = match filter.in_stock {
        None => 0,
        Some(true) => 1,
        Some(false) => 2,
    };
    SQL.get(backend * 6 + search * 3 + stock)
}

/// Whether `filter` searches by name (an empty search does not).
fn search_pattern_given(filter: &ItemFilter) -> bool {
    filter.search.as_deref().is_some_and(|s| !s.is_empty())
}

/// The `LIKE` pattern of `filter`'s search: its lowercase text anywhere in the name.
fn search_pattern(filter: &ItemFilter) -> Option<String> {
    let search = filter.search.as_deref().filter(|s| !s.is_empty())?;
    Some(format!("%{}%", escape_like(&search.to_lowercase())))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The cached text and the values bound by hand are what sea-orm builds, for
    /// every shape of filter, on every backend, whatever the values.
    #[test]
    fn list_statements_match_what_sea_orm_builds() {
        let searches = [None, Some(""), Some("Blue"), Some("50%_\\x")];
        let stocks = [None, Some(true), Some(false)];
        for backend in [DbBackend::Postgres, DbBackend::Sqlite, DbBackend::MySql] {
            for search in searches {
                for in_stock in stocks {
                    for (skip, limit) in [(0, 10), (7, 100)] {
                        let filter = ItemFilter {
                            skip,
                            limit,
                            search: search.map(str::to_owned),
                            in_stock,
                        };
                        let ours = list_statement(backend, &filter);
                        let built = list_query(&filter).build(backend);
                        assert_eq!(ours.sql, built.sql, "{backend:?} {filter:?}");
                        assert_eq!(ours.values, built.values, "{backend:?} {filter:?}");
                        assert_eq!(ours.db_backend, built.db_backend);
                    }
                }
            }
        }
    }
}
