//! Domain events: typed publish/subscribe between the parts of a service, and
//! between processes.
//!
//! A job is work that must happen once; an event is news that anyone interested may
//! hear: "order 7 is confirmed". Every subscriber gets every event published after
//! it subscribed, and nobody acknowledges anything. Events are for live views (a
//! WebSocket or Server-Sent Events feed, a cache to refresh); what must not be lost
//! belongs in the database or in a [job](crate::jobs).
//!
//! - An [`Event`] is a serde payload with a name, declared once (in `shared-models`)
//!   for publishers and subscribers alike.
//! - [`EventBus`] is the handle: [`publish`](EventBus::publish) an event,
//!   [`subscribe`](EventBus::subscribe) to a type of event and get an
//!   [`EventStream`] of them. Cheap to clone; share it as app state and with actors.
//! - Two backends, chosen like the job broker's ([`EventBus::new`]):
//!   RabbitMQ when `AMQP_URL` is set, so an event published by one process (a
//!   worker) reaches subscribers in every other; otherwise in-process, for one
//!   process (`cargo run`) and quick tests.
//!
//! **On RabbitMQ** each event name is a durable fanout exchange,
//! `<namespace>events.<NAME>` ([`AmqpSettings::namespace`]). A process that
//! subscribes binds one exclusive, auto-delete queue to it (server-named, gone with
//! the connection) and fans what arrives out to its local subscribers; it unbinds
//! once it has had no subscriber for a while. Publishing waits for the broker's
//! confirm. A lost connection comes back with the same backoff as the jobs'
//! ([`AmqpSettings::reconnect_initial`]); the subscription is re-made on the new
//! connection, and events published in the gap are not delivered.
//!
//! **Delivery** is at most once, in publishing order from one publisher. A
//! subscriber that falls more than [`SUBSCRIBER_BUFFER`] events behind skips the
//! oldest ones (with a warning in the log); an event that does not deserialise as
//! the subscriber's type (another version of it) is skipped too.
//!
//! Registered event types ([`EventBus::register`]) are documented in the service's
//! `/asyncapi.json`, next to its jobs (see [`asyncapi`]).
//!
//! ```
//! use apiarist::events::{Event, EventBus};
//! use futures_util::StreamExt;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
//! struct OrderConfirmed {
//!     order_id: i64,
//! }
//!
//! impl Event for OrderConfirmed {
//!     const NAME: &'static str = "orders.confirmed";
//! }
//!
//! # actix_rt::System::new().block_on(async {
//! let bus = EventBus::in_process().register::<OrderConfirmed>();
//! let mut confirmed = bus.subscribe::<OrderConfirmed>().await.unwrap();
//! bus.publish(&OrderConfirmed { order_id: 7 }).await.unwrap();
//! assert_eq!(confirmed.next().await, Some(OrderConfirmed { order_id: 7 }));
//! # });
//! ```

mod amqp;
pub mod asyncapi;
mod catalog;
mod memory;

#[cfg(test)]
mod tests;

use std::{
    fmt,
    marker::PhantomData,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use actix_web::web::Bytes;
use futures_util::Stream;
use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};
use tokio::sync::broadcast;

pub use catalog::{EventCatalog, EventInfo};

use crate::{
    HttpError,
    jobs::{AmqpSettings, BoxFuture},
};

/// How many events a subscriber may fall behind before it skips the oldest.
pub const SUBSCRIBER_BUFFER: usize = 256;

/// Something that happened, told to whoever listens: a typed payload with a name.
///
/// Declare event types where publishers and subscribers both see them (the
/// `shared-models` crate of the demo). The JSON Schema documents the event in
/// `/asyncapi.json`.
///
/// ```
/// use apiarist::events::Event;
/// use serde::{Deserialize, Serialize};
///
/// /// An order moved to another status.
/// #[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
/// pub struct OrderStatusChanged {
///     pub order_id: i64,
///     pub status: String,
/// }
///
/// impl Event for OrderStatusChanged {
///     const NAME: &'static str = "orders.status_changed";
/// }
/// ```
pub trait Event: Serialize + DeserializeOwned + JsonSchema + Send + 'static {
    /// The event's name: its channel (on RabbitMQ, its exchange `events.<NAME>`).
    const NAME: &'static str;
}

/// Why an event could not be published or subscribed to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The message broker cannot be reached (or did not confirm in time).
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
    /// The event does not serialise to JSON.
    #[error("the event does not serialise: {0}")]
    Serialize(#[from] serde_json::Error),
}

impl From<crate::jobs::JobError> for EventError {
    fn from(error: crate::jobs::JobError) -> Self {
        EventError::Unavailable(error.to_string())
    }
}

/// A route that cannot publish or subscribe answers `503 {"detail": "Event bus
/// unavailable"}` (the cause goes to the log).
impl From<EventError> for HttpError {
    fn from(error: EventError) -> Self {
        tracing::error!(%error, "event bus");
        match error {
            EventError::Unavailable(_) => HttpError::new(503, "Event bus unavailable"),
            EventError::Serialize(_) => HttpError::new(500, "Internal Server Error"),
        }
    }
}

