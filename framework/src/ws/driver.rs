//! The connection driver: owns the incoming frames of one socket so the handler
//! only sees valid, typed messages.
//!
//! It answers pings, pings the client and watches for the answers, turns each text
//! (or binary) frame into an `In` or an error frame, replies to the client's close
//! frame, and closes the socket when the handler returns. It runs as its own task
//! beside the handler's: a handler busy sending (or never reading) does not stall
//! the keep-alive. While the handler has not taken the previous message (its queue
//! is full), the driver reads no further frames (backpressure) and does not count
//! unanswered pings, as their answers may be among the unread frames; if the
//! message still waits after the ping timeout, the handler is not reading at all
//! and the socket is closed with 1008 rather than left deaf to the client.

use std::{future::Future, panic::AssertUnwindSafe};

use actix_ws::{AggregatedMessage, AggregatedMessageStream, MessageStream, ProtocolError};
use futures_util::FutureExt;
use serde_json::{Value, json};
use tokio::{
    sync::{mpsc, oneshot},
    time::{Instant, MissedTickBehavior, interval_at, sleep_until},
};

use super::{CloseCode, CloseReason, WebSocket, WsConfig};
use crate::{
    FieldError, LocItem, RequestValidationError,
    extract::{Input, conform},
    validation::Source,
};

/// Valid messages waiting for the handler, beyond the one being delivered.
const QUEUE: usize = 16;

/// Starts the driver and the handler of a freshly upgraded connection.
pub(super) fn start<In, Out, F, Fut>(
    session: actix_ws::Session,
    stream: MessageStream,
    config: WsConfig,
    handler: F,
) where
    In: Input,
    Out: serde::Serialize + 'static,
    F: FnOnce(WebSocket<In, Out>) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let (messages, incoming) = mpsc::channel(QUEUE);
    let (finished, handler_done) = oneshot::channel();
    let socket = WebSocket::new(incoming, session.clone());
    actix_web::rt::spawn(async move {
        let reason = match AssertUnwindSafe(handler(socket)).catch_unwind().await {
            Ok(()) => CloseReason::from(CloseCode::Normal),
            // The panic hook has logged it.
            Err(_) => CloseReason::from((CloseCode::Error, "Internal Server Error")),
        };
        let _ = finished.send(reason);
    });
    let frames = stream
        .max_frame_size(config.max_message_size)
        .aggregate_continuations()
        .max_continuation_size(config.max_message_size);
    actix_web::rt::spawn(drive(session, frames, messages, handler_done, config));
}

/// A time limit that closes the socket when it passes.
#[derive(Debug, Clone, Copy)]
enum Limit {
    /// The client did not answer a ping in time.
    Ping,
    /// The handler left a message untaken, with its queue full, for as long.
    Unread,
}

impl Limit {
    fn close_reason(self) -> CloseReason {
        match self {
            Limit::Ping => {
                tracing::info!("WebSocket client stopped answering pings; closing");
                CloseReason::from((CloseCode::Error, "keepalive ping timeout"))
            }
            Limit::Unread => {
                tracing::warn!("WebSocket handler does not read its messages; closing");
                CloseReason::from((CloseCode::Policy, "messages are not being read"))
            }
        }
    }
}

/// How the driver's loop ended.
enum End {
    /// Send this close frame (answering the client's, or starting the handshake).
    Close(Option<CloseReason>),
    /// The connection is gone: nothing left to send.
    Gone,
}

