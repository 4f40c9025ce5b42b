//! A worker process for the crash test: consumes [`SlowEffect`] jobs from RabbitMQ
//! and handles them with [`SlowEffects`] (see `e2e::slow`), until killed.
//!
//! Environment: `E2E_DATABASE_URL` (PostgreSQL, with `e2e::slow::Migrator`'s tables),
//! `AMQP_URL`, `E2E_AMQP_NAMESPACE`, `E2E_PAUSE` (`before-commit`, `after-commit` or
//! `never`) and `E2E_PAUSE_MS`. Test-only: nothing here is in a production path.

use std::{sync::Arc, time::Duration};

use actix::Actor;
use apiarist::{
    db::{Database, DbSettings},
    jobs::{AmqpBroker, Worker},
};
use e2e::slow::{Migrator, Pause, SlowEffect, SlowEffects};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is required"))
}

fn main() {
    apiarist::telemetry::init();
    let pause = Pause::parse(&var("E2E_PAUSE")).expect("E2E_PAUSE");
    let pause_for = Duration::from_millis(var("E2E_PAUSE_MS").parse().expect("E2E_PAUSE_MS"));
    let settings = e2e::amqp_settings(&var("AMQP_URL"), &var("E2E_AMQP_NAMESPACE"));
    actix_rt::System::new().block_on(async move {
        let db = Database::start::<Migrator>(DbSettings::new(var("E2E_DATABASE_URL")));
        db.wait_ready().await.expect("the database is ready");
        let broker = Arc::new(AmqpBroker::new(settings));
        let handler = SlowEffects { db, pause, pause_for }.start();
        let worker = Worker::new(broker)
            .handle::<SlowEffect, _>(handler)
            .start();
        tracing::info!(pause = pause.as_str(), ?pause_for, queues = ?worker.queues(), "slow-effect worker running");
        std::future::pending::<()>().await;
    });
}
