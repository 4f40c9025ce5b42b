//! The orders domain actor: where the jobs' work happens.

use actix::{Actor, Context, Handler, ResponseFuture, Supervised};
use apiarist::{
    db::Database,
    jobs::{EnqueueOptions, JobError, JobQueue},
};
use shared_models::orders::{ConfirmOrder, NotifyOrder};

use crate::models;

/// Confirms orders and records notifications. The same messages can be sent from a
/// route or delivered by a worker from the queue; the handlers do not know which.
#[derive(Debug, Clone)]
pub struct OrdersActor {
    db: Database,
    queue: JobQueue,
}

impl OrdersActor {
    /// An actor on the service's database, enqueueing follow-up jobs on `queue`.
    pub fn new(db: Database, queue: JobQueue) -> Self {
        Self { db, queue }
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
        let (db, queue) = (self.db.clone(), self.queue.clone());
        Box::pin(async move {
            let tx = db.begin().await.map_err(failed)?;
            // Idempotent: a redelivered job finds the order confirmed already, and
            // the notification is staged only with the confirmation that caused it.
            if models::confirm(&tx, job.order_id).await.map_err(failed)? {
                let notify = NotifyOrder {
                    order_id: job.order_id,
                    event: "confirmed".to_owned(),
                };
                queue
                    .enqueue_in(&tx, notify, EnqueueOptions::default())
                    .await?;
                tx.commit().await.map_err(failed)?;
                if let Some(outbox) = queue.outbox() {
                    outbox.nudge();
                }
                tracing::info!(order_id = job.order_id, "order confirmed");
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
