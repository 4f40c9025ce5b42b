//! The service's configuration and start-up, the same for its own process (`main`)
//! and for a launcher that runs several services in one process.

use std::{error::Error, sync::Arc, time::Duration};

use apiarist::{
    App,
    auth::{Auth, AuthSettings},
    client::ServiceToken,
    db::{Database, DbSettings},
    events::EventBus,
    jobs::{AmqpBroker, AmqpSettings, Broker, MemoryBroker},
};
use serde::Deserialize;
use shared_models::clients::{ItemsClient, ItemsSettings};

use crate::{BackgroundOptions, Migrator, StockPort, start_background_with};

/// Everything the orders service needs to start.
///
/// | variable | field | default |
/// | --- | --- | --- |
/// | `DATABASE_URL` (and `DATABASE_*`) | [`database`](Self::database) | the SQLite file `orders.db` |
/// | `JWT_*`, `ACCESS_TOKEN_*` | [`auth`](Self::auth) | a random secret (warned about) |
/// | `ITEMS_URL` | [`items_url`](Self::items_url) | `http://127.0.0.1:8002` |
/// | `ITEMS_TIMEOUT_MS` | [`items_timeout`](Self::items_timeout) | 5000 |
/// | `AMQP_URL`, `AMQP_NAMESPACE` | [`amqp`](Self::amqp) | none: the in-process queue and event bus |
/// | `EMBEDDED_WORKER` | [`embedded_worker`](Self::embedded_worker) | `true` |
///
/// `HOST` and `PORT` (default [`DEFAULT_PORT`](crate::DEFAULT_PORT)) are the
/// process's, read by `main`, not part of this.
#[derive(Debug, Clone)]
pub struct Config {
    /// The service's database (orders, their notifications, the jobs' outbox).
    pub database: DbSettings,
    /// The stack's shared key material: users' tokens verify with it, and the
    /// service signs its own token for the items service with it.
    pub auth: AuthSettings,
    /// The items service, where stock is reserved.
    pub items_url: String,
    /// The longest a call to the items service may take.
    pub items_timeout: Duration,
    /// RabbitMQ for the jobs and the order events, or `None` for the in-process
    /// queue and bus (which only this process can reach, so only an embedded worker
    /// runs its jobs, and only this process's streams hear its events).
    pub amqp: Option<AmqpSettings>,
    /// Whether this process also runs the jobs (`true`), or only stages and
    /// publishes them for a separate worker (`EMBEDDED_WORKER=false`, with RabbitMQ).
    pub embedded_worker: bool,
}

#[derive(Deserialize)]
struct OrdersEnv {
    embedded_worker: Option<bool>,
}

impl Config {
    /// Reads the variables in the table above; errors name the variable.
    pub fn from_env() -> Result<Config, Box<dyn Error>> {
        let items = ItemsSettings::from_env()?;
        let env: OrdersEnv = apiarist::settings::from_env()?;
        Ok(Config {
            database: DbSettings::from_env("orders.db")?,
            auth: AuthSettings::from_env()?,
            items_url: items.url,
            items_timeout: items.timeout,
            amqp: AmqpSettings::from_env(),
            embedded_worker: env.embedded_worker.unwrap_or(true),
        })
    }
}

/// The job broker `amqp` names: RabbitMQ, or the in-process queue for `None`. Call
/// inside the actix system (an [`AmqpBroker`] belongs to the runtime it was made on).
pub fn broker(amqp: Option<&AmqpSettings>) -> Arc<dyn Broker> {
    match amqp {
        Some(settings) => {
            tracing::info!(url = %settings.redacted_url(), "jobs go through RabbitMQ");
            Arc::new(AmqpBroker::new(settings.clone()))
        }
        None => {
            tracing::info!("jobs go through the in-process queue (set AMQP_URL for RabbitMQ)");
            Arc::new(MemoryBroker::new())
        }
    }
}

/// Starts the service's database, auth, event bus and background side (the outbox
/// relay, and the worker unless [`Config::embedded_worker`] is off), and returns the app, ready
/// to serve: `/readyz` checks the database and the broker, and stopping the server
/// drains the worker. Call it inside an actix system (the service's own, or its
/// arbiter in an all-in-one process).
///
/// ```no_run
/// fn main() -> std::io::Result<()> {
///     apiarist::App::run_with_port(orders::DEFAULT_PORT, || async {
///         orders::build(orders::Config::from_env()?).await
///     })
/// }
/// ```
pub async fn build(config: Config) -> Result<App, Box<dyn Error>> {
    let db = Database::start::<Migrator>(config.database);
    let auth = Auth::from_settings(&config.auth);
    if config.amqp.is_none() && !config.embedded_worker {
        tracing::warn!(
            "EMBEDDED_WORKER=false without AMQP_URL: no other process can reach the \
             in-process queue, so order confirmations wait for a restart with a worker"
        );
    }
    let options = BackgroundOptions {
        produce_only: !config.embedded_worker,
        ..BackgroundOptions::default()
    };
    let events = EventBus::new(config.amqp.clone());
    let background = start_background_with(
        db.clone(),
        broker(config.amqp.as_ref()),
        events.clone(),
        options,
    );
    let token = ServiceToken::new("orders", auth.clone());
    let items = ItemsClient::connect(&config.items_url, config.items_timeout, token);
    let jobs = background.queue.broker().clone();
    let drain = background.clone();
    Ok(crate::app(
        db.clone(),
        auth,
        StockPort::http(items),
        background.queue,
        events,
    )
    .ready_check("database", db)
    .ready_probe("jobs", move || {
        let broker = jobs.clone();
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
