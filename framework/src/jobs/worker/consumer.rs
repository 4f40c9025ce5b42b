//! [`QueueConsumer`]: the supervised actor consuming one queue.
//!
//! The consume loop (subscribe, take a delivery whenever a concurrency slot is
//! free, spawn its job task) runs as a future of the actor, under `catch_unwind`
//! like [`DbActor`](crate::db::DbActor)'s work: a panic stops the actor and its
//! [`Supervisor`](actix::Supervisor) restarts it, which subscribes again (after a
//! short backoff if it keeps crashing). Job tasks are spawned on the arbiter, not
//! the actor's context, so a restart does not cancel jobs in flight; a job whose
//! handling panics is settled as a failed attempt and then restarts the consumer.
//!
//! The actor keeps its own address while it runs, so it survives its handle being
//! dropped; [`Drain`] ends that.

use std::{
    cell::RefCell, collections::HashMap, panic::AssertUnwindSafe, rc::Rc, sync::Arc, time::Duration,
};

use actix::{
    Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, Context, Handler, Message,
    ResponseActFuture, SpawnHandle, Supervised, WrapFuture,
};
use futures_util::{FutureExt, StreamExt};
use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore},
    task::AbortHandle,
    time::Instant,
};

use super::{
    QueueOptions,
    handler::{JobHandler, panic_message, process},
};
use crate::jobs::{Broker, Delivery, backoff};

const RESUBSCRIBE_INITIAL: Duration = Duration::from_millis(100);
const RESUBSCRIBE_MAX: Duration = Duration::from_secs(10);

/// Job tasks in flight, to abort them when the grace period is over.
#[derive(Debug, Default)]
struct Tasks {
    next: u64,
    running: HashMap<u64, AbortHandle>,
}

/// Consumes one queue; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct QueueConsumer {
    broker: Arc<dyn Broker>,
    handler: Arc<JobHandler>,
    options: QueueOptions,
    slots: Arc<Semaphore>,
    tasks: Rc<RefCell<Tasks>>,
    consuming: Option<SpawnHandle>,
    draining: bool,
    myself: Option<Addr<Self>>,
    /// Restarts in a row (reset after a quiet minute), to back off a crash loop.
    restarts: u32,
    last_restart: Option<Instant>,
}

impl QueueConsumer {
    pub(super) fn new(
        broker: Arc<dyn Broker>,
        handler: Arc<JobHandler>,
        options: QueueOptions,
    ) -> Self {
        let concurrency = options.concurrency.max(1);
        Self {
            broker,
            handler,
            options: QueueOptions {
                concurrency,
                ..options
            },
            slots: Arc::new(Semaphore::new(concurrency)),
            tasks: Rc::default(),
            consuming: None,
            draining: false,
            myself: None,
            restarts: 0,
            last_restart: None,
        }
    }
}

impl Actor for QueueConsumer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.draining {
            return;
        }
        self.myself = Some(ctx.address());
        let pause = match self.restarts {
            0 => Duration::ZERO,
            n => backoff(n, RESUBSCRIBE_INITIAL, RESUBSCRIBE_MAX),
        };
        let consume = ConsumeLoop {
            broker: self.broker.clone(),
            handler: self.handler.clone(),
            prefetch: self.options.prefetch,
            slots: self.slots.clone(),
            tasks: self.tasks.clone(),
            consumer: ctx.address(),
        }
        .run(pause);
        let supervised = AssertUnwindSafe(consume)
            .catch_unwind()
            .into_actor(self)
            .map(|result, act, ctx| {
                if let Err(panic) = result {
                    tracing::error!(
                        job = act.handler.name, panic = %panic_message(&*panic),
                        "job consumer panicked; the supervisor restarts it"
                    );
                    ctx.stop();
                }
            });
        self.consuming = Some(ctx.spawn(supervised));
    }
}

impl Supervised for QueueConsumer {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        let quiet = self
            .last_restart
            .is_some_and(|at| at.elapsed() > Duration::from_secs(60));
        self.restarts = if quiet { 1 } else { self.restarts + 1 };
        self.last_restart = Some(Instant::now());
        self.consuming = None;
        tracing::warn!(
            job = self.handler.name,
            restarts = self.restarts,
            "job consumer restarting"
        );
    }
}

