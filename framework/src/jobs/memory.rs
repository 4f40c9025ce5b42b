//! [`MemoryBroker`]: an in-process broker with the AMQP broker's semantics.
//!
//! Everything lives behind one mutex, never held across an `.await`; a [`Notify`]
//! wakes waiting consumers whenever a queue or a consumer's unsettled set changes.
//!
//! - Each queue orders its ready jobs by priority (higher first), then by arrival.
//! - A job with `not_before` in the future (a delayed job, a retry) waits in the
//!   queue's timer list; consumers sleep until the earliest one is due.
//! - A consumer holds at most `prefetch` unsettled deliveries. As with an AMQP
//!   channel, a delivery dropped without being settled keeps its slot until the
//!   consumer is gone: when the stream *and* all its deliveries are dropped (a
//!   crashed or stopped worker), its unsettled jobs go back to their place in the
//!   queue and are delivered again.
//! - Dead letters are kept per queue, oldest first, with their `last_error`.
//!
//! Nothing survives the process: use it for development, tests and single-process
//! services that can afford to lose queued jobs on a restart.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use futures_util::stream;
use tokio::{sync::Notify, time::Instant};
use uuid::Uuid;

use super::{BoxFuture, Broker, DeadJob, Deliveries, Delivery, Envelope, JobError, QueueStats};

/// The in-process broker: cheap to clone (clones share the queues), `Send + Sync`.
///
/// Same semantics as [`AmqpBroker`](super::AmqpBroker): priority order, delayed jobs
/// and retries on timers, at most `prefetch` unsettled deliveries per consumer,
/// unsettled jobs delivered again once their consumer is gone (stream and
/// deliveries dropped), dead letters with their last error. Nothing survives the
/// process: for development, tests, and services that can lose queued jobs on a
/// restart.
///
/// ```
/// use std::sync::Arc;
/// use apiarist::jobs::{JobQueue, MemoryBroker};
///
/// let broker = MemoryBroker::new();
/// let jobs = JobQueue::new(Arc::new(broker.clone()));
/// # let _ = jobs;
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryBroker {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    queues: HashMap<String, Queue>,
    consumers: HashMap<u64, Consumer>,
    /// Arrival order across all queues (also the delivery tags' source).
    next_seq: u64,
}

/// Ready jobs sort by priority (highest first), then arrival.
type ReadyKey = (Reverse<u8>, u64);

#[derive(Debug, Default)]
struct Queue {
    ready: BTreeMap<ReadyKey, Envelope>,
    /// Jobs not due yet, by due time.
    delayed: BTreeMap<(Instant, u64), Envelope>,
    dead: Vec<Envelope>,
}

impl Queue {
    fn push(&mut self, seq: u64, envelope: Envelope) {
        let wait = envelope.delay_left();
        if wait.is_zero() {
            self.ready
                .insert((Reverse(envelope.priority.min(9)), seq), envelope);
        } else {
            self.delayed.insert((Instant::now() + wait, seq), envelope);
        }
    }

    /// Moves the jobs that are due to the ready list.
    fn promote_due(&mut self, now: Instant) {
        while let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, seq), envelope) = entry.remove_entry();
            self.ready
                .insert((Reverse(envelope.priority.min(9)), seq), envelope);
        }
    }
}

#[derive(Debug)]
struct Consumer {
    queue: String,
    /// Delivery tag -> where the job was in the queue, and the job.
    unsettled: HashMap<u64, (ReadyKey, Envelope)>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the maps consistent (every update is
        // a single insert or remove), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn queue(&mut self, name: &str) -> &mut Queue {
        self.queues.entry(name.to_owned()).or_default()
    }
}

impl MemoryBroker {
    /// An empty broker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the state, then wakes the consumers.
    fn update<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        let result = change(&mut self.inner.lock());
        self.inner.changed.notify_waiters();
        result
    }
}

