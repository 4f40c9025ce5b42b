//! [`WebSocket`]: the handler's side of an upgraded connection, typed both ways.

use std::marker::PhantomData;

use serde::Serialize;
use tokio::sync::mpsc;

use super::{CloseCode, CloseReason};

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The socket is closed (the client left, or a close frame was sent).
    #[error("the WebSocket is closed")]
    Closed,
    /// The message does not serialise to JSON (e.g. a map with non-string keys).
    #[error("the message does not serialise: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// An upgraded connection: validated `In` messages from the client, `Out` messages
/// to it.
///
/// Handed to the handler of [`WebSocketUpgrade::on_upgrade`](super::WebSocketUpgrade::on_upgrade).
/// Keep-alive pings, invalid messages and the close handshake are handled beside
/// the handler, so [`recv`](Self::recv) only ever returns valid messages.
///
/// To receive and send concurrently (say, forward events while listening), send
/// through a [`sender`](Self::sender):
///
/// ```
/// use apiarist::{prelude::*, ws::{AnyMessage, Upgrade, WebSocketUpgrade}};
/// use std::time::Duration;
///
/// #[derive(Debug, Serialize, JsonSchema)]
/// struct Beat { n: u64 }
///
/// /// A heartbeat until the client says anything.
/// #[api_operation(summary = "Heartbeat")]
/// async fn heartbeat(ws: WebSocketUpgrade<AnyMessage, Beat>) -> Upgrade<AnyMessage, Beat> {
///     ws.on_upgrade(|mut socket| async move {
///         let sender = socket.sender();
///         let mut n = 0;
///         loop {
///             tokio::select! {
///                 _ = socket.recv() => break, // a message, or the client left
///                 _ = tokio::time::sleep(Duration::from_secs(1)) => {
///                     n += 1;
///                     if sender.send(&Beat { n }).await.is_err() { break }
///                 }
///             }
///         }
///     })
/// }
/// # let _ = Router::new().get("/ws/heartbeat", heartbeat);
/// ```
pub struct WebSocket<In, Out> {
    incoming: mpsc::Receiver<In>,
    sender: WsSender<Out>,
}

impl<In, Out> std::fmt::Debug for WebSocket<In, Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("queued", &self.incoming.len())
            .finish_non_exhaustive()
    }
}

impl<In, Out: Serialize> WebSocket<In, Out> {
    pub(super) fn new(incoming: mpsc::Receiver<In>, session: actix_ws::Session) -> Self {
        Self {
            incoming,
            sender: WsSender {
                session,
                _out: PhantomData,
            },
        }
    }

    /// The next valid message; `None` once the client closed the socket or went
    /// away (or stopped answering pings).
    pub async fn recv(&mut self) -> Option<In> {
        self.incoming.recv().await
    }

    /// Sends `message` as a JSON text frame.
    pub async fn send(&self, message: &Out) -> Result<(), SendError> {
        self.sender.send(message).await
    }

    /// A handle that sends on this socket, cheap to clone and `Send` (usable from
    /// other tasks and threads).
    pub fn sender(&self) -> WsSender<Out> {
        self.sender.clone()
    }

    /// Closes the socket with `code` and `reason` (a handler that simply returns
    /// closes with 1000).
    pub async fn close(self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        let reason = CloseReason {
            code,
            description: (!reason.is_empty()).then(|| reason.to_owned()),
        };
        self.sender
            .session
            .clone()
            .close(Some(reason))
            .await
            .map_err(|_| SendError::Closed)
    }
}

/// Sends `Out` messages on a [`WebSocket`]; see [`WebSocket::sender`].
pub struct WsSender<Out> {
    session: actix_ws::Session,
    _out: PhantomData<fn(&Out)>,
}

impl<Out> Clone for WsSender<Out> {
    fn clone(&self) -> Self {
        Self {
            session: self.session.clone(),
            _out: PhantomData,
        }
    }
}

impl<Out> std::fmt::Debug for WsSender<Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsSender").finish_non_exhaustive()
    }
}

impl<Out: Serialize> WsSender<Out> {
    /// Sends `message` as a JSON text frame.
    pub async fn send(&self, message: &Out) -> Result<(), SendError> {
        let text = serde_json::to_string(message)?;
        self.session
            .clone()
            .text(text)
            .await
            .map_err(|_| SendError::Closed)
    }
}
