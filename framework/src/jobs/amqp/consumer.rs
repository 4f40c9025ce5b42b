//! Consuming: a stream of deliveries that outlives connections.
//!
//! Each subscription is its own channel with `basic.qos(prefetch)` and manual acks.
//! When the connection or the channel dies, the stream subscribes again on the next
//! connection (waiting for the link to reconnect, with backoff), so a worker never
//! notices beyond a gap; unacknowledged jobs of the dead channel are redelivered by
//! the broker. Dropping the stream cancels the subscription; its channel stays open
//! until the last delivery taken from it is settled or dropped, then closes, and the
//! broker requeues whatever was left unacknowledged.
//!
//! Jobs arriving before their `not_before` (a delay's remainder, see
//! [`topology`](super::topology)) are sent on their next hop and never surface.

use std::{sync::Arc, time::Duration};

use futures_util::StreamExt;
use lapin::{
    Acker, Channel, Consumer,
    options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions},
    types::FieldTable,
};
use uuid::Uuid;

use super::{amqp_error, link::Link, publisher::Route, wire};
use crate::jobs::{BoxFuture, Deliveries, Delivery, Envelope, JobError, backoff};

struct Subscription {
    consumer: Consumer,
    channel: Arc<Channel>,
}

struct ConsumeState {
    link: Arc<Link>,
    /// The job name (the envelope's), and its broker-side queue.
    name: String,
    queue: String,
    prefetch: u16,
    current: Option<Subscription>,
    failures: u32,
}

/// The deliveries of job queue `name`; see the [module docs](self).
pub(super) fn deliveries(link: Arc<Link>, name: &str, prefetch: u16) -> Deliveries {
    let state = ConsumeState {
        queue: link.queue_name(name),
        link,
        name: name.to_owned(),
        prefetch,
        current: None,
        failures: 0,
    };
    Box::pin(futures_util::stream::unfold(
        state,
        |mut state| async move {
            let delivery = state.next().await;
            Some((delivery, state))
        },
    ))
}

impl ConsumeState {
    async fn next(&mut self) -> Box<dyn Delivery> {
        loop {
            let Some(subscription) = &mut self.current else {
                match self.subscribe().await {
                    Ok(subscription) => {
                        self.failures = 0;
                        self.current = Some(subscription);
                    }
                    Err(error) => {
                        self.failures = self.failures.saturating_add(1);
                        let settings = &self.link.settings;
                        let wait = backoff(
                            self.failures,
                            settings.reconnect_initial,
                            settings.reconnect_max,
                        );
                        tracing::warn!(
                            queue = %self.queue, %error, retry_in_ms = wait.as_millis() as u64,
                            "could not subscribe to the job queue"
                        );
                        tokio::time::sleep(wait).await;
                    }
                }
                continue;
            };
            match subscription.consumer.next().await {
                Some(Ok(message)) => {
                    let channel = subscription.channel.clone();
                    if let Some(delivery) = self.accept(message, channel).await {
                        return delivery;
                    }
                }
                Some(Err(error)) => {
                    tracing::warn!(queue = %self.queue, %error, "job subscription lost; resubscribing");
                    self.current = None;
                }
                None => {
                    tracing::warn!(queue = %self.queue, "job subscription cancelled; resubscribing");
                    self.current = None;
                }
            }
        }
    }

