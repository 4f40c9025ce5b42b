//! [`AmqpBroker`]: jobs in RabbitMQ (AMQP 0-9-1, via lapin).
//!
//! - Topology per job: see [`topology`] (a direct exchange, a priority work queue,
//!   TTL holding queues for delays and retries, a dead-letter queue; no plugin).
//! - Publishing: persistent, with publisher confirms, bounded by
//!   [`AmqpSettings::publish_timeout`]; see [`publisher`].
//! - Consuming: manual acks, `prefetch` unacknowledged per subscription, resubscribing
//!   after a reconnect; see [`consumer`].
//! - The connection comes back by itself with capped exponential backoff; see [`link`].
//! - Dead letters are browsed with `basic.get` without acknowledging, on a channel of
//!   their own; closing that channel puts every message back, so browsing cannot lose
//!   a dead job (while one browse holds them, a concurrent browse sees fewer).

mod consumer;
mod dead;
// Shared with the event bus (`crate::events`), which reuses the connection handling.
pub(crate) mod link;
mod publisher;
mod topology;
mod wire;

use std::{fmt, sync::Arc, time::Duration};

use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use tokio::time::Instant;
use uuid::Uuid;

use self::{link::Link, publisher::Route};
use super::{BoxFuture, Broker, DeadJob, Deliveries, Envelope, JobError, QueueStats};

/// Where and how to reach RabbitMQ.
///
/// ```
/// use std::time::Duration;
/// use apiarist::jobs::AmqpSettings;
///
/// let settings = AmqpSettings {
///     namespace: "staging.".into(),
///     publish_timeout: Duration::from_secs(2),
///     ..AmqpSettings::new("amqp://guest:guest@127.0.0.1:5672/%2f")
/// };
/// assert_eq!(settings.redacted_url(), "amqp://guest:***@127.0.0.1:5672/%2f");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AmqpSettings {
    /// `amqp://user:password@host:5672/vhost` (`%2f` is the default vhost `/`).
    pub url: String,
    /// Prefix of every queue name (e.g. `"staging."`); empty by default.
    pub namespace: String,
    /// Longest wait for one connection attempt (default 5 s).
    pub connect_timeout: Duration,
    /// Longest wait for a publish, including a reconnect and the broker's confirm
    /// (default 5 s); after it, the publish fails with a retryable error.
    pub publish_timeout: Duration,
    /// Wait after the first failed connection attempt (default 100 ms); doubles
    /// with each further failure.
    pub reconnect_initial: Duration,
    /// Longest wait between connection attempts (default 10 s).
    pub reconnect_max: Duration,
    /// The highest [`EnqueueOptions::priority`](crate::jobs::EnqueueOptions::priority)
    /// honoured: work queues are RabbitMQ priority queues (`x-max-priority`) when it
    /// is above 0. Default 0 (`AMQP_MAX_PRIORITY`): priority queues cost RabbitMQ
    /// throughput on every job, so they are opt-in, and enqueued priorities are
    /// ignored without them. Every process sharing the queues must agree on it
    /// (RabbitMQ refuses to redeclare a queue with other arguments).
    pub max_priority: u8,
}

impl AmqpSettings {
    /// Default settings for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            namespace: String::new(),
            connect_timeout: Duration::from_secs(5),
            publish_timeout: Duration::from_secs(5),
            reconnect_initial: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(10),
            max_priority: 0,
        }
    }

    /// Settings for `AMQP_URL`, if it is set, with `AMQP_NAMESPACE` (a prefix for
    /// queue names) and `AMQP_MAX_PRIORITY` (0 to 255, see
    /// [`max_priority`](Self::max_priority)) when those are set too.
    pub fn from_env() -> Option<Self> {
        let mut settings = std::env::var("AMQP_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .map(Self::new)?;
        // Processes that must share queues (a gateway and its workers) share it.
        if let Ok(namespace) = std::env::var("AMQP_NAMESPACE") {
            settings.namespace = namespace;
        }
        if let Ok(value) = std::env::var("AMQP_MAX_PRIORITY") {
            match value.trim().parse() {
                Ok(max) => settings.max_priority = max,
                Err(_) => tracing::error!(
                    %value,
                    "AMQP_MAX_PRIORITY is not a number from 0 to 255; job priorities stay off"
                ),
            }
        }
        Some(settings)
    }

    /// The URL with its password hidden, for logs.
    pub fn redacted_url(&self) -> String {
        let Some((scheme, rest)) = self.url.split_once("://") else {
            return self.url.clone();
        };
        match rest.split_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => self.url.clone(),
            },
            None => self.url.clone(),
        }
    }
}

