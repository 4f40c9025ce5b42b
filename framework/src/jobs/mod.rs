//! Durable background jobs: typed payloads, a broker, workers that lose nothing.
//!
//! - A [`Job`] is a serde payload that is also an actix [`Message`](actix::Message):
//!   the same value can be sent to a domain actor from a route, or enqueued and
//!   delivered to that actor by a worker.
//! - [`Jobs`] (a request dependency, and a plain handle) enqueues: the call returns
//!   once the broker holds the job (publisher confirms), with options for a delay, a
//!   priority and an idempotency key.
//! - A [`Broker`] stores and delivers [`Envelope`]s: RabbitMQ over AMQP in production,
//!   an in-process queue with the same semantics by default.
//! - A worker consumes a queue, hands each job to its handler, acknowledges only
//!   after the handler succeeded, retries failures with exponential backoff and
//!   dead-letters a job (with its last error) after its attempts.
//!
//! The pieces: [`MemoryBroker`] (in-process), [`AmqpBroker`] (RabbitMQ, see
//! [`AmqpSettings`]), [`Worker`] and its [`WorkerHandle`].
//!
//! ```no_run
//! use std::{sync::Arc, time::Duration};
//! use apiarist::jobs::{AmqpBroker, AmqpSettings, Broker, JobQueue, MemoryBroker, Worker};
//!
//! # #[actix_rt::main] async fn main() {
//! // RabbitMQ when AMQP_URL is set, the in-process broker otherwise.
//! let broker: Arc<dyn Broker> = match AmqpSettings::from_env() {
//!     Some(settings) => Arc::new(AmqpBroker::new(settings)),
//!     None => Arc::new(MemoryBroker::new()),
//! };
//! let jobs = JobQueue::new(broker.clone()); // app state, for routes that enqueue
//! let worker = Worker::new(broker) /* .handle::<MyJob, _>(my_actor_addr) */ .start();
//! // ... serve until SIGTERM, then:
//! worker.shutdown(Duration::from_secs(30)).await;
//! # let _ = jobs; }
//! ```

mod amqp;
pub mod asyncapi;
mod catalog;
mod envelope;
mod memory;
mod operate;
pub mod outbox;
mod request;
mod worker;

#[cfg(test)]
mod tests;

pub(crate) use amqp::link::Link;
pub use amqp::{AmqpBroker, AmqpSettings};
pub(crate) use catalog::payload_facts;
pub use catalog::{Catalog, JobInfo};
pub use envelope::{EnqueueOptions, Envelope, JobError, TraceContext};
pub use memory::MemoryBroker;
pub use operate::operator_router;
pub use outbox::{Outbox, OutboxRelay};
pub use request::Jobs;
pub use worker::{QueueOptions, Worker, WorkerHandle};

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};

/// A boxed future, for the object-safe [`Broker`] trait.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A unit of background work: a typed payload with a name and a retry policy.
///
/// Declare payloads in `shared-models` so producers and workers agree on them;
/// implement the handler as `actix::Handler<J>` on a domain actor.
///
/// ```
/// use apiarist::jobs::{Job, JobError};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
/// pub struct ConfirmOrder {
///     pub order_id: i64,
/// }
///
/// impl actix::Message for ConfirmOrder {
///     type Result = Result<(), JobError>;
/// }
///
/// impl Job for ConfirmOrder {
///     const NAME: &'static str = "orders.confirm";
/// }
/// ```
pub trait Job:
    Serialize
    + DeserializeOwned
    + JsonSchema
    + actix::Message<Result = Result<(), JobError>>
    + Send
    + 'static
{
    /// The job's name: its queue and its routing key (e.g. `"orders.confirm"`).
    const NAME: &'static str;

    /// Attempts before the job is dead-lettered (the first run counts).
    const MAX_ATTEMPTS: u32 = 5;

    /// Delay before the first retry; each further retry doubles it.
    const RETRY_BASE: Duration = Duration::from_secs(1);

    /// Longest delay between two attempts.
    const RETRY_MAX: Duration = Duration::from_secs(300);
}

/// How long to wait before attempt `attempt + 1` after attempt `attempt` failed
/// (attempts count from 1): `base * 2^(attempt-1)`, at most `max`.
///
/// ```
/// use std::time::Duration;
/// use apiarist::jobs::backoff;
///
/// let base = Duration::from_secs(1);
/// let max = Duration::from_secs(60);
/// assert_eq!(backoff(1, base, max), Duration::from_secs(1));
/// assert_eq!(backoff(3, base, max), Duration::from_secs(4));
/// assert_eq!(backoff(30, base, max), max);
/// ```
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    base.saturating_mul(factor).min(max)
}

/// Depths of one queue, for operators.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct QueueStats {
    /// The queue (a job name).
    pub queue: String,
    /// Jobs waiting to be delivered (including those waiting for a retry or delay).
    pub ready: u64,
    /// Jobs dead-lettered after their attempts.
    pub dead: u64,
}

/// A dead-lettered job: its envelope, whose `last_error` says why.
pub type DeadJob = Envelope;

/// One delivered job, to be settled exactly once.
pub trait Delivery: Send {
    /// The job.
    fn envelope(&self) -> &Envelope;

