//! [`SseClient`]: Server-Sent Events read as they arrive, for tests.

use std::{pin::Pin, time::Duration};

use actix_web::web::Bytes;
use awc::error::PayloadError;
use futures_util::{Stream, StreamExt};
use serde_json::Value;

use super::PATIENCE;

/// One event, its data parsed as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    /// `event:`, when named.
    pub event: Option<String>,
    /// `id:`, when numbered.
    pub id: Option<String>,
    /// `data:` (its lines joined), as JSON.
    pub data: Value,
}

type Body = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// An open `text/event-stream` response. Keep-alive comments are skipped; waiting
/// for an event fails the test after 10 s.
///
/// ```no_run
/// # async fn example(server: apiarist::testing::TestServer) {
/// let mut events = server.sse("/orders/events", &[("last-event-id", "2")]).await;
/// assert_eq!(events.status(), 200);
/// let event = events.next_event().await;
/// assert_eq!(event.id.as_deref(), Some("3"));
/// # }
/// ```
pub struct SseClient {
    status: u16,
    headers: actix_web::http::header::HeaderMap,
    body: Body,
    buffer: Vec<u8>,
}

impl std::fmt::Debug for SseClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseClient")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl SseClient {
    /// `GET url` with `headers`, the body left open.
    pub async fn open(url: &str, headers: &[(&str, &str)]) -> Self {
        let client = awc::Client::builder().disable_timeout().finish();
        let mut request = client.get(url);
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url} failed: {e}"));
        Self {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: Box::pin(response),
            buffer: Vec::new(),
        }
    }

    /// The response's status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A response header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next event.
    pub async fn next_event(&mut self) -> SseEvent {
        tokio::time::timeout(PATIENCE, self.read_event())
            .await
            .expect("an event within 10 s")
    }

    /// The next block the server sends, comments (`: keep-alive`) included, as text.
    pub async fn next_block(&mut self) -> String {
        tokio::time::timeout(PATIENCE, self.read_block())
            .await
            .expect("a block within 10 s")
    }

    /// Asserts that no event arrives for `quiet`.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        let more = tokio::time::timeout(quiet, self.read_event()).await;
        assert!(more.is_err(), "expected silence, got {more:?}");
    }

    async fn read_event(&mut self) -> SseEvent {
        loop {
            if let Some(event) = parse_event(&self.read_block().await) {
                return event;
            }
        }
    }

    async fn read_block(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                return String::from_utf8_lossy(&block).trim_end().to_owned();
            }
            let chunk = self
                .body
                .next()
                .await
                .expect("the stream is open")
                .expect("a chunk of the stream");
            // Bytes, not text: a chunk may end inside a character.
            self.buffer.extend_from_slice(&chunk);
        }
    }
}

/// An event block, or `None` for a comment.
fn parse_event(block: &str) -> Option<SseEvent> {
    let (mut event, mut id, mut data) = (None, None, Vec::new());
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_owned()),
            "id" => id = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    if data.is_empty() {
        return None;
    }
    let data = data.join("\n");
    Some(SseEvent {
        event,
        id,
        data: serde_json::from_str(&data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {data}")),
    })
}
