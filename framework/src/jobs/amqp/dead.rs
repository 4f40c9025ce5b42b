//! Dead letters: browsing and settling without losing any.
//!
//! AMQP has no "peek". A browse takes the dead-letter queue's messages one by one
//! with `basic.get` *without* acknowledging them, on a channel of its own, then puts
//! them all back (`basic.nack(multiple, requeue)`); if anything fails midway, closing
//! the channel puts them back too. RabbitMQ returns requeued messages to their
//! original position, so the order is kept. Settling one job does the same walk,
//! acknowledging only the one it looks for (after its requeued copy is confirmed).

use lapin::{
    Channel,
    options::{BasicAckOptions, BasicGetOptions, BasicNackOptions, QueueDeclareOptions},
    types::DeliveryTag,
};
use uuid::Uuid;

use super::{AmqpBroker, amqp_error, publisher::Route, topology, wire};
use crate::jobs::{DeadJob, Envelope, JobError};

/// A walk over a dead-letter queue; dropping it (closing the channel) requeues
/// whatever it took.
struct Walk {
    channel: Channel,
    queue: String,
    /// The job name.
    name: String,
    /// Messages in the queue when the walk began: it takes no more than that.
    left: u32,
    /// Taken and neither acknowledged nor put back yet.
    unacked: Vec<DeliveryTag>,
}

impl Walk {
    async fn start(broker: &AmqpBroker, name: &str) -> Result<Self, JobError> {
        let link = &broker.link;
        let queue = link.queue_name(name);
        link.ensure_declared(&queue, Some(broker.deadline()))
            .await?;
        let channel = link.channel(Some(broker.deadline())).await?;
        let dead = topology::dead_queue(&queue);
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let left = channel
            .queue_declare(dead.as_str().into(), passive, Default::default())
            .await
            .map_err(amqp_error)?
            .message_count();
        Ok(Self {
            channel,
            name: name.to_owned(),
            queue: dead,
            left,
            unacked: Vec::new(),
        })
    }

    /// The next dead job (unacknowledged) and its delivery tag.
    async fn next(&mut self) -> Result<Option<(Envelope, DeliveryTag)>, JobError> {
        while self.left > 0 {
            self.left -= 1;
            let message = self
                .channel
                .basic_get(self.queue.as_str().into(), BasicGetOptions::default())
                .await
                .map_err(amqp_error)?;
            let Some(message) = message else {
                return Ok(None);
            };
            let tag = message.delivery.delivery_tag;
            self.unacked.push(tag);
            let delivery = &message.delivery;
            match wire::decode(&self.name, &delivery.properties, &delivery.data) {
                Ok(envelope) => return Ok(Some((envelope, tag))),
                Err(error) => {
                    tracing::warn!(queue = %self.queue, %error, "skipping a dead letter that is not a job envelope");
                }
            }
        }
        Ok(None)
    }

    /// Puts back every message taken and not acknowledged.
    async fn finish(self) -> Result<(), JobError> {
        // `multiple` covers every unacknowledged tag up to the highest one.
        if let Some(&tag) = self.unacked.iter().max() {
            let options = BasicNackOptions {
                multiple: true,
                requeue: true,
            };
            self.channel
                .basic_nack(tag, options)
                .await
                .map_err(amqp_error)?;
        }
        let _ = self.channel.close(200, "OK".into()).await;
        Ok(())
    }
}

impl AmqpBroker {
    pub(super) async fn browse_dead(&self, name: &str) -> Result<Vec<DeadJob>, JobError> {
        let mut walk = Walk::start(self, name).await?;
        let mut jobs = Vec::new();
        while let Some((envelope, _)) = walk.next().await? {
            jobs.push(envelope);
        }
        walk.finish().await?;
        Ok(jobs)
    }

    pub(super) async fn take_dead(
        &self,
        name: &str,
        id: Uuid,
        requeue: bool,
    ) -> Result<bool, JobError> {
        let mut walk = Walk::start(self, name).await?;
        let mut found = false;
        while let Some((mut envelope, tag)) = walk.next().await? {
            if envelope.id != id {
                continue;
            }
            if requeue {
                envelope.attempts = 0;
                envelope.not_before = None;
                self.link.publish(&envelope, Route::Work).await?;
            }
            walk.channel
                .basic_ack(tag, BasicAckOptions::default())
                .await
                .map_err(amqp_error)?;
            walk.unacked.retain(|&t| t != tag);
            found = true;
            break;
        }
        walk.finish().await?;
        Ok(found)
    }
}
