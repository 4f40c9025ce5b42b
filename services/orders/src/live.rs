//! Live order status: the caller's order status changes as they happen.
//!
//! - `GET /ws/orders`: a WebSocket; each change is a JSON text frame
//!   `{"order_id": 7, "status": "confirmed"}`. The client has nothing to say: any
//!   JSON it sends is ignored, anything else is answered with an error frame and
//!   the socket stays open. The framework pings and closes sockets that stop
//!   answering.
//! - `GET /orders/events`: the same changes as Server-Sent Events named
//!   `order_status`, each with an id (`<microseconds>-<order id>`: when the change
//!   was stored, and which order).
//!
//! Both authenticate before anything else (a `401` JSON answer, never an upgrade):
//! a bearer token in the `Authorization` header or, for clients that cannot set
//! headers (browsers' `WebSocket` and `EventSource`), in the `token` query parameter.
//!
//! The changes come from the `OrderStatusChanged` events of the app's
//! [`EventBus`]: published by the route that places an order and by the
//! `ConfirmOrder` job's handler, in whichever process it runs. Only the caller's own
//! orders are sent. A stream never goes back: a status older than one already sent
//! for that order (a repeat, or events of two processes overtaking each other) is
//! dropped.
//!
//! **Resuming** (SSE): a client that reconnects with `Last-Event-ID` first gets, for
//! each of its orders changed after that event (by stored time, then order id), the
//! order's current status, read from the database; then the live changes. So nothing
//! is missed, however long the client was away, while the server clocks agree; an id
//! that is not one of ours resumes nothing. The WebSocket has no resume: a client
//! reconnects and reads the orders it cares about.

use std::collections::HashMap;

use apiarist::{
    Dep, HttpError, Provide, State,
    auth::{Auth, Claims},
    db::Database,
    events::{EventBus, EventStream},
    prelude::*,
    security::BearerToken,
    stream::{Event, LastEventId, Sse},
    ws::{AnyMessage, Upgrade, WebSocketUpgrade},
};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, stream};
use shared_models::orders::{OrderStatus, OrderStatusChanged, OrderStatusUpdate};

use crate::models;

/// Query of the stream routes.
#[derive(Debug, Deserialize, Validate, JsonSchema, ApiComponent)]
pub struct TokenQuery {
    /// A bearer token, for clients that cannot send an `Authorization` header.
    pub token: Option<String>,
}

/// The caller of a stream route: the verified claims of a bearer token from the
/// `Authorization` header or, failing that, the `token` query parameter. Neither is
/// `401 {"detail": "Not authenticated"}`, a bad one `401 {"detail": "Invalid
/// token"}` (or `"Token has expired"`), with `WWW-Authenticate: Bearer`.
#[derive(Debug, Clone)]
pub struct StreamCaller(pub Claims);

impl Provide for StreamCaller {
    type Needs = (Option<BearerToken>, Query<TokenQuery>, State<Auth>);
    const ERRORS: &'static [u16] = &[401];

    async fn provide((bearer, query, auth): Self::Needs) -> Result<Self, actix_web::Error> {
        let unauthorized = |detail: String| {
            HttpError::unauthorized(detail).with_header("WWW-Authenticate", "Bearer")
        };
        let token = match (bearer, query.into_inner().token) {
            (Some(bearer), _) => bearer.token().to_owned(),
            (None, Some(token)) if !token.is_empty() => token,
            _ => return Err(unauthorized("Not authenticated".to_owned()).into()),
        };
        auth.verify(&token)
            .map(StreamCaller)
            .map_err(|e| unauthorized(e.to_string()).into())
    }
}

/// The furthest status sent per order, so a stream never repeats or goes back.
#[derive(Debug, Default)]
struct Progress(HashMap<i64, OrderStatus>);

impl Progress {
    /// Whether `change` moves its order on (and, if so, records it).
    fn advance(&mut self, change: &OrderStatusChanged) -> bool {
        let moved = self
            .0
            .get(&change.order_id)
            .is_none_or(|sent| change.status > *sent);
        if moved {
            self.0.insert(change.order_id, change.status);
        }
        moved
    }
}

/// `owner`'s changes among `changes`, never going back from `progress`.
fn changes_of(
    owner: String,
    changes: EventStream<OrderStatusChanged>,
    mut progress: Progress,
) -> impl Stream<Item = OrderStatusChanged> {
    changes.filter(move |change| {
        let keep = change.owner == owner && progress.advance(change);
        std::future::ready(keep)
    })
}

/// The SSE id of a change: `<microseconds since 1970>-<order id>`.
fn event_id(change: &OrderStatusChanged) -> String {
    format!("{}-{}", change.at.timestamp_micros(), change.order_id)
}