    /// Done: remove it from the broker.
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), JobError>>;

    /// Failed: deliver `envelope` (the same job, attempt and error updated) again
    /// after `delay` (the broker sets its `not_before` to now + `delay`).
    fn retry(
        self: Box<Self>,
        envelope: Envelope,
        delay: Duration,
    ) -> BoxFuture<'static, Result<(), JobError>>;

    /// Failed for the last time: move `envelope` (with its last error) to the
    /// queue's dead letters.
    fn dead_letter(self: Box<Self>, envelope: Envelope)
    -> BoxFuture<'static, Result<(), JobError>>;
}

/// A stream of deliveries from one queue. It does not end while the broker lives
/// (a broker that loses its connection subscribes again by itself). Dropping it
/// stops the consumer; jobs it delivered and nobody settled go back to the queue
/// once the stream and all their deliveries are dropped.
pub type Deliveries = Pin<Box<dyn futures_util::Stream<Item = Box<dyn Delivery>> + Send>>;

/// Where jobs wait: durable storage and delivery, with the retry and dead-letter
/// plumbing. Implemented by the in-process broker and the AMQP broker.
pub trait Broker: Send + Sync + std::fmt::Debug + 'static {
    /// Declares what queue `name` needs (idempotent): the queue, its retry and
    /// delay plumbing, its dead letters.
    fn declare(&self, name: &str) -> BoxFuture<'_, Result<(), JobError>>;

    /// Stores `envelope` (after its delay, if it has `not_before`), returning once
    /// the broker has it durably.
    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), JobError>>;

    /// Delivers queue `name`'s jobs, at most `prefetch` unsettled at a time.
    fn consume(&self, name: &str, prefetch: u16) -> BoxFuture<'_, Result<Deliveries, JobError>>;

    /// Depths of queue `name`.
    fn stats(&self, name: &str) -> BoxFuture<'_, Result<QueueStats, JobError>>;

    /// The dead letters of queue `name`.
    fn dead_jobs(&self, name: &str) -> BoxFuture<'_, Result<Vec<DeadJob>, JobError>>;

    /// Takes dead job `id` out of queue `name`'s dead letters: published again with
    /// fresh attempts when `requeue`, dropped otherwise. `Ok(false)` if no such job.
    fn settle_dead(
        &self,
        name: &str,
        id: uuid::Uuid,
        requeue: bool,
    ) -> BoxFuture<'_, Result<bool, JobError>>;

    /// Whether the broker is reachable, for readiness probes.
    fn ready(&self) -> BoxFuture<'_, Result<(), JobError>>;
}

/// `now + delay` as a `not_before`, or `None` for no delay.
fn due_after(delay: Duration) -> Option<chrono::DateTime<chrono::Utc>> {
    if delay.is_zero() {
        return None;
    }
    chrono::Duration::from_std(delay)
        .ok()
        .map(|delay| chrono::Utc::now() + delay)
}

/// The service's job queue: the broker, and the outbox relay if the service has one.
/// Cheap to clone, shareable across threads; register it as app state, and take
/// [`Jobs`] in handlers.
#[derive(Debug, Clone)]
pub struct JobQueue {
    broker: Arc<dyn Broker>,
    outbox: Option<Outbox>,
    catalog: Catalog,
}

impl JobQueue {
    /// A queue on `broker`.
    pub fn new(broker: Arc<dyn Broker>) -> Self {
        Self {
            broker,
            outbox: None,
            catalog: Catalog::default(),
        }
    }

    /// Declares that this service sends or handles job type `J`: it is listed by the
    /// operator endpoints and documented in `/asyncapi.json`.
    pub fn register<J: Job>(mut self) -> Self {
        self.catalog.add(JobInfo::of::<J>());
        self
    }

    /// The registered job types.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Jobs enqueued inside a transaction go through `outbox`.
    pub fn with_outbox(mut self, outbox: Outbox) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// The outbox relay, if any.
    pub fn outbox(&self) -> Option<&Outbox> {
        self.outbox.as_ref()
    }

    /// Stages `job` in `conn`'s transaction (see [`outbox`]): published after the
    /// commit, never after a rollback. Nudge the relay after committing
    /// ([`Outbox::nudge`]), or let its timer find it.
    pub async fn enqueue_in<J: Job>(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        job: J,
        options: EnqueueOptions,
    ) -> Result<Envelope, JobError> {
        let envelope = Envelope::new(&job, options)?;
        outbox::stage(conn, &envelope)
            .await
            .map_err(|e| JobError::retry(format!("could not stage the job: {e}")))?;
        Ok(envelope)
    }

    /// The broker behind the handle.
    pub fn broker(&self) -> &Arc<dyn Broker> {
        &self.broker
    }

    /// Enqueues `job` now; returns once the broker holds it.
    pub async fn enqueue<J: Job>(&self, job: J) -> Result<Envelope, JobError> {
        self.enqueue_with(job, EnqueueOptions::default()).await
    }

    /// Enqueues `job` with a delay, priority or idempotency key.
    pub async fn enqueue_with<J: Job>(
        &self,
        job: J,
        options: EnqueueOptions,
    ) -> Result<Envelope, JobError> {
        let envelope = Envelope::new(&job, options)?;
        self.broker.publish(envelope.clone()).await?;
        Ok(envelope)
    }
}
