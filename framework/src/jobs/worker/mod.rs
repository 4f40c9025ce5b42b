//! [`Worker`]: consumes job queues and hands each job to its actor.
//!
//! A worker is a set of handlers, one per job type, each an actix actor's address.
//! [`Worker::start`] starts one supervised consumer actor per queue (see
//! [`consumer`]); each delivery is decoded into the job type, sent to the actor,
//! and settled from the answer (see [`handler`] for the table). Every job is logged
//! in a `job` span with its name, id, attempt, request id and `traceparent`.
//!
//! Delivery is at-least-once: a job is acknowledged only after its handler
//! returned `Ok`, so a crash (or a connection loss) in between runs it again.
//! Handlers should be idempotent, e.g. by claiming
//! [`Envelope::effect_key`](super::Envelope::effect_key).
//!
//! Panics: actix does not catch panics. A panic in the worker's own code (or while
//! decoding a payload) is caught, counted as a failed attempt, and restarts the
//! consumer. A panic inside *your actor's* handler kills that actor's task: the
//! worker sees a closed mailbox (a failed attempt, retried later), but the actor
//! stays dead unless it protects itself: run the handler's work under
//! `catch_unwind` and `ctx.stop()` on a panic, started with [`actix::Supervisor`],
//! as [`DbActor`](crate::db::DbActor) does.

mod consumer;
mod handler;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use actix::{Actor, Addr, Handler, Supervisor, dev::ToEnvelope};
use tokio::sync::watch;

use self::{
    consumer::{Drain, QueueConsumer},
    handler::JobHandler,
};
use super::{Broker, Job};

/// How one queue is consumed.
///
/// ```
/// use apiarist::jobs::QueueOptions;
///
/// let options = QueueOptions { concurrency: 16, ..QueueOptions::default() };
/// assert_eq!(options.prefetch, 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueOptions {
    /// Unsettled jobs the broker hands this worker at most (AMQP `basic.qos`;
    /// default 8). 0 means no limit.
    pub prefetch: u16,
    /// Jobs handled at the same time at most (default 4). A job is taken from the
    /// broker only when a slot is free.
    pub concurrency: usize,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            prefetch: 8,
            concurrency: 4,
        }
    }
}

/// Consumes job queues, handing each job to its actor.
///
/// [`start`](Self::start) runs one consumer actor per queue under
/// [`actix::Supervisor`]. Each delivery is decoded into its job type, sent to the
/// actor (`addr.send(job)`), and settled from the answer:
///
/// | outcome                                   | settles as                              |
/// |-------------------------------------------|-----------------------------------------|
/// | `Ok(())`                                  | ack                                     |
/// | `JobError::retry`, attempts left          | retry after [`backoff`](super::backoff)`(attempt, J::RETRY_BASE, J::RETRY_MAX)` |
/// | `JobError::retry`, no attempts left       | dead letter, with the error             |
/// | `JobError::fatal`                         | dead letter at once                     |
/// | payload does not decode into `J`          | dead letter at once                     |
/// | the actor's mailbox is closed or full     | failed attempt (retryable)              |
/// | a panic in the worker (e.g. decoding)     | failed attempt; the consumer restarts   |
///
/// Each job runs in a `job` span with `job`, `job_id`, `attempt`, `request_id` and
/// `traceparent`. Delivery is at-least-once (acknowledged only after `Ok`), so
/// handlers should be idempotent, e.g. by claiming
/// [`Envelope::effect_key`](super::Envelope::effect_key).
///
/// actix does not catch panics: a panic inside *your actor's* handler kills that
/// actor's task. The worker counts it as a failed attempt (the mailbox closes), but
/// the actor stays dead unless it protects itself like
/// [`DbActor`](crate::db::DbActor): run the handler's work under `catch_unwind`,
/// `ctx.stop()` on a panic, and start the actor with [`actix::Supervisor`].
///
/// ```no_run
/// use std::{sync::Arc, time::Duration};
/// use actix::prelude::*;
/// use apiarist::jobs::{Job, JobError, JobQueue, MemoryBroker, Worker};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
/// struct SendWelcome { user_id: i64 }
/// impl Message for SendWelcome { type Result = Result<(), JobError>; }
/// impl Job for SendWelcome { const NAME: &'static str = "users.welcome"; }
///
/// struct Mailer;
/// impl Actor for Mailer { type Context = Context<Self>; }
/// impl Handler<SendWelcome> for Mailer {
///     type Result = Result<(), JobError>;
///     fn handle(&mut self, job: SendWelcome, _: &mut Context<Self>) -> Self::Result {
///         println!("welcome, user {}", job.user_id);
///         Ok(())
///     }
/// }
///
/// # #[actix_rt::main] async fn main() -> Result<(), JobError> {
/// let broker = Arc::new(MemoryBroker::new());
/// let worker = Worker::new(broker.clone())
///     .handle::<SendWelcome, _>(Mailer.start())
///     .start();
/// JobQueue::new(broker).enqueue(SendWelcome { user_id: 7 }).await?;
/// // ... on the way out:
/// worker.shutdown(Duration::from_secs(30)).await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Worker {
    broker: Arc<dyn Broker>,
    queues: Vec<(Arc<JobHandler>, QueueOptions)>,
}

