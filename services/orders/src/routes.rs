//! The orders service's HTTP routes.

use apiarist::{
    Dep, HttpError, State, client::CallContext, db::Database, events::EventBus, jobs::Jobs,
    prelude::*, security::Authenticated,
};
use shared_models::orders::{OrderCreate, OrderResponse, OrderStatusChanged};

use crate::{
    errors::OrderError,
    models,
    stock::{StockError, StockPort},
};

/// Place an order.
///
/// Reserves the stock at once (atomically, in the items service), stores the order as
/// `pending`, enqueues its confirmation and tells the order streams (`GET
/// /ws/orders`, `GET /orders/events`). An unknown item is a 404; too few units a
/// 409 `{"error": "insufficient_stock", ...}`; the items service down a 502, too slow
/// a 504.
#[api_operation(
    tag = "orders",
    summary = "Place an order",
    error_code = 404,
    error_code = 409,
    error_code = 502,
    error_code = 503,
    error_code = 504
)]
pub async fn create_order(
    user: Dep<Authenticated>,
    db: State<Database>,
    stock: State<StockPort>,
    jobs: Jobs,
    events: State<EventBus>,
    ctx: CallContext,
    body: Json<OrderCreate>,
) -> Result<Created<OrderResponse>, OrderError> {
    let OrderCreate { item_id, quantity } = body.into_inner();
    let reservation = match stock.reserve(&ctx, item_id, quantity).await? {
        Ok(reservation) => reservation,
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
    };
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
        Ok(order) => {
            // The order stands whether or not the news goes out: a stream that
            // missed it resumes from the database (see `live`).
            if let Err(error) = events.publish(&OrderStatusChanged::from(&order)).await {
                tracing::warn!(order_id = order.id, %error, "could not tell that the order is pending");
            }
            Ok(Created(OrderResponse::from(&order)))
        }
        Err(error) => {
            if let Err(release) = stock.release(&ctx, &reservation).await {
                tracing::error!(
                    %release, reservation = %reservation.id, item_id, quantity,
                    "could not release reserved stock"
                );
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
