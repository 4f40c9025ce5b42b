//! The demo stack's entry point: every domain service behind one address.
//!
//! For now it composes the domain services in one process and one app (the
//! "all-in-one" mode `cargo run` starts): each service contributes its router with its
//! own state (its own [`Database`], so each service keeps owning its tables), and the
//! shared [`Auth`] verifies tokens for all of them. Where one service needs another
//! (the users service's admin statistics count items; orders reserve stock), the
//! composition plugs the other service's queries into the port the first declares.

use std::{error::Error, sync::Arc, time::Duration};

use apiarist::{
    App,
    auth::{Auth, AuthSettings},
    db::{Database, DbSettings},
    jobs::{AmqpBroker, AmqpSettings, Broker, JobQueue, MemoryBroker},
};
use orders::{StockError, StockPort};
use users::ItemCounter;

/// The databases of the composed services.
#[derive(Debug, Clone)]
pub struct Databases {
    /// The items service's.
    pub items: Database,
    /// The users service's.
    pub users: Database,
    /// The orders service's.
    pub orders: Database,
}

impl Databases {
    /// Starts each service's database from the environment (`DATABASE_URL`, else a
    /// SQLite file per service). Call inside the actix system.
    pub fn from_env() -> Result<Self, Box<dyn Error>> {
        Ok(Self {
            items: Database::start::<items::Migrator>(DbSettings::from_env("items.db")?),
            users: Database::start::<users::Migrator>(DbSettings::from_env("users.db")?),
            orders: Database::start::<orders::Migrator>(DbSettings::from_env("orders.db")?),
        })
    }
}

/// Orders' stock port on the items service's own queries: an atomic conditional
/// decrement, and its compensation.
pub fn stock_port(items_db: Database) -> StockPort {
    let release_db = items_db.clone();
    StockPort::new(
        move |item_id, quantity| {
            let db = items_db.clone();
            async move {
                let conn = db.conn().await?;
                let reserved = items::models::reserve_stock(&conn, item_id, quantity).await?;
                Ok(reserved.map_err(|e| match e {
                    items::models::ReserveError::NotFound => StockError::NotFound,
                    items::models::ReserveError::Insufficient { available } => {
                        StockError::Insufficient { available }
                    }
                }))
            }
        },
        move |item_id, quantity| {
            let db = release_db.clone();
            async move {
                let conn = db.conn().await?;
                Ok(items::models::release_stock(&conn, item_id, quantity).await?)
            }
        },
    )
}

/// The job broker: RabbitMQ when `AMQP_URL` is set, the in-process queue otherwise.
/// Call inside the actix system.
pub fn broker_from_env() -> Arc<dyn Broker> {
    match AmqpSettings::from_env() {
        Some(settings) => {
            tracing::info!(url = %settings.redacted_url(), "jobs go through RabbitMQ");
            Arc::new(AmqpBroker::new(settings))
        }
        None => {
            tracing::info!("jobs go through the in-process queue (set AMQP_URL for RabbitMQ)");
            Arc::new(MemoryBroker::new())
        }
    }
}

/// The composed app on `dbs`, with `auth` for every service and `orders_jobs` for the
/// orders service's jobs.
pub fn app(dbs: Databases, auth: Auth, orders_jobs: JobQueue) -> App {
    let items_db = dbs.items.clone();
    let counter = ItemCounter::new(move || {
        let db = items_db.clone();
        async move {
            let conn = db.conn().await?;
            Ok(items::models::count(&conn).await?)
        }
    });
    let stock = stock_port(dbs.items.clone());
    let app = App::new("apiarist demo")
        .version(env!("CARGO_PKG_VERSION"))
        .description("The apiarist demo stack: items, users and orders.")
        .state(auth)
        .ready_check("items", dbs.items.clone())
        .ready_check("users", dbs.users.clone())
        .ready_check("orders", dbs.orders.clone())
        .include(items::routes::router().state(dbs.items))
        .include(users::router().state(dbs.users).state(counter))
        .include(
            orders::router()
                .state(dbs.orders)
                .state(stock)
                .state(orders_jobs),
        );
    orders::register_handlers(app)
}

/// Everything `main` does before serving: databases, auth, the admin account.
pub async fn start() -> Result<App, Box<dyn Error>> {
    let dbs = Databases::from_env()?;
    let settings = AuthSettings::from_env()?;
    let auth = Auth::from_settings(&settings);
    dbs.users.wait_ready().await?;
    users::ensure_admin(&dbs.users, settings.admin.as_ref()).await?;
    // The embedded worker runs the orders service's jobs in this process, unless
    // EMBEDDED_WORKER=false leaves them to a separate worker (services/worker).
    let options = orders::BackgroundOptions {
        produce_only: std::env::var("EMBEDDED_WORKER").is_ok_and(|v| v == "false"),
        ..Default::default()
    };
    let background = orders::start_background_with(dbs.orders.clone(), broker_from_env(), options);
    let broker = background.queue.broker().clone();
    let drain = background.clone();
    Ok(app(dbs, auth, background.queue)
        .ready_probe("jobs", move || {
            let broker = broker.clone();
            async move {
                broker.ready().await.map_err(|e| e.to_string())?;
                Ok("broker".to_owned())
            }
        })
        .on_shutdown(move || {
            let drain = drain.clone();
            async move { drain.shutdown(Duration::from_secs(30)).await }
        }))
}