/// Restart the consumer (a job's handling panicked).
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct Restart;

impl Handler<Restart> for QueueConsumer {
    type Result = ();

    fn handle(&mut self, _: Restart, ctx: &mut Context<Self>) {
        if !self.draining {
            ctx.stop();
        }
    }
}

/// Stop consuming, wait up to `grace` for the jobs in flight, abort the rest.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(super) struct Drain {
    pub(super) grace: Duration,
}

impl Handler<Drain> for QueueConsumer {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, Drain { grace }: Drain, ctx: &mut Context<Self>) -> Self::Result {
        self.draining = true;
        self.myself = None;
        if let Some(consuming) = self.consuming.take() {
            // Drops the delivery stream: the broker delivers nothing more here.
            ctx.cancel_future(consuming);
        }
        let slots = self.slots.clone();
        let all = u32::try_from(self.options.concurrency).unwrap_or(u32::MAX);
        let tasks = self.tasks.clone();
        let name = self.handler.name;
        let in_flight = self.options.concurrency - slots.available_permits();
        tracing::info!(job = name, in_flight, ?grace, "job consumer draining");
        let drain = async move {
            if tokio::time::timeout(grace, slots.acquire_many(all))
                .await
                .is_ok()
            {
                tracing::info!(job = name, "job consumer drained");
                return;
            }
            let running: Vec<_> = tasks.borrow_mut().running.drain().collect();
            tracing::warn!(
                job = name,
                abandoned = running.len(),
                "grace period over; abandoning jobs in flight (the broker delivers them again)"
            );
            for (_, task) in running {
                task.abort();
            }
            // Let the aborted tasks drop their deliveries before we report back.
            tokio::task::yield_now().await;
        };
        Box::pin(drain.into_actor(self))
    }
}

/// What the consume loop needs, detached from the actor.
struct ConsumeLoop {
    broker: Arc<dyn Broker>,
    handler: Arc<JobHandler>,
    prefetch: u16,
    slots: Arc<Semaphore>,
    tasks: Rc<RefCell<Tasks>>,
    consumer: Addr<QueueConsumer>,
}

impl ConsumeLoop {
    async fn run(self, pause: Duration) {
        let name = self.handler.name;
        tokio::time::sleep(pause).await;
        let mut failures = 0u32;
        loop {
            let subscribed = async {
                self.broker.declare(name).await?;
                self.broker.consume(name, self.prefetch).await
            };
            let mut deliveries = match subscribed.await {
                Ok(deliveries) => deliveries,
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff(failures, RESUBSCRIBE_INITIAL, RESUBSCRIBE_MAX);
                    tracing::warn!(
                        job = name, %error, retry_in_ms = wait.as_millis() as u64,
                        "could not consume the job queue"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            failures = 0;
            loop {
                // A slot first: never take a job that would have to wait for one.
                let slot = self
                    .slots
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed");
                let Some(delivery) = deliveries.next().await else {
                    tracing::warn!(job = name, "delivery stream ended; subscribing again");
                    break;
                };
                self.spawn_job(slot, delivery);
            }
        }
    }

    fn spawn_job(&self, slot: OwnedSemaphorePermit, delivery: Box<dyn Delivery>) {
        let id = {
            let mut tasks = self.tasks.borrow_mut();
            tasks.next += 1;
            tasks.next
        };
        let registration = Registration {
            tasks: self.tasks.clone(),
            id,
        };
        let handler = self.handler.clone();
        let consumer = self.consumer.clone();
        let task = actix_rt::spawn(async move {
            let _slot = slot;
            let _registration = registration;
            if process(handler, delivery).await {
                consumer.do_send(Restart);
            }
        });
        self.tasks
            .borrow_mut()
            .running
            .insert(id, task.abort_handle());
    }
}

/// Removes a job task from [`Tasks`] when it ends (or is aborted).
struct Registration {
    tasks: Rc<RefCell<Tasks>>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut tasks) = self.tasks.try_borrow_mut() {
            tasks.running.remove(&self.id);
        }
    }
}
