//! The worker, started as its `main` starts it ([`worker::start`]) in an actix system
//! of its own, announces the orders it confirms on RabbitMQ: a subscriber in another
//! system (another connection, as another process) hears `OrderStatusChanged`.
//! Needs `AMQP_URL` (skipped without it, failed in CI); the database is PostgreSQL
//! when `DATABASE_URL` is set, a SQLite file otherwise.

use std::{sync::Arc, time::Duration};

use apiarist::{
    db::testing::TestDatabase,
    events::EventBus,
    jobs::{AmqpBroker, AmqpSettings, Job, JobQueue, QueueOptions, TraceContext},
};
use futures_util::StreamExt;
use shared_models::orders::{ConfirmOrder, NotifyOrder, OrderStatus, OrderStatusChanged};
use worker::WorkerSettings;

fn amqp_settings() -> Option<AmqpSettings> {
    let Some(mut settings) = AmqpSettings::from_env() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs AMQP_URL for the worker's event test"
        );
        eprintln!("note: AMQP_URL not set: the worker's event test is skipped");
        return None;
    };
    settings.namespace = format!("worker-events-{}.", uuid::Uuid::new_v4().simple());
    Some(settings)
}

#[actix_web::test]
async fn the_worker_announces_the_orders_it_confirms_to_other_processes() {
    let Some(amqp) = amqp_settings() else {
        return;
    };
    let tdb = TestDatabase::postgres_from_env().unwrap_or_else(TestDatabase::sqlite);
    let db = tdb.connect::<orders::Migrator>().await;
    let settings = WorkerSettings {
        host: "127.0.0.1".to_owned(),
        port: 0,
        database: tdb.settings(),
        amqp: Some(amqp.clone()),
        queue: QueueOptions::default(),
        grace: Duration::from_secs(5),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (started_tx, started) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = worker::start(&settings).await;
            started_tx.send(app.is_ok()).unwrap();
            let _ = stopped.await;
        });
    });
    assert!(
        started.recv_timeout(Duration::from_secs(30)).unwrap(),
        "the worker started"
    );

    let events = EventBus::amqp(amqp.clone());
    let mut changes = events.subscribe::<OrderStatusChanged>().await.unwrap();
    // Placed as the orders API places it: the job waits in the outbox, which the
    // worker relays; nothing in this system handles jobs.
    let broker = AmqpBroker::new(amqp.clone());
    let queue = JobQueue::new(Arc::new(broker.clone()));
    let order = orders::place(&db, &queue, TraceContext::default(), "ann", 42, 1)
        .await
        .expect("placing the order");
    let change = tokio::time::timeout(Duration::from_secs(30), changes.next())
        .await
        .expect("the confirmation is announced within 30 s")
        .expect("the stream is open");
    assert_eq!(change.order_id, i64::from(order.id));
    assert_eq!(change.status, OrderStatus::Confirmed);
    assert_eq!(change.owner, "ann");
    assert!(change.at >= order.updated_at);

    stop.send(()).unwrap();
    worker.join().unwrap();
    for name in [ConfirmOrder::NAME, NotifyOrder::NAME] {
        let _ = broker.delete(name).await;
    }
    broker.close().await;
    let _ = events.delete::<OrderStatusChanged>().await;
    events.close().await;
}
