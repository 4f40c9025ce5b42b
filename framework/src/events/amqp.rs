//! The RabbitMQ backend: a durable fanout exchange per event name, and per process
//! and event name one exclusive auto-delete queue feeding the local subscribers.
//!
//! ```text
//!  publish ──> [<ns>events.<NAME>] (fanout) ──> amq.gen-… (exclusive, process A) ──> A's subscribers
//!                                          └──> amq.gen-… (exclusive, process B) ──> B's subscribers
//! ```
//!
//! The connection is the jobs' [`Link`](crate::jobs::Link): opened on first use,
//! re-opened with capped exponential backoff. A *pump* task per subscribed event
//! name owns the queue's channel and consumer: it binds (waiting for the link),
//! forwards each message to a broadcast channel the local subscribers read, binds
//! again on a new connection when the old one is lost, and stops (its channel
//! closed, so the queue goes) once no local subscriber has been left for a while.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use actix_web::web::Bytes;
use futures_util::StreamExt;
use lapin::{
    BasicProperties, Channel, Confirmation, Consumer, ExchangeKind,
    options::{
        BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, ExchangeDeleteOptions,
        QueueBindOptions, QueueDeclareOptions,
    },
    types::FieldTable,
};
use tokio::{
    sync::{broadcast, watch},
    time::Instant,
};

use super::{EventError, SUBSCRIBER_BUFFER, Transport};
use crate::jobs::{AmqpSettings, BoxFuture, Link, backoff};

/// How often a pump checks whether it still has local subscribers.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// Events through RabbitMQ.
pub(super) struct AmqpTransport {
    shared: Arc<Shared>,
}

struct Shared {
    link: Link,
    /// Event name -> the local fan-out of its pump.
    topics: Mutex<HashMap<&'static str, Topic>>,
    /// Exchange -> the connection generation it was declared on.
    declared: Mutex<HashMap<String, u64>>,
}

struct Topic {
    sender: broadcast::Sender<Bytes>,
    /// `true` while the pump's queue is bound and consumed.
    bound: watch::Receiver<bool>,
}

impl std::fmt::Debug for AmqpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let settings = &self.shared.link.settings;
        f.debug_struct("AmqpTransport")
            .field("url", &settings.redacted_url())
            .field("namespace", &settings.namespace)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn amqp_error(error: lapin::Error) -> EventError {
    EventError::Unavailable(format!("message broker error: {error}"))
}

