//! Behaviour of brokers and workers: the in-process broker always, RabbitMQ when
//! `AMQP_URL` is set (each test in a namespace of its own, its queues deleted at
//! the end). With `CI=true` and no `AMQP_URL`, the RabbitMQ tests fail instead of
//! being skipped.

pub(super) mod actors;
mod amqp;
mod brokers;
mod worker;

use std::{future::Future, sync::Arc, time::Duration};

use tokio::time::Instant;

use super::{AmqpBroker, AmqpSettings, Broker, Job, JobQueue, MemoryBroker};

/// One broker under test.
pub(super) struct TestBroker {
    pub(super) label: &'static str,
    pub(super) broker: Arc<dyn Broker>,
    pub(super) amqp: Option<AmqpBroker>,
}

impl TestBroker {
    pub(super) fn memory() -> Self {
        Self {
            label: "memory",
            broker: Arc::new(MemoryBroker::new()),
            amqp: None,
        }
    }

    /// A RabbitMQ broker in a fresh namespace, or `None` (with a note) when
    /// `AMQP_URL` is not set.
    ///
    /// # Panics
    ///
    /// When `CI` is `true` (or `1`) and `AMQP_URL` is not set.
    pub(super) fn amqp() -> Option<Self> {
        // Priority queues, so the priority tests run on both brokers.
        let settings = AmqpSettings {
            max_priority: 9,
            ..amqp_settings()?
        };
        let amqp = AmqpBroker::new(settings);
        Some(Self {
            label: "amqp",
            broker: Arc::new(amqp.clone()),
            amqp: Some(amqp),
        })
    }

    /// The in-process broker, and RabbitMQ when configured.
    pub(super) fn all() -> Vec<Self> {
        let mut all = vec![Self::memory()];
        all.extend(Self::amqp());
        all
    }

    pub(super) fn jobs(&self) -> JobQueue {
        JobQueue::new(self.broker.clone())
    }

    /// Deletes the queues of `J` (and closes the connection).
    pub(super) async fn finish<J: Job>(self) {
        self.finish_names(&[J::NAME]).await;
    }

    pub(super) async fn finish_names(mut self, names: &[&str]) {
        if let Some(amqp) = self.amqp.take() {
            for name in names {
                if let Err(error) = amqp.delete(name).await {
                    eprintln!("warning: could not delete the test queues of {name}: {error}");
                }
            }
            amqp.close().await;
        }
    }
}

impl Drop for TestBroker {
    /// A test that failed before [`TestBroker::finish`] still deletes its queues: on
    /// a thread of its own with its own runtime and connection (this one may be
    /// unwinding inside the test's runtime).
    fn drop(&mut self) {
        let Some(amqp) = self.amqp.take() else {
            return;
        };
        let queues = amqp.declared_queues();
        let url = amqp.settings().url.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let delete = async {
                    use lapin::{Connection, ConnectionProperties, options::QueueDeleteOptions};
                    let conn = Connection::connect(&url, ConnectionProperties::default()).await?;
                    let channel = conn.create_channel().await?;
                    for queue in &queues {
                        let options = QueueDeleteOptions::default();
                        channel.queue_delete(queue.as_str().into(), options).await?;
                    }
                    conn.close(200, "OK".into()).await
                };
                match tokio::time::timeout(Duration::from_secs(5), delete).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => eprintln!("warning: deleting test queues: {error}"),
                    Err(_) => eprintln!("warning: deleting test queues timed out"),
                }
            });
        });
        let _ = cleanup.join();
    }
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Settings for `AMQP_URL` in a namespace of the test's own, with quick timeouts.
pub(super) fn amqp_settings() -> Option<AmqpSettings> {
    let Some(mut settings) = AmqpSettings::from_env() else {
        if is_ci() {
            panic!(
                "CI is set but AMQP_URL is not: the RabbitMQ tests would be skipped. \
                 Set AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2f."
            );
        }
        eprintln!(
            "note: AMQP_URL is not set; skipping RabbitMQ, testing the in-process broker only"
        );
        return None;
    };
    settings.namespace = format!("apiarist-test-{}.", uuid::Uuid::new_v4().simple());
    settings.reconnect_initial = Duration::from_millis(50);
    settings.reconnect_max = Duration::from_millis(500);
    settings.publish_timeout = Duration::from_secs(5);
    Some(settings)
}

/// Polls `check` every 20 ms until it holds, for at most `timeout`.
pub(super) async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until queue `name` has `ready` waiting and `dead` dead-lettered jobs.
pub(super) async fn wait_stats(tb: &TestBroker, name: &str, ready: u64, dead: u64) {
    let what = format!("[{}] {name} has {ready} ready and {dead} dead", tb.label);
    eventually(Duration::from_secs(10), &what, || async {
        let stats = tb.broker.stats(name).await.expect("stats");
        stats.ready == ready && stats.dead == dead
    })
    .await;
}
