//! The transactional outbox survives a broker outage, and a rollback emits nothing.
//!
//! RabbitMQ is reached through a [`Proxy`] the test switches off (every connection
//! cut, new ones closed at once) and on. With the proxy off, one transaction stages a
//! `Ping("committed")` with [`JobQueue::enqueue_in`] and commits, another stages a
//! `Ping("rolled back")` and rolls back. The [`Outbox`] relay (running on that
//! database, publishing through the proxy) cannot publish: the committed job stays in
//! the outbox (`pending == 1`, the rolled-back one was never written) and nothing is
//! delivered. Switched on, the relay publishes it within seconds, the worker (also
//! behind the proxy, reconnecting by itself) handles it exactly once, the outbox is
//! empty, and the rolled-back job never shows up.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use actix::{Actor, Context, Handler};
use apiarist::jobs::{AmqpBroker, EnqueueOptions, Job, JobError, JobQueue, Outbox, Worker, outbox};
use e2e::{Proxy, QueueGuard, eventually};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
struct Ping {
    tag: String,
}

impl actix::Message for Ping {
    type Result = Result<(), JobError>;
}

impl Job for Ping {
    const NAME: &'static str = "e2e.ping";
}

/// Records the tags it handles.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    fn seen(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<Ping> for Recorder {
    type Result = Result<(), JobError>;

    fn handle(&mut self, job: Ping, _: &mut Context<Self>) -> Self::Result {
        self.0.lock().unwrap().push(job.tag);
        Ok(())
    }
}

fn ping(tag: &str) -> Ping {
    Ping {
        tag: tag.to_owned(),
    }
}

#[actix_rt::test]
async fn staged_jobs_wait_out_a_broker_outage_and_rollbacks_emit_nothing() {
    let Some(services) = e2e::services("outage") else {
        return;
    };
    let db = services.db.connect::<e2e::slow::Migrator>().await;
    let namespace = e2e::namespace("outage");
    let direct = AmqpBroker::new(e2e::amqp_settings(&services.amqp_url, &namespace));
    let queues = QueueGuard::new(direct.clone(), &[Ping::NAME]);

    let proxy = Proxy::start(e2e::amqp_address(&services.amqp_url), false);
    let url = e2e::amqp_url_via(&services.amqp_url, proxy.port());
    let via_proxy = AmqpBroker::new(e2e::amqp_settings(&url, &namespace));
    let broker = Arc::new(via_proxy.clone());
    let relay = Outbox::start(db.clone(), broker.clone(), Duration::from_millis(200));
    let queue = JobQueue::new(broker.clone()).with_outbox(relay.clone());
    let recorder = Recorder::default();
    let worker = Worker::new(broker)
        .handle::<Ping, _>(recorder.clone().start())
        .start();

    // The broker is unreachable: stage one job and commit, one and roll back.
    let tx = db.begin().await.unwrap();
    queue
        .enqueue_in(&tx, ping("rolled back"), EnqueueOptions::default())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let conn = db.conn().await.unwrap();
    let tx = conn.begin().await.unwrap();
    queue
        .enqueue_in(&tx, ping("committed"), EnqueueOptions::default())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    relay.nudge();

    // Several relay passes and reconnect attempts later, it is all still there.
    actix_rt::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        outbox::pending(&conn).await.unwrap(),
        1,
        "the committed job waits"
    );
    assert!(
        recorder.seen().is_empty(),
        "nothing was delivered: {:?}",
        recorder.seen()
    );

    proxy.switch_on();
    let no_logs = String::new;
    eventually(
        "the relay to publish",
        Duration::from_secs(60),
        no_logs,
        || async { (outbox::pending(&conn).await.unwrap() == 0).then_some(()) },
    )
    .await;
    eventually(
        "the worker to handle it",
        Duration::from_secs(60),
        no_logs,
        || async { (!recorder.seen().is_empty()).then_some(()) },
    )
    .await;
    // Time for a duplicate or the rolled-back job to show up, if either could.
    actix_rt::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        recorder.seen(),
        ["committed"],
        "once, and only the committed job"
    );

    worker.shutdown(Duration::from_secs(10)).await;
    via_proxy.close().await;
    drop(proxy);
    queues.cleanup().await;
}
