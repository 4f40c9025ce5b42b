//! The standalone worker (`services/worker`) as a process of its own.
//!
//! The test creates a fresh PostgreSQL orders database and places an order there
//! with [`orders::place`], exactly as the orders API does: the order and its
//! `ConfirmOrder` job are written in one transaction, the job into the outbox. Nothing
//! in the test publishes or handles jobs. The worker process (`orders-worker`, with
//! `DATABASE_URL`, `AMQP_URL` and a namespace of its own) must:
//!
//! - answer `GET /healthz` and `GET /readyz` (and nothing else: no docs);
//! - relay the staged job to RabbitMQ, confirm the order (`status = confirmed`), and
//!   record exactly one notification through the `NotifyOrder` job its handler
//!   staged, leaving the outbox empty;
//! - on SIGTERM, drain and exit 0 within its grace period.
//!
//! A second test checks that a bad setting stops it at start-up with exit status 2.

use std::{sync::Arc, time::Duration};

use apiarist::jobs::{AmqpBroker, Job, JobQueue, TraceContext, outbox};
use e2e::{Process, QueueGuard, eventually, free_port, http_status};
use shared_models::orders::{ConfirmOrder, NotifyOrder};

const BIN: &str = env!("CARGO_BIN_EXE_orders-worker");

const PATIENCE: Duration = Duration::from_secs(60);

/// The worker's shutdown grace (`WORKER_SHUTDOWN_GRACE_SECS`).
const GRACE_SECS: u64 = 10;

#[actix_rt::test]
async fn the_worker_process_confirms_orders_and_stops_cleanly_on_sigterm() {
    let Some(services) = e2e::services("worker process") else {
        return;
    };
    let db = services.db.connect::<orders::Migrator>().await;
    let conn = db.conn().await.unwrap();
    let namespace = e2e::namespace("worker");
    let broker = AmqpBroker::new(e2e::amqp_settings(&services.amqp_url, &namespace));
    let queues = QueueGuard::new(broker.clone(), &[ConfirmOrder::NAME, NotifyOrder::NAME]);

    let port = free_port();
    let mut worker = Process::spawn(
        "orders-worker",
        BIN,
        &[
            ("DATABASE_URL", services.db.url().to_owned()),
            ("AMQP_URL", services.amqp_url.clone()),
            ("AMQP_NAMESPACE", namespace.clone()),
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", port.to_string()),
            ("WORKER_PREFETCH", "4".to_owned()),
            ("WORKER_CONCURRENCY", "2".to_owned()),
            ("WORKER_SHUTDOWN_GRACE_SECS", GRACE_SECS.to_string()),
        ],
    );
    eventually(
        "the worker to be ready",
        PATIENCE,
        || worker.logs(),
        || async { (http_status(port, "/readyz") == Some(200)).then_some(()) },
    )
    .await;
    assert_eq!(http_status(port, "/healthz"), Some(200));
    assert_eq!(http_status(port, "/docs"), Some(404), "probes only");
    assert_eq!(http_status(port, "/openapi.json"), Some(404), "probes only");

    // Placed as the orders API places it; the job goes to the outbox, not the broker.
    let queue = JobQueue::new(Arc::new(broker.clone()));
    let order = orders::place(&db, &queue, TraceContext::default(), "7", 42, 1)
        .await
        .expect("placing the order");
    let id = i64::from(order.id);
    assert_eq!(order.status, "pending");

    eventually(
        "the order to be confirmed",
        PATIENCE,
        || worker.logs(),
        || async {
            let order = orders::models::find(&conn, id).await.unwrap()?;
            (order.status == "confirmed").then_some(())
        },
    )
    .await;
    eventually(
        "the notification",
        PATIENCE,
        || worker.logs(),
        || async {
            let notes = orders::models::notifications(&conn, id).await.unwrap();
            (!notes.is_empty()).then_some(())
        },
    )
    .await;
    // Time for a duplicate to appear, if one could.
    actix_rt::time::sleep(Duration::from_secs(1)).await;
    let notes = orders::models::notifications(&conn, id).await.unwrap();
    assert_eq!(notes.len(), 1, "exactly one notification: {notes:?}");
    assert_eq!(notes[0].message, format!("Order #{id}: confirmed"));
    assert_eq!(outbox::pending(&conn).await.unwrap(), 0, "all relayed");

    worker.signal("TERM");
    let grace = Duration::from_secs(GRACE_SECS + 5);
    let status = worker.wait_exit(grace).await;
    let logs = worker.logs();
    assert!(
        status.is_some_and(|s| s.success()),
        "exit 0 within the grace period, got {status:?}\n{logs}"
    );
    assert!(
        logs.contains("worker stopped"),
        "the worker drained\n{logs}"
    );
    drop(worker);
    queues.cleanup().await;
}

#[actix_rt::test]
async fn a_bad_setting_stops_the_worker_at_start_up() {
    let mut worker = Process::spawn(
        "orders-worker",
        BIN,
        &[
            ("WORKER_CONCURRENCY", "0".to_owned()),
            ("PORT", free_port().to_string()),
            // Were the setting accepted, touch no real service.
            (
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:1/none".to_owned(),
            ),
            ("AMQP_URL", String::new()),
        ],
    );
    let status = worker.wait_exit(PATIENCE).await;
    let logs = worker.logs();
    assert_eq!(status.and_then(|s| s.code()), Some(2), "{logs}");
    assert!(logs.contains("WORKER_CONCURRENCY"), "{logs}");
}
