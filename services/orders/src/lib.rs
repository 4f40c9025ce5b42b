//! The orders service: orders that reserve stock in the items service and are
//! confirmed by durable jobs (seed 002's purchase, done without losing anything).
//!
//! - [`routes`]: `POST /orders/` and `GET /orders/{order_id}` (bearer token);
//! - [`models`]: orders and notifications (sea-orm), [`migrations`]: their schema;
//! - [`stock`]: the port through which stock is reserved and released;
//! - [`actor`]: the domain actor whose handlers run the `ConfirmOrder` and
//!   `NotifyOrder` jobs, whether they come from the queue or from a route;
//! - [`errors`]: the domain error and its exception handler (409 insufficient stock).

pub mod actor;
pub mod errors;
pub mod migrations;
pub mod models;
pub mod routes;
pub mod stock;

use apiarist::{
    App,
    auth::Auth,
    db::{Database, DbError},
};
use sea_orm::TransactionTrait;

pub use actor::OrdersActor;
pub use errors::{OrderError, register_handlers};
pub use migrations::Migrator;
pub use stock::{StockError, StockPort};

/// Stores a pending order for `owner` (stock already reserved).
pub async fn place(
    db: &Database,
    owner: &str,
    item_id: i64,
    quantity: i64,
) -> Result<models::order::Model, apiarist::HttpError> {
    let conn = db.conn().await?;
    let tx = conn.begin().await?;
    let order = models::insert(&tx, owner, item_id, quantity).await?;
    tx.commit().await?;
    Ok(order)
}

/// The orders app on its own: routes, state and exception handler.
pub fn app(db: Database, auth: Auth, stock: StockPort) -> App {
    let app = App::new("orders")
        .version(env!("CARGO_PKG_VERSION"))
        .description("Orders of the apiarist demo.")
        .state(auth)
        .include(routes::router().state(db).state(stock));
    register_handlers(app)
}

/// Starts the service's database (from `DATABASE_URL`, else `orders.db`).
pub fn database() -> Result<Database, DbError> {
    Ok(Database::start::<Migrator>(
        apiarist::db::DbSettings::from_env("orders.db")?,
    ))
}