impl AmqpTransport {
    pub(super) fn new(settings: AmqpSettings) -> Self {
        Self {
            shared: Arc::new(Shared {
                link: Link::new(settings),
                topics: Mutex::new(HashMap::new()),
                declared: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.shared.link.settings.publish_timeout
    }

    async fn publish_until(
        &self,
        name: &'static str,
        payload: &[u8],
        deadline: Instant,
    ) -> Result<(), EventError> {
        let exchange = self.shared.exchange(name);
        self.shared.declare(&exchange, deadline).await?;
        let session = self.shared.link.session(Some(deadline)).await?;
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_type(name.into())
            .with_message_id(uuid::Uuid::new_v4().to_string().into())
            .with_timestamp(chrono::Utc::now().timestamp().max(0) as u64);
        let confirm = session
            .publisher
            .basic_publish(
                exchange.as_str().into(),
                "".into(),
                BasicPublishOptions::default(),
                payload,
                properties,
            )
            .await
            .map_err(amqp_error)?
            .await
            .map_err(|e| {
                EventError::Unavailable(format!("no confirm from the message broker: {e}"))
            })?;
        match confirm {
            Confirmation::Ack(_) => Ok(()),
            Confirmation::Nack(_) => Err(EventError::Unavailable(format!(
                "the message broker refused event {name} (nack)"
            ))),
            Confirmation::NotRequested => Err(EventError::Unavailable(
                "publisher confirms are not enabled on the channel".to_owned(),
            )),
        }
    }

    /// The local fan-out of `name`, its pump started if it has none.
    fn topic(&self, name: &'static str) -> (broadcast::Receiver<Bytes>, watch::Receiver<bool>) {
        let mut topics = lock(&self.shared.topics);
        let topic = topics.entry(name).or_insert_with(|| {
            let (sender, _) = broadcast::channel(SUBSCRIBER_BUFFER);
            let (bound_tx, bound) = watch::channel(false);
            let pump = Pump {
                shared: self.shared.clone(),
                name,
                exchange: self.shared.exchange(name),
                sender: sender.clone(),
                bound: bound_tx,
            };
            tokio::spawn(pump.run());
            Topic { sender, bound }
        });
        // Subscribed under the lock: the pump cannot find itself idle in between.
        (topic.sender.subscribe(), topic.bound.clone())
    }
}

impl Shared {
    fn exchange(&self, name: &str) -> String {
        format!("{}events.{name}", self.link.settings.namespace)
    }

    /// Declares `name`'s exchange again on next use: after a failure, in case it
    /// was deleted behind this process's back.
    fn forget(&self, name: &str) {
        lock(&self.declared).remove(&self.exchange(name));
    }

    /// Declares `exchange` once per connection.
    async fn declare(&self, exchange: &str, deadline: Instant) -> Result<(), EventError> {
        let session = self.link.session(Some(deadline)).await?;
        if lock(&self.declared).get(exchange) == Some(&session.generation) {
            return Ok(());
        }
        let channel = session.conn.create_channel().await.map_err(amqp_error)?;
        let options = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        channel
            .exchange_declare(
                exchange.into(),
                ExchangeKind::Fanout,
                options,
                FieldTable::default(),
            )
            .await
            .map_err(amqp_error)?;
        lock(&self.declared).insert(exchange.to_owned(), session.generation);
        Ok(())
    }
}

/// Feeds one event name's local subscribers from the broker; see the module docs.
struct Pump {
    shared: Arc<Shared>,
    name: &'static str,
    exchange: String,
    sender: broadcast::Sender<Bytes>,
    bound: watch::Sender<bool>,
}

impl Pump {
    async fn run(self) {
        let mut failures = 0u32;
        let mut idle_check = tokio::time::interval(IDLE_CHECK);
        loop {
            if self.idle() {
                return;
            }
            let (channel, mut consumer) = match self.bind().await {
                Ok(bound) => bound,
                Err(error) => {
                    self.shared.forget(self.name);
                    failures = failures.saturating_add(1);
                    let settings = &self.shared.link.settings;
                    let wait =
                        backoff(failures, settings.reconnect_initial, settings.reconnect_max);
                    tracing::warn!(
                        event = self.name, %error, retry_in_ms = wait.as_millis() as u64,
                        "could not subscribe to the event exchange"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            failures = 0;
            self.bound.send_replace(true);
            tracing::debug!(event = self.name, exchange = %self.exchange, "subscribed to events");
            loop {
                tokio::select! {
                    delivery = consumer.next() => match delivery {
                        Some(Ok(delivery)) => {
                            // No local receiver right now: the idle check decides.
                            let _ = self.sender.send(Bytes::from(delivery.data));
                        }
                        Some(Err(error)) => {
                            tracing::warn!(event = self.name, %error, "event subscription lost; subscribing again");
                            break;
                        }
                        None => {
                            tracing::warn!(event = self.name, "event subscription cancelled; subscribing again");
                            break;
                        }
                    },
                    _ = idle_check.tick() => if self.idle() {
                        // Closing the channel deletes the auto-delete queue.
                        let _ = channel.close(200, "OK".into()).await;
                        return;
                    }
                }
            }
            self.bound.send_replace(false);
        }
    }

    /// Whether no local subscriber is left; if so the pump leaves the topic map
    /// (under its lock, so a new subscriber starts a new pump).
    fn idle(&self) -> bool {
        let mut topics = lock(&self.shared.topics);
        if self.sender.receiver_count() > 0 {
            return false;
        }
        if topics
            .get(self.name)
            .is_some_and(|t| t.sender.same_channel(&self.sender))
        {
            topics.remove(self.name);
        }
        tracing::debug!(event = self.name, "no subscriber left; unsubscribed");
        true
    }

    /// A server-named exclusive queue bound to the exchange, and its consumer.
    async fn bind(&self) -> Result<(Channel, Consumer), EventError> {
        let deadline = Instant::now() + self.shared.link.settings.publish_timeout;
        self.shared.declare(&self.exchange, deadline).await?;
        let channel = self.shared.link.channel(Some(deadline)).await?;
        let options = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..QueueDeclareOptions::default()
        };
        let queue = channel
            .queue_declare("".into(), options, FieldTable::default())
            .await
            .map_err(amqp_error)?;
        channel
            .queue_bind(
                queue.name().clone(),
                self.exchange.as_str().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(amqp_error)?;
        let options = BasicConsumeOptions {
            no_ack: true,
            exclusive: true,
            ..BasicConsumeOptions::default()
        };
        let consumer = channel
            .basic_consume(
                queue.name().clone(),
                "".into(),
                options,
                FieldTable::default(),
            )
            .await
            .map_err(amqp_error)?;
        Ok((channel, consumer))
    }
}

impl Transport for AmqpTransport {
    fn publish(&self, name: &'static str, payload: Bytes) -> BoxFuture<'_, Result<(), EventError>> {
        Box::pin(async move {
            let deadline = self.deadline();
            let timeout = self.shared.link.settings.publish_timeout;
            let published =
                tokio::time::timeout_at(deadline, self.publish_until(name, &payload, deadline))
                    .await
                    .unwrap_or_else(|_| {
                        Err(EventError::Unavailable(format!(
                            "the message broker did not confirm event {name} within {timeout:?}"
                        )))
                    });
            if published.is_err() {
                self.shared.forget(name);
            }
            published
        })
    }

    fn subscribe(
        &self,
        name: &'static str,
    ) -> BoxFuture<'_, Result<broadcast::Receiver<Bytes>, EventError>> {
        Box::pin(async move {
            let (receiver, mut bound) = self.topic(name);
            let timeout = self.shared.link.settings.publish_timeout;
            match tokio::time::timeout(timeout, bound.wait_for(|bound| *bound)).await {
                Ok(Ok(_)) => Ok(receiver),
                Ok(Err(_)) => Err(EventError::Unavailable(format!(
                    "the subscription to {name} ended"
                ))),
                Err(_) => Err(EventError::Unavailable(format!(
                    "could not subscribe to {name} within {timeout:?}"
                ))),
            }
        })
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), EventError>> {
        Box::pin(async move {
            self.shared.link.session(Some(self.deadline())).await?;
            Ok(())
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.shared.link.close())
    }

    fn delete(&self, name: &'static str) -> BoxFuture<'_, Result<(), EventError>> {
        Box::pin(async move {
            let exchange = self.shared.exchange(name);
            let channel = self.shared.link.channel(Some(self.deadline())).await?;
            channel
                .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
                .await
                .map_err(amqp_error)?;
            lock(&self.shared.declared).remove(&exchange);
            Ok(())
        })
    }

    fn describe(&self) -> &'static str {
        "rabbitmq"
    }
}
