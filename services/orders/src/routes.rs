//! The orders service's HTTP routes.

use apiarist::{
    Dep, HttpError, State, db::Database, jobs::Jobs, prelude::*, security::Authenticated,
};
use shared_models::orders::{OrderCreate, OrderResponse};

use crate::{
    errors::OrderError,
    models,
    stock::{StockError, StockPort},
};

/// Place an order.
///
/// Reserves the stock at once (atomically, in the items service), stores the order as
/// `pending` and enqueues its confirmation. An unknown item is a 404; too few units a
/// 409 `{"error": "insufficient_stock", ...}`.
#[api_operation(
    tag = "orders",
    summary = "Place an order",
    error_code = 404,
    error_code = 409,
    error_code = 503
)]
pub async fn create_order(
    user: Dep<Authenticated>,
    db: State<Database>,
    stock: State<StockPort>,
    jobs: Jobs,
    body: Json<OrderCreate>,
) -> Result<Created<OrderResponse>, OrderError> {
    let OrderCreate { item_id, quantity } = body.into_inner();
    match stock.reserve(item_id, quantity).await? {
        Ok(()) => {}
        Err(StockError::NotFound) => {
            return Err(HttpError::not_found(format!("Item {item_id} not found")).into());
        }
        Err(StockError::Insufficient { available }) => {
            return Err(OrderError::InsufficientStock {
                item_id,
                requested: quantity,
                available,
            });
        }
    }
    // From here on the stock is ours: if the order cannot be written, give it back
    // (a saga's compensation; there is no transaction spanning both services).
    let placed = crate::place(
        &db,
        jobs.queue(),
        jobs.trace().clone(),
        &user.sub,
        item_id,
        quantity,
    );
    match placed.await {
        Ok(order) => Ok(Created(OrderResponse::from(&order))),
        Err(error) => {
            if let Err(release) = stock.release(item_id, quantity).await {
                tracing::error!(%release, item_id, quantity, "could not release reserved stock");
            }
            Err(error.into())
        }
    }
}

/// Path of `GET /orders/{order_id}`.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct OrderPath {
    /// The order's id.
    #[validate(range(exclusive_min = 0))]
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub order_id: i64,
}

/// Read an order.
///
/// Its owner and administrators see it; anyone else gets the same 404 as for an
/// order that does not exist.
#[api_operation(
    tag = "orders",
    summary = "Read an order",
    error_code = 404,
    error_code = 503
)]
pub async fn get_order(
    user: Dep<Authenticated>,
    db: apiarist::db::Db,
    path: Path<OrderPath>,
) -> Result<Json<OrderResponse>, HttpError> {
    let id = path.order_id;
    let order = models::find(&*db, id).await?;
    match order {
        Some(order) if order.owner == user.sub || user.has_role("admin") => {
            Ok(Json(OrderResponse::from(&order)))
        }
        _ => Err(HttpError::not_found(format!("Order {id} not found"))),
    }
}

/// The service's router.
pub fn router() -> Router {
    Router::with_prefix("/orders")
        .tag("orders")
        .post("/", create_order)
        .get("/{order_id}", get_order)
}