impl Worker {
    /// A worker consuming from `broker`, with no handlers yet.
    pub fn new(broker: Arc<dyn Broker>) -> Self {
        Self {
            broker,
            queues: Vec::new(),
        }
    }

    /// Jobs `J` (queue [`J::NAME`](Job::NAME)) go to the actor at `addr`, with the
    /// default [`QueueOptions`].
    ///
    /// # Panics
    ///
    /// If `J`'s queue already has a handler.
    pub fn handle<J, A>(self, addr: Addr<A>) -> Self
    where
        J: Job,
        A: Actor + Handler<J>,
        A::Context: ToEnvelope<A, J>,
    {
        self.handle_with::<J, A>(addr, QueueOptions::default())
    }

    /// Like [`handle`](Self::handle), with `options` for `J`'s queue.
    ///
    /// # Panics
    ///
    /// If `J`'s queue already has a handler.
    pub fn handle_with<J, A>(mut self, addr: Addr<A>, options: QueueOptions) -> Self
    where
        J: Job,
        A: Actor + Handler<J>,
        A::Context: ToEnvelope<A, J>,
    {
        assert!(
            self.queues.iter().all(|(h, _)| h.name != J::NAME),
            "job queue {:?} already has a handler",
            J::NAME
        );
        let handler = JobHandler::actor::<J, A>(addr);
        self.queues.push((Arc::new(handler), options));
        self
    }

    /// Starts consuming, one supervised consumer actor per queue on the current
    /// arbiter. Must run inside an actix system; returns at once (a broker that is
    /// down is retried in the background).
    pub fn start(self) -> WorkerHandle {
        let consumers = self
            .queues
            .into_iter()
            .map(|(handler, options)| {
                let name = handler.name;
                let broker = self.broker.clone();
                let addr = Supervisor::start(move |_| QueueConsumer::new(broker, handler, options));
                (name, addr)
            })
            .collect();
        let (stopped, _) = watch::channel(false);
        WorkerHandle {
            inner: Arc::new(HandleInner {
                consumers: Mutex::new(Some(consumers)),
                stopped,
            }),
        }
    }
}

/// A running [`Worker`]: cheap to clone; dropping it leaves the worker running
/// (until [`shutdown`](Self::shutdown) or the actix system stops).
///
/// When the actix system stops without a shutdown, jobs in flight are dropped
/// unacknowledged and the broker delivers them again (to the next worker).
#[derive(Debug, Clone)]
pub struct WorkerHandle {
    inner: Arc<HandleInner>,
}

type Consumers = Vec<(&'static str, Addr<QueueConsumer>)>;

#[derive(Debug)]
struct HandleInner {
    /// `None` once a shutdown began.
    consumers: Mutex<Option<Consumers>>,
    stopped: watch::Sender<bool>,
}

impl WorkerHandle {
    /// The grace period of [`stop`](Self::stop).
    pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

    /// The queues (job names) being consumed.
    pub fn queues(&self) -> Vec<&'static str> {
        let consumers = self
            .inner
            .consumers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        consumers.iter().flatten().map(|(name, _)| *name).collect()
    }

    /// Stops consuming, waits up to `grace` for the jobs in flight to finish (and be
    /// acknowledged), then returns. Jobs still running after `grace` are abandoned
    /// unacknowledged: the broker delivers them again. Calling it again (or from a
    /// clone) waits for the first shutdown.
    pub async fn shutdown(&self, grace: Duration) {
        let consumers = self
            .inner
            .consumers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(consumers) = consumers else {
            return self.stopped().await;
        };
        let drains = consumers.iter().map(|(_, addr)| addr.send(Drain { grace }));
        for (result, (name, _)) in futures_util::future::join_all(drains)
            .await
            .into_iter()
            .zip(&consumers)
        {
            if let Err(error) = result {
                tracing::warn!(job = name, %error, "job consumer was already gone");
            }
        }
        drop(consumers);
        self.inner.stopped.send_replace(true);
        tracing::info!("worker stopped");
    }

    /// Begins a [`shutdown`](Self::shutdown) with [`DEFAULT_GRACE`](Self::DEFAULT_GRACE)
    /// in the background; [`stopped`](Self::stopped) tells when it is over. Must run
    /// inside an actix system.
    pub fn stop(&self) {
        let this = self.clone();
        actix_rt::spawn(async move { this.shutdown(Self::DEFAULT_GRACE).await });
    }

    /// Resolves once a shutdown has finished.
    pub async fn stopped(&self) {
        let mut stopped = self.inner.stopped.subscribe();
        // The sender lives in `self`, so this cannot fail.
        let _ = stopped.wait_for(|stopped| *stopped).await;
    }
}
