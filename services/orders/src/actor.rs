//! The orders domain actor: where the jobs' work happens.

use actix::{Actor, Context, Handler, ResponseFuture, Supervised};
use apiarist::{
    db::Database,
    events::EventBus,
    jobs::{EnqueueOptions, JobError, JobQueue},
};
use shared_models::orders::{ConfirmOrder, NotifyOrder, OrderStatus, OrderStatusChanged};

use crate::models;

/// Confirms orders and records notifications. The same messages can be sent from a
/// route or delivered by a worker from the queue; the handlers do not know which.
#[derive(Debug, Clone)]
pub struct OrdersActor {
    db: Database,
    queue: JobQueue,
    events: EventBus,
}

impl OrdersActor {
    /// An actor on the service's database, enqueueing follow-up jobs on `queue` and
    /// telling `events` about confirmed orders.
    pub fn new(db: Database, queue: JobQueue, events: EventBus) -> Self {
        Self { db, queue, events }
    }
}

impl Actor for OrdersActor {
    type Context = Context<Self>;
}

impl Supervised for OrdersActor {}

fn failed(error: impl std::fmt::Display) -> JobError {
    JobError::retry(error.to_string())
}

impl Handler<ConfirmOrder> for OrdersActor {
    type Result = ResponseFuture<Result<(), JobError>>;

    fn handle(&mut self, job: ConfirmOrder, _: &mut Context<Self>) -> Self::Result {
        let (db, queue, events) = (self.db.clone(), self.queue.clone(), self.events.clone());
        Box::pin(async move {
            let tx = db.begin().await.map_err(failed)?;
            // Idempotent: a redelivered job finds the order confirmed already, and
            // the notification is staged only with the confirmation that caused it.
            let confirmed = models::confirm(&tx, job.order_id).await.map_err(failed)?;
            if confirmed {
                let notify = NotifyOrder {
                    order_id: job.order_id,
                    event: "confirmed".to_owned(),
                };
                queue
                    .enqueue_in(&tx, notify, EnqueueOptions::default())
                    .await?;
            }
            let order = models::find(&tx, job.order_id).await.map_err(failed)?;
            tx.commit().await.map_err(failed)?;
            if confirmed {
                if let Some(outbox) = queue.outbox() {
                    outbox.nudge();
                }
                tracing::info!(order_id = job.order_id, "order confirmed");
            }
            // Told on every delivery that finds the order confirmed: a delivery that
            // confirmed it may have stopped before telling (streams drop repeats).
            // The news is not the job's contract: failing to tell is logged only.
            let change = order
                .map(|row| OrderStatusChanged::from(&row))
                .filter(|change| change.status == OrderStatus::Confirmed);
            if let Some(change) = change
                && let Err(error) = events.publish(&change).await
            {
                tracing::warn!(order_id = job.order_id, %error, "could not tell that the order is confirmed");
            }
            Ok(())
        })
    }
}

impl Handler<NotifyOrder> for OrdersActor {
    type Result = ResponseFuture<Result<(), JobError>>;

    fn handle(&mut self, job: NotifyOrder, _: &mut Context<Self>) -> Self::Result {
        let db = self.db.clone();
        Box::pin(async move {
            let conn = db.conn().await.map_err(failed)?;
            let message = format!("Order #{}: {}", job.order_id, job.event);
            // Once per order and event, whatever the number of deliveries.
            if models::record_notification(&conn, job.order_id, &job.event, &message)
                .await
                .map_err(failed)?
            {
                tracing::info!(order_id = job.order_id, event = %job.event, "notification recorded");
            }
            Ok(())
        })
    }
}
