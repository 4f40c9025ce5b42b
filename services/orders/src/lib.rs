//! The orders service: orders that reserve stock in the items service and are
//! confirmed by durable jobs (seed 002's purchase, done without losing anything).
//!
//! - [`routes`]: `POST /orders/` and `GET /orders/{order_id}` (bearer token);
//! - [`live`]: the caller's order status changes as they happen, over a WebSocket
//!   (`GET /ws/orders`) or Server-Sent Events (`GET /orders/events`), fed by the
//!   `OrderStatusChanged` events of the [`EventBus`];
//! - [`models`]: orders and notifications (sea-orm), [`migrations`]: their schema;
//! - [`stock`]: the port through which stock is reserved and released;
//! - [`actor`]: the domain actor whose handlers run the `ConfirmOrder` and
//!   `NotifyOrder` jobs, whether they come from the queue or from a route, and
//!   publish `OrderStatusChanged` when they confirm an order;
//! - [`errors`]: the domain error and its exception handler (409 insufficient stock);
//! - [`config`]: [`Config`] and [`build`], how a process or a launcher starts it.
//!
//! Stock is reserved over HTTP with the items service's typed client, even when both
//! run in one process: a saga, not a distributed transaction. The reservation is
//! an atomic conditional decrement in the items service (no oversell, whatever the
//! number of orders processes), and it is released when the order cannot be stored.

pub mod actor;
pub mod config;
pub mod errors;
pub mod live;
pub mod migrations;
pub mod models;
pub mod routes;
pub mod stock;

use std::sync::Arc;

use actix::Supervisor;
use apiarist::{
    App,
    auth::Auth,
    db::{Database, DbError},
    events::EventBus,
    jobs::{
        Broker, EnqueueOptions, JobQueue, Outbox, QueueOptions, TraceContext, Worker, WorkerHandle,
    },
};
use shared_models::orders::{ConfirmOrder, NotifyOrder, OrderStatusChanged};

pub use actor::OrdersActor;
pub use config::{Config, broker, build};
pub use errors::{OrderError, register_handlers};
pub use migrations::Migrator;
pub use stock::{Reservation, StockError, StockPort};

/// The port the service listens on when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 8003;

/// Stores a pending order for `owner` (stock already reserved) and, in the same
/// transaction, its `ConfirmOrder` job: both are written, or neither.
pub async fn place(
    db: &Database,
    queue: &JobQueue,
    trace: TraceContext,
    owner: &str,
    item_id: i64,
    quantity: i64,
) -> Result<models::order::Model, apiarist::HttpError> {
    let tx = db.begin().await?;
    let order = models::insert(&tx, owner, item_id, quantity).await?;
    let options = EnqueueOptions {
        idempotency_key: Some(format!("confirm-order-{}", order.id)),
        trace: Some(trace),
        ..EnqueueOptions::default()
    };
    let job = ConfirmOrder {
        order_id: i64::from(order.id),
    };
    queue
        .enqueue_in(&tx, job, options)
        .await
        .map_err(|e| apiarist::HttpError::new(503, e.to_string()))?;
    tx.commit().await?;
    if let Some(outbox) = queue.outbox() {
        outbox.nudge();
    }
    Ok(order)
}

/// The service's background side: the outbox relay publishing its staged jobs, the
/// domain actor, and a worker feeding that actor from the queues.
#[derive(Debug, Clone)]
pub struct Background {
    /// Where routes enqueue (app state).
    pub queue: JobQueue,
    /// The running worker (shut it down gracefully on exit); `None` when this process
    /// only produces jobs and a separate worker consumes them.
    pub worker: Option<WorkerHandle>,
}

impl Background {
    /// Drains the worker (if any) within `grace`.
    pub async fn shutdown(&self, grace: std::time::Duration) {
        if let Some(worker) = &self.worker {
            worker.shutdown(grace).await;
        }
    }
}

/// How [`start_background_with`] runs the worker.
#[derive(Debug, Clone, Copy, Default)]
pub struct BackgroundOptions {
    /// Prefetch and concurrency of each queue.
    pub queue: QueueOptions,
    /// Don't consume: only relay the outbox (a separate worker process consumes).
    pub produce_only: bool,
}

/// Starts the outbox relay, the [`OrdersActor`] and a worker for its jobs on
/// `broker`, the actor telling `events` about the orders it confirms. Call inside
/// the actix system.
pub fn start_background(db: Database, broker: Arc<dyn Broker>, events: EventBus) -> Background {
    start_background_with(db, broker, events, BackgroundOptions::default())
}

/// [`start_background`] with queue options, or without consuming.
pub fn start_background_with(
    db: Database,
    broker: Arc<dyn Broker>,
    events: EventBus,
    options: BackgroundOptions,
) -> Background {
    let outbox = Outbox::start(
        db.clone(),
        broker.clone(),
        std::time::Duration::from_millis(500),
    );
    let queue = JobQueue::new(broker.clone())
        .with_outbox(outbox)
        .register::<ConfirmOrder>()
        .register::<NotifyOrder>();
    if options.produce_only {
        return Background {
            queue,
            worker: None,
        };
    }
    let actor_queue = queue.clone();
    let actor = Supervisor::start(move |_| OrdersActor::new(db, actor_queue, events));
    let worker = Worker::new(broker)
        .handle_with::<ConfirmOrder, _>(actor.clone(), options.queue)
        .handle_with::<NotifyOrder, _>(actor, options.queue)
        .start();
    Background {
        queue,
        worker: Some(worker),
    }
}

/// Everything the service serves: its routes, the live order streams, the job
/// operator routes (`/admin/jobs`) and the AsyncAPI document of its queues and
/// events (`/asyncapi.json`).
pub fn router() -> apiarist::Router {
    apiarist::Router::new()
        .include(live::router())
        .include(routes::router())
        .include(apiarist::jobs::operator_router())
        .include(apiarist::jobs::asyncapi::router())
}

/// The orders app on its own: routes, state and exception handler. Order status
/// changes are published on, and streamed from, `events`.
pub fn app(db: Database, auth: Auth, stock: StockPort, queue: JobQueue, events: EventBus) -> App {
    let events = events.register::<OrderStatusChanged>();
    let app = App::new("orders")
        .version(env!("CARGO_PKG_VERSION"))
        .description("Orders of the apiarist demo.")
        .state(auth)
        .include(router().state(db).state(stock).state(queue).state(events));
    register_handlers(app)
}

/// Starts the service's database (from `DATABASE_URL`, else `orders.db`).
pub fn database() -> Result<Database, DbError> {
    Ok(Database::start::<Migrator>(
        apiarist::db::DbSettings::from_env("orders.db")?,
    ))
}