impl Broker for MemoryBroker {
    fn declare(&self, name: &str) -> BoxFuture<'_, Result<(), JobError>> {
        self.inner.lock().queue(name);
        Box::pin(std::future::ready(Ok(())))
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), JobError>> {
        self.update(|state| {
            let seq = state.seq();
            state.queue(&envelope.name).push(seq, envelope);
        });
        Box::pin(std::future::ready(Ok(())))
    }

    fn consume(&self, name: &str, prefetch: u16) -> BoxFuture<'_, Result<Deliveries, JobError>> {
        let id = {
            let mut state = self.inner.lock();
            state.queue(name);
            let id = state.seq();
            let consumer = Consumer {
                queue: name.to_owned(),
                unsettled: HashMap::new(),
            };
            state.consumers.insert(id, consumer);
            id
        };
        let guard = Arc::new(ConsumerGuard {
            inner: self.inner.clone(),
            id,
            queue: name.to_owned(),
            // Like AMQP's basic.qos: 0 means no limit.
            prefetch: if prefetch == 0 {
                usize::MAX
            } else {
                usize::from(prefetch)
            },
        });
        let deliveries = stream::unfold(guard, |guard| async move {
            let delivery = next_delivery(&guard).await;
            Some((delivery, guard))
        });
        Box::pin(std::future::ready(Ok(Box::pin(deliveries) as Deliveries)))
    }

    fn stats(&self, name: &str) -> BoxFuture<'_, Result<QueueStats, JobError>> {
        let mut state = self.inner.lock();
        let queue = state.queue(name);
        let stats = QueueStats {
            queue: name.to_owned(),
            ready: (queue.ready.len() + queue.delayed.len()) as u64,
            dead: queue.dead.len() as u64,
        };
        Box::pin(std::future::ready(Ok(stats)))
    }

    fn dead_jobs(&self, name: &str) -> BoxFuture<'_, Result<Vec<DeadJob>, JobError>> {
        let dead = self.inner.lock().queue(name).dead.clone();
        Box::pin(std::future::ready(Ok(dead)))
    }

    fn settle_dead(
        &self,
        name: &str,
        id: Uuid,
        requeue: bool,
    ) -> BoxFuture<'_, Result<bool, JobError>> {
        let found = self.update(|state| {
            let queue = state.queue(name);
            let Some(at) = queue.dead.iter().position(|job| job.id == id) else {
                return false;
            };
            let mut envelope = queue.dead.remove(at);
            if requeue {
                envelope.attempts = 0;
                envelope.not_before = None;
                let seq = state.seq();
                state.queue(name).push(seq, envelope);
            }
            true
        });
        Box::pin(std::future::ready(Ok(found)))
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), JobError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// One consumer's registration, shared by its stream and its deliveries; dropping
/// the last of them requeues what the consumer left unsettled.
#[derive(Debug)]
struct ConsumerGuard {
    inner: Arc<Inner>,
    id: u64,
    queue: String,
    prefetch: usize,
}

impl Drop for ConsumerGuard {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        let Some(consumer) = state.consumers.remove(&self.id) else {
            return;
        };
        if consumer.unsettled.is_empty() {
            return;
        }
        tracing::debug!(
            queue = %consumer.queue,
            jobs = consumer.unsettled.len(),
            "consumer gone with unsettled jobs; requeueing them"
        );
        let queue = state.queue(&consumer.queue);
        for (key, envelope) in consumer.unsettled.into_values() {
            queue.ready.insert(key, envelope);
        }
        drop(state);
        self.inner.changed.notify_waiters();
    }
}

/// Waits for the next job this consumer may take, and takes it.
async fn next_delivery(guard: &Arc<ConsumerGuard>) -> Box<dyn Delivery> {
    loop {
        // Registered before looking, so a change made after the look still wakes us.
        let changed = guard.inner.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let wake_at = {
            let mut state = guard.inner.lock();
            let tag = state.seq();
            let State {
                queues, consumers, ..
            } = &mut *state;
            let queue = queues.entry(guard.queue.clone()).or_default();
            queue.promote_due(Instant::now());
            let consumer = consumers
                .get_mut(&guard.id)
                .expect("a consumer is registered while its guard lives");
            if consumer.unsettled.len() < guard.prefetch
                && let Some((key, envelope)) = queue.ready.pop_first()
            {
                consumer.unsettled.insert(tag, (key, envelope.clone()));
                return Box::new(MemoryDelivery {
                    envelope,
                    tag,
                    guard: guard.clone(),
                });
            }
            queue.delayed.first_key_value().map(|((at, _), _)| *at)
        };
        match wake_at {
            Some(at) => {
                tokio::select! {
                    () = &mut changed => {}
                    () = tokio::time::sleep_until(at) => {}
                }
            }
            None => changed.await,
        }
    }
}

/// A job handed to a consumer of the [`MemoryBroker`].
#[derive(Debug)]
struct MemoryDelivery {
    envelope: Envelope,
    tag: u64,
    guard: Arc<ConsumerGuard>,
}

impl MemoryDelivery {
    /// Removes the job from the consumer's unsettled set, then does `then` with its
    /// queue; wakes consumers (a prefetch slot is free).
    fn settle(self, then: impl FnOnce(&mut State)) -> BoxFuture<'static, Result<(), JobError>> {
        let inner = &self.guard.inner;
        {
            let mut state = inner.lock();
            if let Some(consumer) = state.consumers.get_mut(&self.guard.id) {
                consumer.unsettled.remove(&self.tag);
            }
            then(&mut state);
        }
        inner.changed.notify_waiters();
        Box::pin(std::future::ready(Ok(())))
    }
}

impl Delivery for MemoryDelivery {
    fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), JobError>> {
        self.settle(|_| {})
    }

    fn retry(
        self: Box<Self>,
        mut envelope: Envelope,
        delay: Duration,
    ) -> BoxFuture<'static, Result<(), JobError>> {
        envelope.not_before = super::due_after(delay);
        let queue = self.guard.queue.clone();
        self.settle(move |state| {
            let seq = state.seq();
            state.queue(&queue).push(seq, envelope);
        })
    }

    fn dead_letter(
        self: Box<Self>,
        envelope: Envelope,
    ) -> BoxFuture<'static, Result<(), JobError>> {
        let queue = self.guard.queue.clone();
        self.settle(move |state| state.queue(&queue).dead.push(envelope))
    }
}