impl fmt::Debug for AmqpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpSettings")
            .field("url", &self.redacted_url())
            .field("namespace", &self.namespace)
            .field("connect_timeout", &self.connect_timeout)
            .field("publish_timeout", &self.publish_timeout)
            .field("reconnect_initial", &self.reconnect_initial)
            .field("reconnect_max", &self.reconnect_max)
            .field("max_priority", &self.max_priority)
            .finish()
    }
}

/// The RabbitMQ broker. Cheap to clone (clones share the connection).
///
/// - **Topology**, declared idempotently per job queue `q` (the job's name after
///   [`AmqpSettings::namespace`]): the durable direct exchange `apiarist.jobs`; the
///   work queue `q` (durable; with `x-max-priority` when
///   [`AmqpSettings::max_priority`] is set) bound to it; holding queues
///   `q.delay.<ms>` (`x-message-ttl` = ms, dead-lettered back to `q`, `x-expires` so
///   unused ones vanish) for delayed jobs and retries; the dead-letter queue `q.dead`.
///   No broker plugin. A delay is rounded *down* to two significant digits per hop,
///   the remainder takes another hop, so a job never runs early.
/// - **Messages** are persistent: the payload as JSON body, the rest of the
///   envelope in properties (`message-id`, `type`, `timestamp`) and headers
///   (`traceparent`, `x-request-id`, `x-attempts`, `x-last-error`, ...), see the
///   wire format in the crate's docs/ARCHITECTURE.md.
/// - **Publishing** returns after the broker's confirm. A nack, an unroutable
///   message, a connection lost before the confirm, or
///   [`AmqpSettings::publish_timeout`] passing (reconnect included) is a retryable
///   [`JobError`]: the caller may enqueue again (jobs are at-least-once).
/// - **Consuming**: manual acks, `prefetch` unacknowledged per subscription; a
///   subscription whose connection dies comes back on the next connection.
/// - **Reconnecting**: the next use after a loss reconnects; failed attempts are
///   spaced from [`AmqpSettings::reconnect_initial`], doubling up to
///   [`AmqpSettings::reconnect_max`].
/// - **Dead letters** are browsed with `basic.get` without acknowledging, then put
///   back (`nack` + requeue; closing the channel would too), so browsing never loses
///   one; a browse running at the same time sees fewer.
/// - **Stats** count the work queue, the holding queues this process has used, and
///   the dead letters.
///
/// ```no_run
/// use std::sync::Arc;
/// use apiarist::jobs::{AmqpBroker, JobQueue};
///
/// # #[actix_rt::main] async fn main() -> Result<(), apiarist::jobs::JobError> {
/// let broker = AmqpBroker::connect("amqp://guest:guest@127.0.0.1:5672/%2f").await?;
/// let jobs = JobQueue::new(Arc::new(broker));
/// # let _ = jobs; Ok(()) }
/// ```
#[derive(Clone)]
pub struct AmqpBroker {
    link: Arc<Link>,
}

impl fmt::Debug for AmqpBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpBroker")
            .field("url", &self.link.settings.redacted_url())
            .field("namespace", &self.link.settings.namespace)
            .field("connection_name", &self.link.connection_name)
            .finish_non_exhaustive()
    }
}

impl AmqpBroker {
    /// A broker that connects on first use (and reconnects by itself). Create it on
    /// the runtime that should own the connection (the service's main system).
    pub fn new(settings: AmqpSettings) -> Self {
        Self {
            link: Arc::new(Link::new(settings)),
        }
    }

    /// Connects to `url` with default settings; fails if the broker is unreachable.
    pub async fn connect(url: &str) -> Result<Self, JobError> {
        Self::connect_with(AmqpSettings::new(url)).await
    }

    /// Connects with `settings`; fails if the broker is unreachable.
    pub async fn connect_with(settings: AmqpSettings) -> Result<Self, JobError> {
        let broker = Self::new(settings);
        broker.ready().await?;
        Ok(broker)
    }

    /// The settings.
    pub fn settings(&self) -> &AmqpSettings {
        &self.link.settings
    }

    /// The connection's name as RabbitMQ shows it (`connection_name` in
    /// `rabbitmqctl list_connections client_properties`).
    pub fn connection_name(&self) -> &str {
        &self.link.connection_name
    }

    /// The RabbitMQ queue holding job `name`'s work (namespace + name).
    pub fn queue_name(&self, name: &str) -> String {
        self.link.queue_name(name)
    }

    /// Closes the connection; the next use opens a new one.
    pub async fn close(&self) {
        self.link.close().await;
    }

