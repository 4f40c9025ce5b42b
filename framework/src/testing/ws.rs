//! [`WsClient`]: the client side of a WebSocket, for tests.

use std::time::Duration;

use awc::ws::{Codec, Frame, Message};
use futures_util::{SinkExt, StreamExt};
use serde::{Serialize, de::DeserializeOwned};

use super::PATIENCE;

/// awc's framed connection, for what [`WsClient`]'s helpers do not cover.
pub type WsConnection = actix_codec::Framed<awc::BoxedSocket, Codec>;

/// An open WebSocket (awc's client). Its helpers answer the server's pings unless
/// told not to, and fail the test when what it waits for does not come within
/// 10 s.
///
/// ```no_run
/// # async fn example(server: apiarist::testing::TestServer) {
/// let mut ws = server.ws("/ws/chat", &[("authorization", "Bearer ann-token")]).await;
/// ws.send_json(&serde_json::json!({"text": "hi"})).await;
/// let reply: serde_json::Value = ws.next_json().await;
/// assert_eq!(reply["text"], "hi");
/// ws.expect_silence(std::time::Duration::from_millis(200)).await;
/// # }
/// ```
pub struct WsClient {
    conn: WsConnection,
    answer_pings: bool,
}

impl std::fmt::Debug for WsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsClient")
            .field("answer_pings", &self.answer_pings)
            .finish_non_exhaustive()
    }
}

impl WsClient {
    /// Opens `url` (`ws://...`) with `headers`; panics unless the server switches
    /// protocols (`101`).
    pub async fn connect(url: &str, headers: &[(&str, &str)]) -> Self {
        let mut request = awc::Client::new().ws(url);
        for (name, value) in headers {
            request = request.set_header(*name, *value);
        }
        let (response, conn) = request
            .connect()
            .await
            .unwrap_or_else(|e| panic!("the WebSocket handshake with {url} failed: {e}"));
        assert_eq!(response.status(), 101, "the handshake with {url}");
        Self {
            conn,
            answer_pings: true,
        }
    }

    /// Stops answering pings (to see what the server does with a silent client);
    /// they are skipped instead.
    pub fn ignore_pings(mut self) -> Self {
        self.answer_pings = false;
        self
    }

    /// The next frame that is not a ping.
    pub async fn next_frame(&mut self) -> Frame {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.conn.next())
                .await
                .expect("a frame within 10 s")
                .expect("the socket is open")
                .expect("a valid frame");
            match frame {
                Frame::Ping(payload) => {
                    if self.answer_pings {
                        self.send(Message::Pong(payload)).await;
                    }
                }
                other => return other,
            }
        }
    }

    /// The next frame, which must be text, parsed as JSON into `T`.
    pub async fn next_json<T: DeserializeOwned>(&mut self) -> T {
        match self.next_frame().await {
            Frame::Text(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "not the expected JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            }),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// Asserts that no frame but pings arrives for `quiet`.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        let until = tokio::time::Instant::now() + quiet;
        while let Ok(frame) = tokio::time::timeout_at(until, self.conn.next()).await {
            match frame {
                Some(Ok(Frame::Ping(payload))) if self.answer_pings => {
                    self.send(Message::Pong(payload)).await;
                }
                Some(Ok(Frame::Ping(_))) => {}
                other => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// Sends `message`.
    pub async fn send(&mut self, message: Message) {
        self.conn
            .send(message)
            .await
            .unwrap_or_else(|e| panic!("sending a frame failed: {e}"));
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.send(Message::Text(text.to_owned().into())).await;
    }

    /// Sends `value` as a JSON text frame.
    pub async fn send_json<T: Serialize>(&mut self, value: &T) {
        let text = serde_json::to_string(value).expect("a serialisable message");
        self.send_text(&text).await;
    }

    /// The connection itself, to read frames pings included or to send what the
    /// helpers do not.
    pub fn connection(&mut self) -> &mut WsConnection {
        &mut self.conn
    }
}