async fn drive<In: Input>(
    session: actix_ws::Session,
    mut frames: AggregatedMessageStream,
    messages: mpsc::Sender<In>,
    mut handler_done: oneshot::Receiver<CloseReason>,
    config: WsConfig,
) {
    let mut pings = interval_at(Instant::now() + config.ping_interval, config.ping_interval);
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // When the oldest unanswered ping times out.
    let mut deadline: Option<Instant> = None;
    // A valid message the handler has not taken yet, and since when it waits.
    let mut pending: Option<(In, Instant)> = None;
    let end = loop {
        // The next time limit: the handler taking the waiting message, or else the
        // client answering the oldest unanswered ping.
        let limit = match (&pending, deadline) {
            (Some((_, since)), _) => Some((*since + config.ping_timeout, Limit::Unread)),
            (None, Some(at)) => Some((at, Limit::Ping)),
            (None, None) => None,
        };
        let expiry = async move {
            match limit {
                Some((at, limit)) => {
                    sleep_until(at).await;
                    limit
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            reason = &mut handler_done => break End::Close(reason.ok()),
            permit = messages.reserve(), if pending.is_some() => match permit {
                Ok(permit) => permit.send(pending.take().expect("checked by the branch").0),
                // The handler no longer listens; it will return and close the socket.
                Err(_) => pending = None,
            },
            frame = frames.recv(), if pending.is_none() => {
                deadline = None;
                let message = match frame {
                    None => break End::Gone,
                    Some(Err(error)) => break End::Close(Some(protocol_close(&error))),
                    Some(Ok(AggregatedMessage::Text(text))) => decode::<In>(text.as_bytes()),
                    Some(Ok(AggregatedMessage::Binary(bytes))) => decode::<In>(&bytes),
                    Some(Ok(AggregatedMessage::Ping(payload))) => {
                        if session.clone().pong(&payload).await.is_err() { break End::Gone }
                        continue;
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => continue,
                    Some(Ok(AggregatedMessage::Close(reason))) => break End::Close(reason),
                };
                match message {
                    Ok(message) => pending = Some((message, Instant::now())),
                    Err(frame) => if session.clone().text(frame).await.is_err() { break End::Gone },
                }
            }
            _ = pings.tick() => {
                if session.clone().ping(b"").await.is_err() { break End::Gone }
                deadline.get_or_insert(Instant::now() + config.ping_timeout);
            }
            limit = expiry => break End::Close(Some(limit.close_reason())),
        }
    };
    if let End::Close(reason) = end {
        // Fails only when the socket is already closed (the handler closed it).
        let _ = session.close(reason).await;
    }
    // Dropping `messages` ends the handler's `recv` loop.
}

/// Parses and validates one message: `In`, or the error frame to answer with.
fn decode<In: Input>(bytes: &[u8]) -> Result<In, String> {
    let loc = [LocItem::Key("message".to_owned())];
    let parsed = serde_json::from_slice::<Value>(bytes)
        .map_err(|e| {
            let position = char_offset(bytes, e.line(), e.column());
            RequestValidationError::new(vec![FieldError::json_invalid(&loc, position, &e)])
        })
        .and_then(|value| conform::<In>(value, Source::Json, &loc));
    parsed.map_err(|error| json!({"detail": error.errors()}).to_string())
}

/// serde_json's 1-based line and column, as the character offset FastAPI reports.
fn char_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let before: usize = text
        .split('\n')
        .take(line.saturating_sub(1))
        .map(|l| l.chars().count() + 1)
        .sum();
    before + column.saturating_sub(1)
}

fn protocol_close(error: &ProtocolError) -> CloseReason {
    match error {
        ProtocolError::Overflow => CloseReason::from((CloseCode::Size, "message too big")),
        other => {
            tracing::info!(error = %other, "WebSocket protocol error; closing");
            CloseReason::from(CloseCode::Protocol)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema, validator::Validate)]
    struct Say {
        #[validate(length(min = 1))]
        text: String,
    }

    #[test]
    fn messages_are_validated_like_bodies() {
        let ok: Say = decode(br#"{"text": "hi"}"#).unwrap();
        assert_eq!(ok.text, "hi");
        let frame: Value =
            serde_json::from_str(&decode::<Say>(br#"{"text": ""}"#).unwrap_err()).unwrap();
        assert_eq!(frame["detail"][0]["type"], "string_too_short");
        assert_eq!(frame["detail"][0]["loc"], json!(["message", "text"]));
        let frame: Value =
            serde_json::from_str(&decode::<Say>(b"{\"text\": x}").unwrap_err()).unwrap();
        assert_eq!(frame["detail"][0]["type"], "json_invalid");
        assert_eq!(frame["detail"][0]["loc"], json!(["message", 9]));
    }
}