    /// Deletes job `name`'s queues (work, dead letters, and the holding queues this
    /// process used) with all their messages: for tests and decommissioning.
    pub async fn delete(&self, name: &str) -> Result<(), JobError> {
        let queue = self.queue_name(name);
        let mut queues = vec![queue.clone(), topology::dead_queue(&queue)];
        for ms in self.link.known_delays(&queue) {
            queues.push(topology::delay_queue(&queue, ms));
            self.link.forget_delay(&queue, ms);
        }
        let channel = self.link.channel(Some(self.deadline())).await?;
        for name in queues {
            channel
                .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
                .await
                .map_err(amqp_error)?;
            link::lock(&self.link.declared).remove(&name);
        }
        Ok(())
    }

    /// Every queue this broker declared (work, dead-letter and holding queues).
    #[cfg(test)]
    pub(crate) fn declared_queues(&self) -> Vec<String> {
        let declared = link::lock(&self.link.declared);
        let mut queues: Vec<String> = declared.keys().cloned().collect();
        for queue in declared.keys().filter(|q| !q.contains(".delay.")) {
            queues.push(topology::dead_queue(queue));
        }
        queues
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.link.settings.publish_timeout
    }

    /// Runs `op` within the publish timeout.
    async fn bounded<T>(
        &self,
        what: &str,
        op: impl Future<Output = Result<T, JobError>>,
    ) -> Result<T, JobError> {
        let timeout = self.link.settings.publish_timeout;
        tokio::time::timeout(timeout, op).await.unwrap_or_else(|_| {
            Err(JobError::retry(format!(
                "{what} timed out after {timeout:?}"
            )))
        })
    }

    async fn queue_stats(&self, name: &str) -> Result<QueueStats, JobError> {
        let queue = self.queue_name(name);
        let deadline = self.deadline();
        self.link.ensure_declared(&queue, Some(deadline)).await?;
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let count = |channel: lapin::Channel, queue: String| async move {
            let declared = channel
                .queue_declare(queue.as_str().into(), passive, Default::default())
                .await;
            declared.map(|q| u64::from(q.message_count()))
        };
        let channel = self.link.channel(Some(deadline)).await?;
        let mut ready = count(channel.clone(), queue.clone())
            .await
            .map_err(amqp_error)?;
        let dead = count(channel.clone(), topology::dead_queue(&queue))
            .await
            .map_err(amqp_error)?;
        let mut channel = Some(channel);
        for ms in self.link.known_delays(&queue) {
            // A missing (expired) holding queue closes the channel: take a new one.
            let ch = match channel.take() {
                Some(ch) => ch,
                None => self.link.channel(Some(deadline)).await?,
            };
            match count(ch.clone(), topology::delay_queue(&queue, ms)).await {
                Ok(n) => {
                    ready += n;
                    channel = Some(ch);
                }
                Err(_) => self.link.forget_delay(&queue, ms),
            }
        }
        Ok(QueueStats {
            queue: name.to_owned(),
            ready,
            dead,
        })
    }
}

impl Broker for AmqpBroker {
    fn declare(&self, name: &str) -> BoxFuture<'_, Result<(), JobError>> {
        let queue = self.queue_name(name);
        Box::pin(async move {
            self.bounded("declaring queues", self.link.ensure_declared(&queue, None))
                .await
        })
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), JobError>> {
        Box::pin(async move { self.link.publish(&envelope, Route::Work).await })
    }

    fn consume(&self, name: &str, prefetch: u16) -> BoxFuture<'_, Result<Deliveries, JobError>> {
        let deliveries = consumer::deliveries(self.link.clone(), name, prefetch);
        Box::pin(std::future::ready(Ok(deliveries)))
    }

    fn stats(&self, name: &str) -> BoxFuture<'_, Result<QueueStats, JobError>> {
        let name = name.to_owned();
        Box::pin(async move {
            self.bounded("reading queue stats", self.queue_stats(&name))
                .await
        })
    }

    fn dead_jobs(&self, name: &str) -> BoxFuture<'_, Result<Vec<DeadJob>, JobError>> {
        let name = name.to_owned();
        Box::pin(async move {
            self.bounded("reading dead letters", self.browse_dead(&name))
                .await
        })
    }

    fn settle_dead(
        &self,
        name: &str,
        id: Uuid,
        requeue: bool,
    ) -> BoxFuture<'_, Result<bool, JobError>> {
        let name = name.to_owned();
        Box::pin(async move {
            self.bounded("settling a dead job", self.take_dead(&name, id, requeue))
                .await
        })
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            let session = self.link.session(Some(self.deadline())).await?;
            if session.conn.status().connected() {
                Ok(())
            } else {
                Err(JobError::retry("message broker connection is not open"))
            }
        })
    }
}

/// Connection and channel failures are worth a retry; the job itself is fine.
fn amqp_error(error: lapin::Error) -> JobError {
    JobError::retry(format!("message broker error: {error}"))
}
