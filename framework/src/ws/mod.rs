//! WebSockets: routes that upgrade to a socket exchanging typed, validated JSON messages.
//!
//! A WebSocket route is an ordinary `GET` route: its handler takes a
//! [`WebSocketUpgrade<In, Out>`] next to any other extractor or dependency, and
//! returns [`WebSocketUpgrade::on_upgrade`]'s [`Upgrade`]. Everything before the
//! upgrade is HTTP, so dependencies run exactly as for any route: a failing one
//! (a missing token: 401) answers with its JSON error and the connection is never
//! upgraded. After the upgrade the handler gets a [`WebSocket`] whose incoming text
//! frames are checked like request bodies:
//!
//! - a message is JSON checked against `In`'s schema and `validator` rules (the
//!   engine of [`Json`](crate::Json)); an invalid one is answered with an error
//!   frame in FastAPI's shape, `{"detail": [{"type", "loc": ["message", ...],
//!   "msg", "input"}]}`, and the socket stays open;
//! - outgoing messages are `Out` values serialised as JSON text frames;
//! - the server pings every [`WsConfig::ping_interval`] and closes the socket with
//!   1011 when a ping goes unanswered for [`WsConfig::ping_timeout`]; pings from
//!   the client are answered; a client's close frame is answered and ends
//!   [`WebSocket::recv`]; when the handler returns, the socket closes with 1000
//!   (1011 if it panicked).
//!
//! A connection is served by two tasks: a driver that owns the incoming frames
//! (keep-alive, validation, close handshake) and the handler itself, which only
//! sees typed messages. So the keep-alive runs even while the handler is busy
//! sending. Valid messages wait in a short queue for the handler; while it is
//! full, no further frames are read (backpressure), and if the handler leaves it
//! full for [`WsConfig::ping_timeout`] the socket is closed with 1008. A handler
//! with nothing to read (a server-push feed) still calls `recv` (in a `select!`
//! beside its sending) to learn that the client left.
//!
//! The OpenAPI document shows the route as a `GET` whose `101 Switching Protocols`
//! response names the message types, with their schemas under `x-websocket`.
//!
//! ```
//! use apiarist::{prelude::*, ws::{Upgrade, WebSocketUpgrade}};
//!
//! #[derive(Debug, Deserialize, Validate, JsonSchema)]
//! struct Say {
//!     #[validate(length(min = 1, max = 500))]
//!     text: String,
//! }
//!
//! #[derive(Debug, Serialize, JsonSchema)]
//! struct Echo {
//!     text: String,
//! }
//!
//! /// Echo what the client says.
//! #[api_operation(summary = "Echo socket")]
//! async fn echo(ws: WebSocketUpgrade<Say, Echo>) -> Upgrade<Say, Echo> {
//!     ws.on_upgrade(|mut socket| async move {
//!         while let Some(say) = socket.recv().await {
//!             if socket.send(&Echo { text: say.text }).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//!
//! let app = App::new("chat").include(Router::new().get("/ws/echo", echo));
//! let doc = app.openapi();
//! assert!(doc["paths"]["/ws/echo"]["get"]["responses"]["101"].is_object());
//! ```

mod driver;
mod socket;
mod upgrade;

use std::{borrow::Cow, time::Duration};

pub use actix_ws::{CloseCode, CloseReason};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
pub use socket::{SendError, WebSocket, WsSender};
pub use upgrade::{Upgrade, WebSocketUpgrade};

/// Keep-alive and size limits of WebSocket connections.
///
/// Applies to the routes of the app or router it is shared with as state
/// (`App::state(WsConfig { .. })`, or `Router::state` for some routes only).
///
/// ```
/// use std::time::Duration;
/// use apiarist::{App, ws::WsConfig};
///
/// let app = App::new("chat").state(WsConfig {
///     ping_interval: Duration::from_secs(10),
///     ..WsConfig::default()
/// });
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsConfig {
    /// How often the server pings the client (default 20 s).
    pub ping_interval: Duration,
    /// How long a ping may stay unanswered (no frame at all from the client)
    /// before the socket is closed with 1011 (default 20 s).
    pub ping_timeout: Duration,
    /// Largest message accepted, in bytes (default 64 KiB); a larger one closes the
    /// socket with 1009.
    pub max_message_size: usize,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(20),
            ping_timeout: Duration::from_secs(20),
            max_message_size: 64 * 1024,
        }
    }
}

/// Any JSON message, for sockets whose clients have nothing typed to say (a
/// server-push feed): every JSON value is accepted, invalid JSON still gets an
/// error frame.
///
/// ```
/// use apiarist::ws::AnyMessage;
///
/// let message: AnyMessage = serde_json::from_str(r#"{"hello": 1}"#).unwrap();
/// assert_eq!(message.0["hello"], 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AnyMessage(pub Value);

impl<'de> Deserialize<'de> for AnyMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(AnyMessage)
    }
}

impl JsonSchema for AnyMessage {
    fn schema_name() -> Cow<'static, str> {
        "AnyMessage".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"description": "Any JSON value."})
    }
}

impl validator::Validate for AnyMessage {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}