    async fn subscribe(&self) -> Result<Subscription, JobError> {
        self.link.ensure_declared(&self.queue, None).await?;
        let channel = self.link.channel(None).await?;
        channel
            .basic_qos(self.prefetch, BasicQosOptions::default())
            .await
            .map_err(amqp_error)?;
        let consumer = channel
            .basic_consume(
                self.queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(amqp_error)?;
        tracing::info!(queue = %self.queue, prefetch = self.prefetch, "consuming jobs");
        Ok(Subscription {
            consumer,
            channel: Arc::new(channel),
        })
    }

    /// The delivery for `message`, or `None` when it was handled here: not a job
    /// (dead-lettered as is) or not due yet (sent on its next hop).
    async fn accept(
        &self,
        message: lapin::message::Delivery,
        channel: Arc<Channel>,
    ) -> Option<Box<dyn Delivery>> {
        let acker = message.acker.clone();
        let (envelope, route) = match wire::decode(&self.name, &message.properties, &message.data) {
            Ok(envelope) if envelope.delay_left().is_zero() => {
                return Some(Box::new(AmqpDelivery {
                    envelope,
                    acker,
                    link: self.link.clone(),
                    _channel: channel,
                }));
            }
            Ok(envelope) => (envelope, Route::Work),
            Err(error) => {
                tracing::error!(queue = %self.queue, %error, "message is not a job envelope; dead-lettering it");
                (self.not_a_job(&message.data, &error), Route::Dead)
            }
        };
        let moved = self.link.publish(&envelope, route).await;
        let settled = match moved {
            Ok(()) => acker.ack(BasicAckOptions::default()).await,
            Err(error) => {
                tracing::warn!(queue = %self.queue, job_id = %envelope.id, %error, "could not move a job; requeueing it");
                tokio::time::sleep(Duration::from_millis(500)).await;
                acker.nack(requeue()).await
            }
        };
        if let Err(error) = settled {
            tracing::warn!(queue = %self.queue, %error, "could not settle a message; the broker redelivers it");
        }
        None
    }

    /// An envelope for a message that is not one, so it can be seen and discarded
    /// through the dead-letter API.
    fn not_a_job(&self, body: &[u8], error: &serde_json::Error) -> Envelope {
        Envelope {
            id: Uuid::new_v4(),
            name: self.name.clone(),
            payload: serde_json::Value::String(String::from_utf8_lossy(body).into_owned()),
            attempts: 0,
            max_attempts: 0,
            enqueued_at: chrono::Utc::now(),
            not_before: None,
            priority: 0,
            idempotency_key: None,
            trace: Default::default(),
            last_error: Some(format!("not a job envelope: {error}")),
        }
    }
}

fn requeue() -> BasicNackOptions {
    BasicNackOptions {
        requeue: true,
        ..BasicNackOptions::default()
    }
}

/// A job taken from a RabbitMQ queue.
struct AmqpDelivery {
    envelope: Envelope,
    acker: Acker,
    link: Arc<Link>,
    /// Keeps the subscription's channel open until this delivery is settled.
    _channel: Arc<Channel>,
}

impl AmqpDelivery {
    /// Publishes `envelope` (if any) to `route`, then acks; a failed publish
    /// requeues the delivery instead (it runs again without counting an attempt).
    async fn settle(self, then: Option<(Envelope, Route)>) -> Result<(), JobError> {
        if let Some((envelope, route)) = then
            && let Err(error) = self.link.publish(&envelope, route).await
        {
            let _ = self.acker.nack(requeue()).await;
            return Err(error);
        }
        match self.acker.ack(BasicAckOptions::default()).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(JobError::retry(
                "the delivery's channel is closed; the broker redelivers the job",
            )),
            Err(error) => Err(amqp_error(error)),
        }
    }
}

impl Delivery for AmqpDelivery {
    fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), JobError>> {
        Box::pin(self.settle(None))
    }

    fn retry(
        self: Box<Self>,
        mut envelope: Envelope,
        delay: Duration,
    ) -> BoxFuture<'static, Result<(), JobError>> {
        envelope.not_before = crate::jobs::due_after(delay);
        Box::pin(self.settle(Some((envelope, Route::Work))))
    }

    fn dead_letter(
        self: Box<Self>,
        envelope: Envelope,
    ) -> BoxFuture<'static, Result<(), JobError>> {
        Box::pin(self.settle(Some((envelope, Route::Dead))))
    }
}
