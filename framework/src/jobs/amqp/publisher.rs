//! Publishing with publisher confirms, and declaring the topology on first use.
//!
//! Every publish is persistent (delivery mode 2), carries the job as its
//! [wire](super::wire) form (the payload as body, the rest as properties), and returns only once the broker has
//! confirmed it (a nack or an unroutable message is an error). The whole operation,
//! including waiting for a reconnect, is bounded by
//! [`AmqpSettings::publish_timeout`](super::AmqpSettings::publish_timeout): a publish
//! whose connection drops before the confirm fails with a retryable error rather
//! than hang (the job may or may not have been stored: jobs are at-least-once).

use lapin::{Confirmation, options::BasicPublishOptions};
use tokio::time::Instant;

use super::{
    amqp_error,
    link::{Link, lock},
    topology::{self, EXCHANGE},
    wire,
};
use crate::jobs::{Envelope, JobError};

/// Where a publish goes.
pub(super) enum Route {
    /// The job's work queue (through the exchange), or its holding queue if it is
    /// not due yet.
    Work,
    /// The job's dead-letter queue.
    Dead,
}

impl Link {
    /// Stores `envelope` in the broker (see [`Route`]); returns after the confirm.
    pub(super) async fn publish(&self, envelope: &Envelope, route: Route) -> Result<(), JobError> {
        let timeout = self.settings.publish_timeout;
        let deadline = Instant::now() + timeout;
        let publish = self.publish_until(envelope, route, deadline);
        match tokio::time::timeout_at(deadline, publish).await {
            Ok(result) => result,
            Err(_) => Err(JobError::retry(format!(
                "the message broker did not confirm job {} within {timeout:?}",
                envelope.id
            ))),
        }
    }

    async fn publish_until(
        &self,
        envelope: &Envelope,
        route: Route,
        deadline: Instant,
    ) -> Result<(), JobError> {
        let queue = self.queue_name(&envelope.name);
        self.ensure_declared(&queue, Some(deadline)).await?;
        let (exchange, routing_key) = match route {
            Route::Dead => (String::new(), topology::dead_queue(&queue)),
            Route::Work => {
                let wait = envelope.delay_left().as_millis() as u64;
                if wait == 0 {
                    (EXCHANGE.to_owned(), queue.clone())
                } else {
                    let ms = topology::delay_bucket(wait);
                    self.ensure_delay_queue(&queue, ms, Some(deadline)).await?;
                    (String::new(), topology::delay_queue(&queue, ms))
                }
            }
        };
        let (body, properties) = wire::encode(envelope, self.settings.max_priority)?;
        let session = self.session(Some(deadline)).await?;
        let confirm = session
            .publisher
            .basic_publish(
                exchange.as_str().into(),
                routing_key.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &body,
                properties,
            )
            .await
            .map_err(amqp_error)?
            .await
            .map_err(|e| {
                JobError::retry(format!(
                    "connection to the message broker lost before it confirmed job {}: {e}",
                    envelope.id
                ))
            })?;
        match confirm {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(returned)) => Err(JobError::retry(format!(
                "the message broker could not route job {} to {routing_key}: {}",
                envelope.id, returned.reply_text
            ))),
            Confirmation::Nack(_) => Err(JobError::retry(format!(
                "the message broker refused job {} (nack)",
                envelope.id
            ))),
            Confirmation::NotRequested => Err(JobError::fatal(
                "publisher confirms are not enabled on the channel",
            )),
        }
    }

    /// Declares `queue`'s exchange, work and dead-letter queues once per connection.
    pub(super) async fn ensure_declared(
        &self,
        queue: &str,
        deadline: Option<Instant>,
    ) -> Result<(), JobError> {
        topology::check_name(queue)?;
        let session = self.session(deadline).await?;
        if lock(&self.declared)
            .get(queue)
            .is_some_and(|(generation, _)| *generation == session.generation)
        {
            return Ok(());
        }
        let channel = session.conn.create_channel().await.map_err(amqp_error)?;
        topology::declare_job_queue(&channel, queue, self.settings.max_priority)
            .await
            .map_err(|e| declare_error(queue, e))?;
        lock(&self.declared).insert(queue.to_owned(), (session.generation, Instant::now()));
        Ok(())
    }

    /// Declares `queue`'s holding queue for `ms`, renewing its lease now and then.
    async fn ensure_delay_queue(
        &self,
        queue: &str,
        ms: u64,
        deadline: Option<Instant>,
    ) -> Result<(), JobError> {
        let name = topology::delay_queue(queue, ms);
        let session = self.session(deadline).await?;
        let fresh = lock(&self.declared)
            .get(&name)
            .is_some_and(|(generation, at)| {
                *generation == session.generation && at.elapsed() < topology::DELAY_REDECLARE
            });
        if fresh {
            return Ok(());
        }
        let channel = session.conn.create_channel().await.map_err(amqp_error)?;
        topology::declare_delay_queue(&channel, queue, ms)
            .await
            .map_err(|e| declare_error(&name, e))?;
        self.remember_delay(queue, ms);
        lock(&self.declared).insert(name, (session.generation, Instant::now()));
        Ok(())
    }
}

fn declare_error(queue: &str, error: lapin::Error) -> JobError {
    if error.is_amqp_soft_error() {
        // PRECONDITION_FAILED and friends: the queue exists with other arguments.
        JobError::fatal(format!(
            "declaring queue {queue} failed (does it exist with other arguments?): {error}"
        ))
    } else {
        amqp_error(error)
    }
}