/// The change an SSE id names, if it is one of ours.
fn parse_event_id(id: &str) -> Option<(DateTime<Utc>, i64)> {
    let (micros, order_id) = id.split_once('-')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, order_id.parse().ok()?))
}

/// Stream my order status changes (WebSocket).
///
/// Upgrades to a WebSocket that sends a JSON frame `{"order_id", "status"}` each time
/// one of the caller's orders changes status (`pending` when placed, `confirmed` by
/// its job). Authenticate with `Authorization: Bearer <token>` or `?token=<token>`.
/// Client messages are ignored (invalid JSON gets an error frame).
#[api_operation(
    tag = "orders",
    summary = "Order status changes (WebSocket)",
    error_code = 503
)]
pub async fn order_socket(
    caller: Dep<StreamCaller>,
    ws: WebSocketUpgrade<AnyMessage, OrderStatusUpdate>,
    events: State<EventBus>,
) -> Result<Upgrade<AnyMessage, OrderStatusUpdate>, HttpError> {
    // Subscribed before the upgrade: a change made once the client sees `101` is sent.
    let subscription = events.subscribe::<OrderStatusChanged>().await?;
    let owner = caller.into_inner().0.sub;
    Ok(ws.on_upgrade(move |mut socket| async move {
        let sender = socket.sender();
        let mut changes = Box::pin(changes_of(owner, subscription, Progress::default()));
        loop {
            tokio::select! {
                message = socket.recv() => if message.is_none() {
                    break; // the client left
                },
                change = changes.next() => {
                    let Some(change) = change else { break };
                    if sender.send(&OrderStatusUpdate::from(&change)).await.is_err() {
                        break;
                    }
                }
            }
        }
    }))
}

/// Stream my order status changes (Server-Sent Events).
///
/// `text/event-stream` of `order_status` events whose data is `{"order_id",
/// "status"}`, each with an id. Reconnecting with `Last-Event-ID` first replays the
/// current status of every order of the caller that changed after that event.
/// Authenticate with `Authorization: Bearer <token>` or `?token=<token>`.
#[api_operation(
    tag = "orders",
    summary = "Order status changes (Server-Sent Events)",
    error_code = 503
)]
pub async fn order_events(
    caller: Dep<StreamCaller>,
    db: State<Database>,
    events: State<EventBus>,
    last: LastEventId,
) -> Result<Sse<OrderStatusUpdate>, HttpError> {
    // Subscribed before reading the database: a change is in the replay, the live
    // stream, or both (and then sent once), never in neither.
    let subscription = events.subscribe::<OrderStatusChanged>().await?;
    let owner = caller.into_inner().0.sub;
    let mut progress = Progress::default();
    let mut replay = Vec::new();
    if let Some((at, order_id)) = last.as_deref().and_then(parse_event_id) {
        let conn = db.conn().await?;
        let rows = models::changed_after(&conn, &owner, at, order_id).await?;
        replay = rows
            .iter()
            .map(OrderStatusChanged::from)
            .filter(|change| progress.advance(change))
            .collect();
    }
    let changes = stream::iter(replay).chain(changes_of(owner, subscription, progress));
    Ok(Sse::new(changes.map(|change| {
        Event::new(OrderStatusUpdate::from(&change))
            .event("order_status")
            .id(event_id(&change))
    })))
}

/// The stream routes (registered before `GET /orders/{order_id}`, which would
/// take `events` for an id).
pub fn router() -> Router {
    Router::new()
        .tag("orders")
        .get("/ws/orders", order_socket)
        .get("/orders/events", order_events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(order_id: i64, status: OrderStatus) -> OrderStatusChanged {
        OrderStatusChanged {
            order_id,
            status,
            owner: "7".into(),
            at: DateTime::from_timestamp_micros(1_732_245_240_123_456).unwrap(),
        }
    }

    #[test]
    fn a_stream_never_repeats_nor_goes_back() {
        let mut progress = Progress::default();
        assert!(progress.advance(&change(1, OrderStatus::Pending)));
        assert!(progress.advance(&change(2, OrderStatus::Confirmed)));
        assert!(!progress.advance(&change(2, OrderStatus::Pending)));
        assert!(!progress.advance(&change(2, OrderStatus::Confirmed)));
        assert!(progress.advance(&change(1, OrderStatus::Confirmed)));
    }

    #[test]
    fn event_ids_name_the_change() {
        let id = event_id(&change(42, OrderStatus::Pending));
        assert_eq!(id, "1732245240123456-42");
        let (at, order_id) = parse_event_id(&id).unwrap();
        assert_eq!((at, order_id), (change(42, OrderStatus::Pending).at, 42));
        for foreign in ["", "42", "x-1", "1-x", "-5"] {
            assert_eq!(parse_event_id(foreign), None, "{foreign}");
        }
    }
}
