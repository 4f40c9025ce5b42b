//! The demo stack's standalone worker: the orders service's background side (its
//! outbox relay, its [`OrdersActor`](orders::OrdersActor) and a
//! [`Worker`](apiarist::jobs::Worker) feeding it from RabbitMQ) in a process of its
//! own, so jobs keep running while the API processes restart, and workers scale
//! separately from them. The orders it confirms are announced on the event bus
//! (`OrderStatusChanged`, on RabbitMQ), so the orders API's live streams hear of them.
//!
//! It serves only the probes, `GET /healthz` (alive) and `GET /readyz` (the orders
//! database answers), on `HOST:PORT` (default `127.0.0.1:8004`). On SIGTERM or SIGINT
//! it stops taking jobs, lets the jobs in flight finish (at most
//! `WORKER_SHUTDOWN_GRACE_SECS`; whatever is still running after that is redelivered
//! by the broker, to the next worker), and exits 0.
//!
//! | variable                     | meaning                                                  |
//! |------------------------------|----------------------------------------------------------|
//! | `DATABASE_URL`               | the orders database (default: the SQLite file `orders.db`) |
//! | `AMQP_URL`                   | RabbitMQ (jobs and events); without it the in-process queue and bus are used (a warning: only jobs this process staged run then, and no other process hears its events) |
//! | `AMQP_NAMESPACE`             | prefix of the queue and exchange names (default: none)  |
//! | `WORKER_PREFETCH`            | unsettled jobs per queue the broker hands out (default 8; 0: no limit) |
//! | `WORKER_CONCURRENCY`         | jobs per queue handled at once (default 4)               |
//! | `WORKER_SHUTDOWN_GRACE_SECS` | how long a shutdown waits for jobs in flight (default 30) |
//! | `HOST`, `PORT`               | where the probes are served (default `127.0.0.1:8004`)   |
//!
//! The migrations of the orders database run here too (they are idempotent), so the
//! worker may start before or after the API that places the orders.

use std::{error::Error, num::NonZeroUsize, sync::Arc, time::Duration};

use apiarist::{
    App,
    db::{Database, DbSettings},
    events::EventBus,
    jobs::{AmqpBroker, AmqpSettings, Broker, MemoryBroker, QueueOptions},
};
use serde::Deserialize;

/// The probes' port when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 8004;

/// The worker's configuration (see the crate docs for the variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSettings {
    /// Interface the probes listen on.
    pub host: String,
    /// Port the probes listen on.
    pub port: u16,
    /// The orders database.
    pub database: DbSettings,
    /// RabbitMQ, or `None` for the in-process queue.
    pub amqp: Option<AmqpSettings>,
    /// How each job queue is consumed.
    pub queue: QueueOptions,
    /// How long a shutdown waits for the jobs in flight.
    pub grace: Duration,
}

#[derive(Debug, Deserialize)]
struct WorkerEnv {
    #[serde(default = "default_host")]
    host: String,
    #[serde(default = "default_port")]
    port: u16,
    amqp_namespace: Option<String>,
    worker_prefetch: Option<u16>,
    worker_concurrency: Option<NonZeroUsize>,
    worker_shutdown_grace_secs: Option<u64>,
}

fn default_host() -> String {
    "127.0.0.1".to_owned()
}

fn default_port() -> u16 {
    DEFAULT_PORT
}

impl WorkerSettings {
    /// Reads the settings from the environment (and `.env`); errors name the variable.
    pub fn from_env() -> Result<Self, Box<dyn Error>> {
        let env: WorkerEnv = apiarist::settings::from_env()?;
        let amqp = AmqpSettings::from_env().map(|mut amqp| {
            if let Some(namespace) = env.amqp_namespace.filter(|ns| !ns.is_empty()) {
                amqp.namespace = namespace;
            }
            amqp
        });
        let defaults = QueueOptions::default();
        // Zero is refused when reading: a worker allowed no job at a time takes none.
        let concurrency = env
            .worker_concurrency
            .map_or(defaults.concurrency, NonZeroUsize::get);
        Ok(Self {
            host: env.host,
            port: env.port,
            database: DbSettings::from_env("orders.db")?,
            amqp,
            queue: QueueOptions {
                prefetch: env.worker_prefetch.unwrap_or(defaults.prefetch),
                concurrency,
            },
            grace: env
                .worker_shutdown_grace_secs
                .map_or(Duration::from_secs(30), Duration::from_secs),
        })
    }

    /// The broker these settings name. Call inside the actix system (an
    /// [`AmqpBroker`] belongs to the runtime it was created on).
    pub fn broker(&self) -> Arc<dyn Broker> {
        match &self.amqp {
            Some(settings) => {
                tracing::info!(
                    url = %settings.redacted_url(),
                    namespace = %settings.namespace,
                    "jobs come from RabbitMQ"
                );
                Arc::new(AmqpBroker::new(settings.clone()))
            }
            None => {
                tracing::warn!(
                    "AMQP_URL is not set: using the in-process queue, which no other \
                     process can reach; this worker only runs the jobs staged in its \
                     database's outbox. Set AMQP_URL to share the queue with the API"
                );
                Arc::new(MemoryBroker::new())
            }
        }
    }
}

/// Starts the orders database, the event bus, the background side, and returns the
/// probes-only app that drains the worker when the server stops. Call inside the
/// actix system.
pub async fn start(settings: &WorkerSettings) -> Result<App, Box<dyn Error>> {
    let db = Database::start::<orders::Migrator>(settings.database.clone());
    let options = orders::BackgroundOptions {
        queue: settings.queue,
        produce_only: false,
    };
    let events = EventBus::new(settings.amqp.clone());
    let background = orders::start_background_with(db.clone(), settings.broker(), events, options);
    let broker = background.queue.broker().clone();
    tracing::info!(
        queues = ?background.worker.as_ref().map(|w| w.queues()),
        prefetch = settings.queue.prefetch,
        concurrency = settings.queue.concurrency,
        "worker started"
    );
    let grace = settings.grace;
    Ok(App::new("orders worker")
        .version(env!("CARGO_PKG_VERSION"))
        .description("The orders jobs' worker: probes only.")
        .docs(None)
        .ready_check("orders", db)
        .ready_probe("jobs", move || {
            let broker = broker.clone();
            async move {
                broker.ready().await.map_err(|e| e.to_string())?;
                Ok("broker".to_owned())
            }
        })
        .on_shutdown(move || {
            let background = background.clone();
            async move {
                tracing::info!(?grace, "draining the worker");
                background.shutdown(grace).await;
            }
        }))
}

/// The worker process: settings from the environment, logs, then serves the probes
/// until SIGTERM/SIGINT and drains the worker. Exits 2 on a configuration or
/// start-up error.
///
/// This is [`App::run_with`] with the worker's own default port (`run_with` reads
/// `PORT` with the gateway's default, 8000, which the worker must not take).
pub fn run() -> std::io::Result<()> {
    let settings = WorkerSettings::from_env().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    apiarist::telemetry::init();
    actix_web::rt::System::new().block_on(async move {
        let app = start(&settings).await.unwrap_or_else(|e| {
            tracing::error!("start-up failed: {e}");
            eprintln!("start-up failed: {e}");
            std::process::exit(2);
        });
        app.serve(&settings.host, settings.port).await
    })
}