/// What a backend does: move the JSON of named events to the local subscribers of
/// every process on the bus.
trait Transport: Send + Sync + fmt::Debug + 'static {
    fn publish(&self, name: &'static str, payload: Bytes) -> BoxFuture<'_, Result<(), EventError>>;
    /// Returns once events published from now on will be received.
    fn subscribe(
        &self,
        name: &'static str,
    ) -> BoxFuture<'_, Result<broadcast::Receiver<Bytes>, EventError>>;
    fn ready(&self) -> BoxFuture<'_, Result<(), EventError>>;
    fn close(&self) -> BoxFuture<'_, ()>;
    fn delete(&self, name: &'static str) -> BoxFuture<'_, Result<(), EventError>>;
    fn describe(&self) -> &'static str;
}

/// The handle to publish and subscribe to [`Event`]s; see the [module docs](self).
///
/// ```no_run
/// use apiarist::events::EventBus;
///
/// # #[actix_rt::main] async fn main() {
/// // RabbitMQ when AMQP_URL is set (AMQP_NAMESPACE prefixes the exchanges), in-process otherwise.
/// let bus = EventBus::from_env();
/// # let _ = bus; }
/// ```
#[derive(Clone)]
pub struct EventBus {
    transport: Arc<dyn Transport>,
    catalog: EventCatalog,
}

impl fmt::Debug for EventBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBus")
            .field("transport", &self.transport)
            .field("events", &self.catalog)
            .finish()
    }
}

impl EventBus {
    /// A bus within this process (tokio broadcast channels): for one process and
    /// tests. Events do not leave the process.
    pub fn in_process() -> Self {
        Self::on(Arc::new(memory::MemoryTransport::default()))
    }

    /// A bus on RabbitMQ: processes on the same broker (and namespace) hear each
    /// other. Connects on first use and reconnects by itself; create it inside the
    /// runtime that should own the connection (the service's actix system).
    pub fn amqp(settings: AmqpSettings) -> Self {
        Self::on(Arc::new(amqp::AmqpTransport::new(settings)))
    }

    /// RabbitMQ with `amqp`, the in-process bus without: the same choice as the
    /// job broker's, so both follow `AMQP_URL`.
    pub fn new(amqp: Option<AmqpSettings>) -> Self {
        match amqp {
            Some(settings) => {
                tracing::info!(url = %settings.redacted_url(), "events go through RabbitMQ");
                Self::amqp(settings)
            }
            None => {
                tracing::info!("events stay in this process (set AMQP_URL for RabbitMQ)");
                Self::in_process()
            }
        }
    }

    /// [`new`](Self::new) with [`AmqpSettings::from_env`] (`AMQP_URL`,
    /// `AMQP_NAMESPACE`).
    pub fn from_env() -> Self {
        Self::new(AmqpSettings::from_env())
    }

    fn on(transport: Arc<dyn Transport>) -> Self {
        Self {
            transport,
            catalog: EventCatalog::default(),
        }
    }

    /// Declares that this service publishes or subscribes to `E`, for
    /// `/asyncapi.json`. Publishing and subscribing work without it.
    pub fn register<E: Event>(mut self) -> Self {
        self.catalog.add(EventInfo::of::<E>());
        self
    }

    /// The registered event types.
    pub fn catalog(&self) -> &EventCatalog {
        &self.catalog
    }

    /// `"in-process"` or `"rabbitmq"`.
    pub fn backend(&self) -> &'static str {
        self.transport.describe()
    }

    /// Tells every current subscriber of `E` (in every process on the bus) about
    /// `event`. Returns once the broker has it (RabbitMQ: its confirm, within
    /// [`AmqpSettings::publish_timeout`]); having no subscriber is not an error.
    pub async fn publish<E: Event>(&self, event: &E) -> Result<(), EventError> {
        let payload = Bytes::from(serde_json::to_vec(event)?);
        self.transport.publish(E::NAME, payload).await
    }

    /// Subscribes to `E`: the stream yields every `E` published after this returns,
    /// until it is dropped. Waits for the broker at most
    /// [`AmqpSettings::publish_timeout`].
    pub async fn subscribe<E: Event>(&self) -> Result<EventStream<E>, EventError> {
        let receiver = self.transport.subscribe(E::NAME).await?;
        Ok(EventStream::new(receiver))
    }

    /// Whether the bus can publish (for readiness probes): the broker answers.
    pub async fn ready(&self) -> Result<(), EventError> {
        self.transport.ready().await
    }

    /// Closes the connection to the broker (the next use opens a new one).
    pub async fn close(&self) {
        self.transport.close().await;
    }

    /// Deletes `E`'s exchange on RabbitMQ (tests, decommissioning); nothing
    /// in-process.
    pub async fn delete<E: Event>(&self) -> Result<(), EventError> {
        self.transport.delete(E::NAME).await
    }
}

/// The events of one [`EventBus::subscribe`], as they are published: a
/// [`Stream`] of `E` (use `futures_util::StreamExt::next`). It ends only if the
/// bus's backend goes away.
pub struct EventStream<E> {
    inner: Pin<Box<dyn Stream<Item = E> + Send>>,
    _event: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for EventStream<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl<E: Event> EventStream<E> {
    fn new(receiver: broadcast::Receiver<Bytes>) -> Self {
        let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
            let event = next_event::<E>(&mut receiver).await?;
            Some((event, receiver))
        });
        Self {
            inner: Box::pin(events),
            _event: PhantomData,
        }
    }
}

/// The next `E` off `receiver`, skipping what cannot be read; `None` once closed.
async fn next_event<E: Event>(receiver: &mut broadcast::Receiver<Bytes>) -> Option<E> {
    loop {
        match receiver.recv().await {
            Ok(payload) => match serde_json::from_slice(&payload) {
                Ok(event) => return Some(event),
                Err(error) => tracing::warn!(
                    event = E::NAME, %error,
                    "an event does not deserialise as this subscriber's type; skipped"
                ),
            },
            Err(broadcast::error::RecvError::Lagged(skipped)) => tracing::warn!(
                event = E::NAME,
                skipped,
                "a subscriber fell behind; the oldest events were skipped"
            ),
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

impl<E> Stream for EventStream<E> {
    type Item = E;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.inner.as_mut().poll_next(cx)
    }
}
